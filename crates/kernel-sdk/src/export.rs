//! Turning Rust kernels into ABI entry points: the call wrapper every generated entry point
//! goes through, the free function of the results it hands out, and the table macros.
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::abi::{self, RawArg, RawContext, RawResult};
use crate::args::{Args, KernelError, Value};
use crate::context::Context;
use crate::unwind::{caught, panic_message};

/// The signature of a kernel written with this crate.
pub type KernelFn = fn(&Args<'_>, &Context<'_>) -> Result<Value, KernelError>;

/// Frees an array or message this crate handed to the host: each was a boxed slice of the
/// tag's element type, leaked by [`into_raw`] with its exact length.
///
/// # Safety
/// `tag`, `data` and `len` come from one [`RawResult`] this crate produced, freed only once.
pub unsafe extern "C" fn free_result(tag: u32, data: *mut c_void, len: usize) {
    /// # Safety
    /// `data` is a leaked `Box<[T]>` of `len` elements.
    unsafe fn release<T>(data: *mut c_void, len: usize) {
        // SAFETY: see the function's contract.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data.cast::<T>(), len)) });
    }
    // SAFETY: the tag says which element type the slice was allocated with.
    unsafe {
        match tag {
            abi::RESULT_FLOAT64ARRAY => release::<f64>(data, len),
            abi::RESULT_UINT32ARRAY => release::<u32>(data, len),
            abi::RESULT_UINT8ARRAY | abi::RESULT_ERROR | abi::RESULT_PANIC => {
                release::<u8>(data, len)
            }
            _ => {}
        }
    }
}

/// A boxed slice's pointer and length, leaked for the host to give back through `free_result`.
fn leak<T>(data: Vec<T>) -> (*mut c_void, usize) {
    let data = Box::into_raw(data.into_boxed_slice());
    (data.cast(), data.len())
}

/// The ABI form of a kernel's outcome.
fn into_raw(outcome: Result<Value, KernelError>) -> RawResult {
    let (tag, number, (data, len)) = match outcome {
        Ok(Value::Null) => return RawResult::null(),
        Ok(Value::Number(n)) => (abi::RESULT_NUMBER, n, (std::ptr::null_mut(), 0)),
        Ok(Value::Float64Array(data)) => (abi::RESULT_FLOAT64ARRAY, 0.0, leak(data)),
        Ok(Value::Uint32Array(data)) => (abi::RESULT_UINT32ARRAY, 0.0, leak(data)),
        Ok(Value::Uint8Array(data)) => (abi::RESULT_UINT8ARRAY, 0.0, leak(data)),
        Err(error) => (abi::RESULT_ERROR, 0.0, leak(error.message.into_bytes())),
    };
    RawResult {
        tag,
        number,
        data,
        len,
        free: Some(free_result),
    }
}

/// Runs `kernel` for the host and writes its outcome to `out`. Nothing unwinds out of it: a
/// panic becomes a `RESULT_PANIC` result carrying its message (a payload whose own drop
/// panics is leaked rather than dropped).
///
/// # Safety
/// The arguments are the ones the host passes to a [`abi::KernelFn`]: a valid context, `nargs`
/// valid arguments, and a writable `out`.
#[doc(hidden)]
pub unsafe fn call(
    kernel: KernelFn,
    ctx: *const RawContext,
    args: *const RawArg,
    nargs: usize,
    out: *mut RawResult,
) {
    let outcome = caught(|| {
        // SAFETY: the host's call contract (see the function's).
        let (ctx, args) = unsafe {
            let args: &[RawArg] = if nargs == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(args, nargs)
            };
            (Context::from_raw(ctx), Args::from_raw(args))
        };
        into_raw(kernel(&args, &ctx))
    });
    let result = outcome.unwrap_or_else(|payload| {
        let message = panic_message(&*payload);
        if catch_unwind(AssertUnwindSafe(move || drop(payload))).is_err() {
            // The second payload is leaked: dropping it could panic again.
        }
        let (data, len) = leak(message.into_bytes());
        RawResult {
            tag: abi::RESULT_PANIC,
            number: 0.0,
            data,
            len,
            free: Some(free_result),
        }
    });
    // SAFETY: `out` is writable (the function's contract).
    unsafe { out.write(result) };
}

/// Declares a `static` kernel table ([`abi::PluginDesc`]) named `$table` whose entries call
/// Rust kernels ([`KernelFn`]), without exporting it. [`export_kernels!`] does the same and
/// exports the table as a plugin. Each entry is a name, the parameter kinds ([`Param`]
/// variant names), optional ones after a `;`, and the function:
///
/// ```
/// use ferris_kernel_sdk::{kernel_table, Args, Context, KernelError, Value};
///
/// fn add(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
///     Ok(Value::Number(args.number(0) + args.number(1)))
/// }
///
/// kernel_table! {
///     static TABLE = {
///         "add"(Number, Number) => add,
///     }
/// }
/// assert_eq!(TABLE.n_kernels, 1);
/// ```
///
/// [`Param`]: crate::Param
#[macro_export]
macro_rules! kernel_table {
    (
        $(#[$meta:meta])*
        $vis:vis static $table:ident = {
            $( $name:literal ( $($param:ident),* $(; $($optional:ident),+ )? ) => $run:path ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis static $table: $crate::abi::PluginDesc = {
            const KERNELS: &[$crate::abi::KernelDesc] = &[
                $({
                    unsafe extern "C" fn entry(
                        ctx: *const $crate::abi::RawContext,
                        args: *const $crate::abi::RawArg,
                        nargs: usize,
                        out: *mut $crate::abi::RawResult,
                    ) {
                        // SAFETY: the host calls an entry point as the ABI says, which is
                        // `call`'s contract.
                        unsafe { $crate::__call($run, ctx, args, nargs, out) }
                    }
                    const PARAMS: &[u32] = &[
                        $($crate::Param::$param as u32,)*
                        $($($crate::Param::$optional as u32,)+)?
                    ];
                    const OPTIONAL: &[&str] = &[$($(stringify!($optional)),+)?];
                    $crate::abi::KernelDesc {
                        name: concat!($name, "\0").as_ptr().cast(),
                        params: PARAMS.as_ptr(),
                        n_params: PARAMS.len(),
                        optional: OPTIONAL.len(),
                        run: Some(entry),
                    }
                }),*
            ];
            $crate::abi::PluginDesc {
                kernels: KERNELS.as_ptr(),
                n_kernels: KERNELS.len(),
            }
        };
    };
}

/// Exports kernels written in Rust as a plugin: defines `ferris_kernel_abi_version` and
/// `ferris_kernel_plugin`, the two symbols the host looks up. Use it once, in a
/// `crate-type = ["cdylib"]` crate; the entries are written as in [`kernel_table!`].
///
/// ```
/// # use ferris_kernel_sdk::{Args, Context, KernelError, Value};
/// # fn scale(_: &Args<'_>, _: &Context<'_>) -> Result<Value, KernelError> { Ok(Value::Null) }
/// # fn busy(_: &Args<'_>, _: &Context<'_>) -> Result<Value, KernelError> { Ok(Value::Null) }
/// ferris_kernel_sdk::export_kernels! {
///     "scale"(Float64Array, Number) => scale,
///     "busy"(Number) => busy,
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_kernels {
    ( $($entries:tt)* ) => {
        $crate::kernel_table! {
            static FERRIS_KERNEL_TABLE = { $($entries)* }
        }

        /// The ABI version this plugin was built for (checked by the host first).
        #[no_mangle]
        pub extern "C" fn ferris_kernel_abi_version() -> u32 {
            $crate::abi::ABI_VERSION
        }

        /// The plugin's kernel table.
        #[no_mangle]
        pub extern "C" fn ferris_kernel_plugin() -> *const $crate::abi::PluginDesc {
            &FERRIS_KERNEL_TABLE
        }
    };
}
