//! What a running kernel sees of the host: cancellation, the worker count, and fork-join on
//! the host's pool, all through the function pointers of a [`RawContext`].
//!
//! Panics never cross the boundary: each forked piece runs under `catch_unwind` on this side,
//! and the first panic is resumed here once the host has returned, where the kernel call's
//! own `catch_unwind` reports it to the host.
use std::any::Any;
use std::ffi::c_void;
use std::ops::Range;
use std::panic::resume_unwind;
use std::sync::Mutex;

use crate::abi::RawContext;
use crate::args::{cancelled, KernelError};
use crate::unwind::caught;

/// The host's services for one running kernel call (or one forked piece of it).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    raw: &'a RawContext,
}

/// A split stopped because the task was cancelled; some pieces did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl From<Cancelled> for KernelError {
    fn from(_: Cancelled) -> Self {
        cancelled()
    }
}

type Panic = Box<dyn Any + Send>;

/// One half of a `join`: the closure going in, its outcome coming out.
struct Half<F, R> {
    job: Option<F>,
    outcome: Option<Result<R, Panic>>,
}

/// Runs one half of a `join` for the host.
///
/// # Safety
/// `ctx` is a valid context and `data` the `Half<F, R>` that `join` passed along, not in use
/// anywhere else (the host runs each half once).
unsafe extern "C" fn run_half<F, R>(ctx: *const RawContext, data: *mut c_void)
where
    F: FnOnce(&Context<'_>) -> R,
{
    // SAFETY: see the function's contract.
    let (half, ctx) = unsafe { (&mut *data.cast::<Half<F, R>>(), Context::from_raw(ctx)) };
    let job = half.job.take();
    half.outcome = Some(caught(move || {
        (job.expect("the host ran a forked half twice"))(&ctx)
    }));
}

/// The body of a `for_range` and the first panic of its pieces.
struct RangeBody<'f> {
    body: &'f (dyn Fn(&Context<'_>, Range<usize>) + Sync),
    panic: Mutex<Option<Panic>>,
}

/// Runs one piece of a `for_range` for the host.
///
/// # Safety
/// `ctx` is a valid context and `data` the `RangeBody` that `for_range` passed along.
unsafe extern "C" fn run_piece(
    ctx: *const RawContext,
    data: *mut c_void,
    start: usize,
    end: usize,
) {
    // SAFETY: see the function's contract; the body is only read, from any number of threads.
    let (body, ctx) = unsafe { (&*data.cast::<RangeBody<'_>>(), Context::from_raw(ctx)) };
    if let Err(panic) = caught(|| (body.body)(&ctx, start..end)) {
        let mut first = body.panic.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(panic);
        } else {
            // Its payload's drop could panic in turn: keep it from unwinding into the host.
            std::mem::forget(panic);
        }
    }
}

/// A pointer to the output buffer, shared by the pieces of `for_each_chunk_mut`.
struct Shared<T>(*mut T);
// SAFETY: the pieces write disjoint ranges of the buffer (checked in `for_each_chunk_mut`),
// and `T: Send` lets each piece's elements be written from another thread.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<'a> Context<'a> {
    /// Wraps the host's context.
    ///
    /// # Safety
    /// `raw` points at a valid context that outlives `'a`: what the host passes to a call.
    pub unsafe fn from_raw(raw: *const RawContext) -> Self {
        // SAFETY: see the function's contract.
        Context {
            raw: unsafe { &*raw },
        }
    }

    /// True once the task should stop: its time limit ran out, or the executor is being torn
    /// down. Look at it every millisecond or so in a loop that can run long.
    pub fn is_cancelled(&self) -> bool {
        // SAFETY: the host's function, called with the context it gave us.
        unsafe { (self.raw.is_cancelled)(self.raw) }
    }

    /// Worker threads of the host pool: how many ways forked work can spread.
    pub fn workers(&self) -> usize {
        // SAFETY: as in `is_cancelled`.
        unsafe { (self.raw.workers)(self.raw) }.max(1)
    }

    /// Runs `a` and `b`, potentially in parallel on the host pool, and returns both results.
    /// `b` may be stolen by an idle worker while `a` runs here. A panic in either is resumed
    /// here once both have finished.
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce(&Context<'_>) -> RA + Send,
        B: FnOnce(&Context<'_>) -> RB + Send,
        RA: Send,
        RB: Send,
    {
        let mut left = Half {
            job: Some(a),
            outcome: None,
        };
        let mut right = Half {
            job: Some(b),
            outcome: None,
        };
        // SAFETY: each half is passed as the `Half` its runner expects, and outlives the call,
        // which returns only once both halves have run. `A`, `B`, `RA`, `RB` are `Send`, so
        // either half may run on another worker.
        unsafe {
            (self.raw.join)(
                self.raw,
                run_half::<A, RA>,
                (&mut left as *mut Half<A, RA>).cast(),
                run_half::<B, RB>,
                (&mut right as *mut Half<B, RB>).cast(),
            )
        };
        match (left.outcome, right.outcome) {
            (Some(Ok(a)), Some(Ok(b))) => (a, b),
            (Some(Err(panic)), _) | (_, Some(Err(panic))) => resume_unwind(panic),
            _ => panic!("the host returned from join before running both halves"),
        }
    }

    /// Calls `body` on disjoint pieces covering `range`, of at most `grain` items (0: the host
    /// picks, about eight pieces per worker), in parallel on the host pool. Once the task is
    /// cancelled no further piece starts and the result is `Err(Cancelled)`. A panic in a
    /// piece is resumed here once every piece has finished.
    pub fn for_range(
        &self,
        range: Range<usize>,
        grain: usize,
        body: &(dyn Fn(&Context<'_>, Range<usize>) + Sync),
    ) -> Result<(), Cancelled> {
        if range.start < range.end {
            let shared = RangeBody {
                body,
                panic: Mutex::new(None),
            };
            // SAFETY: `run_piece` gets the `RangeBody` it expects, which outlives the call; the
            // body is `Sync`, so pieces may run on several workers at once.
            unsafe {
                (self.raw.for_range)(
                    self.raw,
                    range.start,
                    range.end,
                    grain,
                    run_piece,
                    (&shared as *const RangeBody<'_>).cast_mut().cast(),
                )
            };
            if let Some(panic) = shared.panic.into_inner().unwrap_or_else(|e| e.into_inner()) {
                resume_unwind(panic);
            }
        }
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Like [`for_range`](Self::for_range) over the indices of `data`, handing each piece its
    /// first index and its part of `data` to write.
    pub fn for_each_chunk_mut<T: Send>(
        &self,
        data: &mut [T],
        grain: usize,
        body: &(dyn Fn(&Context<'_>, usize, &mut [T]) + Sync),
    ) -> Result<(), Cancelled> {
        let len = data.len();
        let base = Shared(data.as_mut_ptr());
        let base = &base;
        self.for_range(0..len, grain, &|ctx, piece| {
            assert!(
                piece.start <= piece.end && piece.end <= len,
                "the host passed a piece outside the range"
            );
            // SAFETY: the piece lies within `data` (checked above), and the host hands out
            // disjoint pieces, so no two bodies see the same element; `data` is borrowed
            // mutably for the whole split.
            let chunk =
                unsafe { std::slice::from_raw_parts_mut(base.0.add(piece.start), piece.len()) };
            body(ctx, piece.start, chunk)
        })
    }
}
