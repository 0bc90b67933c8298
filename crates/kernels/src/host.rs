//! The host side of the kernel ABI: calling a kernel's entry point on a pool worker, the
//! context functions it calls back (cancellation, workers, fork-join on the pool), and what
//! it returns.
//!
//! Rules: a [`RawContext`] lives on the stack of the host function that made it and is only
//! valid while the kernel (or forked piece) it was passed to runs. Memory a kernel returns is
//! owned by the host until it calls the kernel's free function, exactly once (when the
//! [`ForeignArray`] is dropped, or at once for a message). A kernel's reported panic is
//! resumed here as a host panic, so the pool reports it as for any panicking task.
use std::ffi::c_void;
use std::panic::resume_unwind;

use ferris_kernel_sdk::abi::{self, FreeFn, RangeFn, RawArg, RawContext, RawResult, TaskFn};
use ferris_kernel_sdk::{KernelError, Value};
use ferris_pool::TaskContext;

use crate::parallel::grain_for;

/// A pointer handed to another worker: the kernel vouched that its data may be (its Rust
/// side requires `Send` of what it points at).
#[derive(Clone, Copy)]
struct SendPtr(*mut c_void);
// SAFETY: see the type's doc: the kernel passes only data it allows on other threads.
unsafe impl Send for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so that closures capture the whole `SendPtr`).
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// The task context behind a raw context made by [`with_context`].
///
/// # Safety
/// `ctx` is a context made by `with_context` that is still in use.
unsafe fn task<'a>(ctx: *const RawContext) -> &'a TaskContext<'a> {
    // SAFETY: see the function's contract: `host` is the `TaskContext` it was made from.
    unsafe { &*(*ctx).host.cast::<TaskContext<'a>>() }
}

unsafe extern "C" fn is_cancelled(ctx: *const RawContext) -> bool {
    // SAFETY: the kernel passes back the context it was given.
    unsafe { task(ctx) }.is_cancelled()
}

unsafe extern "C" fn workers(ctx: *const RawContext) -> usize {
    // SAFETY: as in `is_cancelled`.
    unsafe { task(ctx) }.workers()
}

unsafe extern "C" fn join(
    ctx: *const RawContext,
    a: TaskFn,
    a_data: *mut c_void,
    b: TaskFn,
    b_data: *mut c_void,
) {
    let (a_data, b_data) = (SendPtr(a_data), SendPtr(b_data));
    // SAFETY: as in `is_cancelled`; each half gets a context of the worker running it, and
    // its data as the kernel passed it. The halves do not unwind (the ABI forbids it), so
    // the pool's join returns normally once both have run.
    unsafe { task(ctx) }.join(
        move |ctx| with_context(ctx, |raw| unsafe { a(raw, a_data.get()) }),
        move |ctx| with_context(ctx, |raw| unsafe { b(raw, b_data.get()) }),
    );
}

/// Halves `[start, end)` down to pieces of `grain` items and runs `body` on each, skipping the
/// pieces not started once the task is cancelled.
fn split(
    ctx: &TaskContext<'_>,
    start: usize,
    end: usize,
    grain: usize,
    body: RangeFn,
    data: SendPtr,
) {
    if ctx.is_cancelled() {
        return;
    }
    if end - start <= grain {
        // SAFETY: the kernel's body, with its data and a live context, on a piece of its range.
        return with_context(ctx, |raw| unsafe { body(raw, data.get(), start, end) });
    }
    let mid = start + (end - start) / 2;
    ctx.join(
        move |ctx| split(ctx, start, mid, grain, body, data),
        move |ctx| split(ctx, mid, end, grain, body, data),
    );
}

unsafe extern "C" fn for_range(
    ctx: *const RawContext,
    start: usize,
    end: usize,
    grain: usize,
    body: RangeFn,
    data: *mut c_void,
) {
    // SAFETY: as in `is_cancelled`.
    let ctx = unsafe { task(ctx) };
    if start < end {
        let grain = match grain {
            0 => grain_for(ctx.workers(), end - start, 1),
            grain => grain,
        };
        split(ctx, start, end, grain, body, SendPtr(data));
    }
}

/// Calls `f` with a raw context over `ctx`, valid until `f` returns.
pub(crate) fn with_context<R>(ctx: &TaskContext<'_>, f: impl FnOnce(&RawContext) -> R) -> R {
    let raw = RawContext {
        host: (ctx as *const TaskContext<'_>).cast(),
        is_cancelled,
        workers,
        join,
        for_range,
    };
    f(&raw)
}

/// Element type of a kernel's array result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayKind {
    Float64,
    Uint32,
    Uint8,
}

impl ArrayKind {
    fn size(self) -> usize {
        match self {
            ArrayKind::Float64 => 8,
            ArrayKind::Uint32 => 4,
            ArrayKind::Uint8 => 1,
        }
    }
}

/// An array a kernel returned, in the kernel's memory, freed by the kernel's free function
/// when this is dropped.
#[derive(Debug)]
pub struct ForeignArray {
    kind: ArrayKind,
    tag: u32,
    data: *mut c_void,
    len: usize,
    free: Option<FreeFn>,
}

// SAFETY: the kernel handed the memory over to the host; the ABI lets its free function run
// on any thread.
unsafe impl Send for ForeignArray {}

impl ForeignArray {
    pub fn kind(&self) -> ArrayKind {
        self.kind
    }

    /// Length in elements.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first element (aligned for the element type, not null unless empty); it stays
    /// valid until this is dropped.
    pub fn as_ptr(&self) -> *mut c_void {
        self.data
    }

    fn elements<T>(&self) -> &[T] {
        if self.len == 0 || self.data.is_null() {
            return &[];
        }
        // SAFETY: `decode` checked the pointer (not null, aligned for the kind, whose element
        // type the callers pass as `T`); the kernel vouched for `len` initialised elements.
        unsafe { std::slice::from_raw_parts(self.data.cast(), self.len) }
    }

    /// A copy as a [`Value`] (for tests and baselines; the binding hands out the memory itself).
    pub fn to_value(&self) -> Value {
        match self.kind {
            ArrayKind::Float64 => Value::Float64Array(self.elements::<f64>().to_vec()),
            ArrayKind::Uint32 => Value::Uint32Array(self.elements::<u32>().to_vec()),
            ArrayKind::Uint8 => Value::Uint8Array(self.elements::<u8>().to_vec()),
        }
    }
}

impl Drop for ForeignArray {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the kernel's free function, once, with what it returned.
            unsafe { free(self.tag, self.data, self.len) };
        }
    }
}

/// What a kernel call returned.
#[derive(Debug)]
pub enum Output {
    Null,
    Number(f64),
    Array(ForeignArray),
}

impl Output {
    /// A copy as a [`Value`].
    pub fn to_value(&self) -> Value {
        match self {
            Output::Null => Value::Null,
            Output::Number(n) => Value::Number(*n),
            Output::Array(array) => array.to_value(),
        }
    }
}

/// Reads what a kernel wrote. A reported panic is resumed (without the panic hook: the
/// kernel's side already reported it) for the pool to catch; so is a malformed result.
pub(crate) fn decode(raw: RawResult) -> Result<Output, KernelError> {
    let owned = |kind| ForeignArray {
        kind,
        tag: raw.tag,
        data: raw.data,
        len: raw.len,
        free: if raw.data.is_null() { None } else { raw.free },
    };
    let kind = match raw.tag {
        abi::RESULT_NULL => return Ok(Output::Null),
        abi::RESULT_NUMBER => return Ok(Output::Number(raw.number)),
        abi::RESULT_FLOAT64ARRAY => ArrayKind::Float64,
        abi::RESULT_UINT32ARRAY => ArrayKind::Uint32,
        abi::RESULT_UINT8ARRAY => ArrayKind::Uint8,
        abi::RESULT_ERROR | abi::RESULT_PANIC => {
            let bytes = owned(ArrayKind::Uint8);
            let message = String::from_utf8_lossy(bytes.elements::<u8>()).into_owned();
            drop(bytes);
            if raw.tag == abi::RESULT_ERROR {
                return Err(KernelError::new(message));
            }
            resume_unwind(Box::new(message));
        }
        tag => {
            drop(owned(ArrayKind::Uint8));
            resume_unwind(Box::new(format!(
                "it returned the unknown result tag {tag}"
            )));
        }
    };
    let array = owned(kind);
    if raw.len > 0 && (raw.data.is_null() || !(raw.data as usize).is_multiple_of(kind.size())) {
        drop(array);
        resume_unwind(Box::new(format!(
            "it returned an array at {:p}, which is null or misaligned",
            raw.data
        )));
    }
    Ok(Output::Array(array))
}

/// Calls a kernel entry point with `args` on the worker running `ctx`.
pub(crate) fn call(
    run: abi::KernelFn,
    args: &[RawArg],
    ctx: &TaskContext<'_>,
) -> Result<Output, KernelError> {
    let mut out = RawResult::null();
    // SAFETY: the ABI's call contract: a live context, `args.len()` arguments that stay valid
    // for the call (the caller's), and a writable result.
    with_context(ctx, |raw| unsafe {
        run(raw, args.as_ptr(), args.len(), &mut out)
    });
    decode(out)
}
