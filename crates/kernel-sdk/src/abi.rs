//! The C ABI between the ferris-executor addon (the host) and a kernel library, version
//! [`ABI_VERSION`]: the Rust spelling of `include/ferris_kernel.h`, which ABI.md documents.
//! Only `#[repr(C)]` structs, fixed-width integers, `f64`, raw pointers and `extern "C"`
//! function pointers cross the boundary, so the two sides may come from different compilers.
use std::ffi::{c_char, c_void};

/// Version of this ABI. The host refuses a library whose `ferris_kernel_abi_version()` returns
/// anything else, before it looks at any other symbol.
pub const ABI_VERSION: u32 = 1;

/// Name of the exported `uint32_t ferris_kernel_abi_version(void)`.
pub const VERSION_SYMBOL: &str = "ferris_kernel_abi_version";
/// Name of the exported `const FerrisPlugin *ferris_kernel_plugin(void)`.
pub const PLUGIN_SYMBOL: &str = "ferris_kernel_plugin";

/// Parameter kinds (`FERRIS_PARAM_*`).
pub const PARAM_COUNT: u32 = 1;
pub const PARAM_NUMBER: u32 = 2;
pub const PARAM_FLOAT64ARRAY: u32 = 3;
pub const PARAM_UINT8ARRAY: u32 = 4;
pub const PARAM_STRING: u32 = 5;

/// Argument tags (`FERRIS_ARG_*`).
pub const ARG_MISSING: u32 = 0;
pub const ARG_NUMBER: u32 = 1;
pub const ARG_FLOAT64ARRAY: u32 = 2;
pub const ARG_UINT8ARRAY: u32 = 3;
pub const ARG_STRING: u32 = 4;

/// Result tags (`FERRIS_RESULT_*`).
pub const RESULT_NULL: u32 = 0;
pub const RESULT_NUMBER: u32 = 1;
pub const RESULT_FLOAT64ARRAY: u32 = 2;
pub const RESULT_UINT32ARRAY: u32 = 3;
pub const RESULT_UINT8ARRAY: u32 = 4;
pub const RESULT_ERROR: u32 = 5;
pub const RESULT_PANIC: u32 = 6;

/// One argument of a call (`FerrisArg`): `number` for a number, `data`/`len` (elements) for an
/// array, UTF-8 bytes for a string. Borrowed from the host for the duration of the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawArg {
    pub tag: u32,
    pub number: f64,
    pub data: *const c_void,
    pub len: usize,
}

/// Frees what a kernel returned in a [`RawResult`]; called once, from any thread.
pub type FreeFn = unsafe extern "C" fn(tag: u32, data: *mut c_void, len: usize);

/// What a kernel call produced (`FerrisResult`). The host fills it with a null result before
/// the call. `data`/`len` hold an array (elements) or an error message (UTF-8 bytes); `free`,
/// if not null, is how the host gives that memory back.
#[repr(C)]
#[derive(Debug)]
pub struct RawResult {
    pub tag: u32,
    pub number: f64,
    pub data: *mut c_void,
    pub len: usize,
    pub free: Option<FreeFn>,
}

impl RawResult {
    /// The null result, which the host writes before each call.
    pub const fn null() -> Self {
        RawResult {
            tag: RESULT_NULL,
            number: 0.0,
            data: std::ptr::null_mut(),
            len: 0,
            free: None,
        }
    }
}

/// A piece of forked work: `join` calls it with the context of the worker that runs it.
pub type TaskFn = unsafe extern "C" fn(ctx: *const RawContext, data: *mut c_void);
/// A piece of a parallel range: `[start, end)`.
pub type RangeFn =
    unsafe extern "C" fn(ctx: *const RawContext, data: *mut c_void, start: usize, end: usize);

/// The host's services for a running kernel (`FerrisContext`), valid only during the call (or
/// the forked piece) it was passed to. `host` is the host's own state, opaque to the kernel.
#[repr(C)]
pub struct RawContext {
    pub host: *const c_void,
    /// True once the task should stop (time limit reached, executor torn down).
    pub is_cancelled: unsafe extern "C" fn(ctx: *const RawContext) -> bool,
    /// Worker threads of the pool.
    pub workers: unsafe extern "C" fn(ctx: *const RawContext) -> usize,
    /// Runs `a(a_data)` and `b(b_data)`, potentially in parallel on the host pool; returns
    /// once both have returned.
    pub join: unsafe extern "C" fn(
        ctx: *const RawContext,
        a: TaskFn,
        a_data: *mut c_void,
        b: TaskFn,
        b_data: *mut c_void,
    ),
    /// Calls `body` on disjoint pieces covering `[start, end)`, of at most `grain` items (0:
    /// the host picks), in parallel; pieces not started when the task is cancelled are skipped.
    pub for_range: unsafe extern "C" fn(
        ctx: *const RawContext,
        start: usize,
        end: usize,
        grain: usize,
        body: RangeFn,
        data: *mut c_void,
    ),
}

/// A kernel entry point: reads `nargs` arguments, writes its result to `out`. It must not
/// unwind or longjmp out, and may run on several threads at once.
pub type KernelFn = unsafe extern "C" fn(
    ctx: *const RawContext,
    args: *const RawArg,
    nargs: usize,
    out: *mut RawResult,
);

/// One kernel of a library (`FerrisKernelDesc`).
#[repr(C)]
#[derive(Debug)]
pub struct KernelDesc {
    /// NUL-terminated UTF-8.
    pub name: *const c_char,
    /// `n_params` parameter kinds (`PARAM_*`).
    pub params: *const u32,
    pub n_params: usize,
    /// How many of the last parameters may be left out (passed as `ARG_MISSING`).
    pub optional: usize,
    pub run: Option<KernelFn>,
}

// SAFETY: a descriptor only points at static, immutable data (its name and parameter list)
// and at a function; sharing it between threads reads nothing that changes.
unsafe impl Sync for KernelDesc {}

/// What `ferris_kernel_plugin()` returns (`FerrisPlugin`): the library's kernels, in static
/// memory that stays valid while the library is loaded.
#[repr(C)]
#[derive(Debug)]
pub struct PluginDesc {
    pub kernels: *const KernelDesc,
    pub n_kernels: usize,
}

// SAFETY: as for `KernelDesc`: it points at a static, immutable array.
unsafe impl Sync for PluginDesc {}
