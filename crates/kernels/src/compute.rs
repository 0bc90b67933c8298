//! Calibration kernels: a CPU spinner and a sleeper.
use std::time::{Duration, Instant};

use ferris_kernel_sdk::{cancelled, Args, Context, KernelError, Value};

/// Iterations between two looks at the cancellation flag: ~65 us of spinning, so a stop
/// request is seen quickly while the check costs nothing measurable.
const CHECK_EVERY: u64 = 1 << 16;

/// The xorshift64 step (Marsaglia 2003, shifts 13/7/17): three dependent ops, about 1 ns.
fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Seed of `spin`'s generator; any non-zero value works.
pub const SPIN_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// `spin(iterations)`: runs xorshift64 `iterations` times from [`SPIN_SEED`] and returns the top
/// 53 bits of the state, so a JS twin with BigInt gets the same number. `spin(0)` is the
/// cheapest possible task.
pub fn spin(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let mut remaining = args.count(0);
    let mut x = SPIN_SEED;
    while remaining > 0 {
        let step = remaining.min(CHECK_EVERY);
        for _ in 0..step {
            x = xorshift(x);
        }
        remaining -= step;
        if remaining > 0 && ctx.is_cancelled() {
            return Err(cancelled());
        }
    }
    Ok(Value::Number((x >> 11) as f64))
}

/// Longest single nap of `sleep`, so that a stop request is seen within this much time.
const NAP: Duration = Duration::from_millis(10);

/// `sleep(ms)`: blocks its worker thread for `ms` milliseconds and returns null.
pub fn sleep(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let deadline = Instant::now() + Duration::from_millis(args.count(0));
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Value::Null);
        }
        if ctx.is_cancelled() {
            return Err(cancelled());
        }
        std::thread::sleep(left.min(NAP));
    }
}
