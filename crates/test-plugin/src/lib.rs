//! A kernel plugin for the specs and benchmarks, next to the example plugin (which has exactly
//! its three kernels): kernels that panic, in the call and in a forked half, across a real
//! library boundary, a trivial kernel to measure the cost of a plugin call, and a kernel that
//! holds its pool thread until the spec releases it (so a spec never races a timer).
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ferris_kernel_sdk::{export_kernels, Args, Context, KernelError, Value};

/// `fixture.panic(message)`: panics with `message`.
fn panic(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    panic!("{}", args.text(0))
}

/// `fixture.panicInHalf(message)`: panics with `message` in the second half of a join.
fn panic_in_half(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let message = args.text(0);
    let (left, ()) = ctx.join(|_| 1.0, |_| panic!("{message}"));
    Ok(Value::Number(left))
}

/// `fixture.echo(n)`: returns `n`: a plugin call that does nothing else, as `spin(0)` does
/// for a built-in one.
fn echo(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Ok(Value::Number(args.number(0)))
}

/// How long `fixture.hold` waits for its release before it fails: a spec that forgets to
/// release gets an error, not a hung run.
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// `fixture.hold(flag)`: runs until `flag[0]` is non-zero (set by the spec with
/// `Atomics.store` on a `Uint8Array` over a `SharedArrayBuffer`, which kernels read in place),
/// the task is cancelled, or [`HOLD_LIMIT`] passes. Returns the number of polls.
fn hold(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let flag = args.bytes(0);
    if flag.is_empty() {
        return Err(KernelError::new(
            "fixture.hold needs a flag of at least one byte",
        ));
    }
    // SAFETY: the byte lives in the argument's buffer, which the host keeps alive until this
    // call returns; `AtomicU8` has the layout of `u8`; the spec writes it only with `Atomics`,
    // so every access to it is atomic.
    let flag = unsafe { AtomicU8::from_ptr(flag.as_ptr().cast_mut()) };
    let start = Instant::now();
    let mut polls = 0u64;
    while flag.load(Ordering::Acquire) == 0 {
        if ctx.is_cancelled() {
            return Err(ferris_kernel_sdk::cancelled());
        }
        if start.elapsed() > HOLD_LIMIT {
            return Err(KernelError::new("fixture.hold was never released"));
        }
        polls += 1;
        // Short naps: two held threads leave the hold within ~0.1 ms of each other (the specs'
        // scenario of workers freed at the same moment), and leave the cores to the main thread.
        thread::sleep(Duration::from_micros(50));
    }
    Ok(Value::Number(polls as f64))
}

export_kernels! {
    "fixture.panic"(String) => panic,
    "fixture.panicInHalf"(String) => panic_in_half,
    "fixture.echo"(Count) => echo,
    "fixture.hold"(Uint8Array) => hold,
}
