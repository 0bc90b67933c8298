//! `fib`: naive recursive Fibonacci that forks above a cutoff, the classic fork-join test.

use ferris_kernel_sdk::{cancelled, Args, Context, KernelError, Value};

/// Calls at or below this `n` recurse on one thread (fib(20) is ~20k calls, ~30 us).
const CUTOFF: u64 = 20;

/// Largest `n` whose result a double holds exactly.
const MAX_N: u64 = 78;

fn sequential(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        sequential(n - 1) + sequential(n - 2)
    }
}

/// `None` once the task was cancelled (checked at every call: above the cutoff, the call tree
/// of a large `n` is far too big to walk to the end even doing nothing).
fn forking(ctx: &Context<'_>, n: u64) -> Option<u64> {
    if ctx.is_cancelled() {
        return None;
    }
    if n <= CUTOFF {
        return Some(sequential(n));
    }
    let (a, b) = ctx.join(|ctx| forking(ctx, n - 1), |ctx| forking(ctx, n - 2));
    Some(a? + b?)
}

/// `fib(n)`: the n-th Fibonacci number by naive recursion (exponential time on purpose: it is
/// a benchmark of fork-join), forking both calls above n = 20.
pub fn fib(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let n = args.count(0);
    if n > MAX_N {
        return Err(KernelError::new(format!(
            "n = {n} is above {MAX_N}, whose result is the last a double holds exactly"
        )));
    }
    let result = forking(ctx, n).ok_or_else(cancelled)?;
    Ok(Value::Number(result as f64))
}
