//! A kernel plugin for the specs and benchmarks, next to the example plugin (which has exactly
//! its three kernels): kernels that panic, in the call and in a forked half, across a real
//! library boundary, and a trivial kernel to measure the cost of a plugin call.
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

export_kernels! {
    "fixture.panic"(String) => panic,
    "fixture.panicInHalf"(String) => panic_in_half,
    "fixture.echo"(Count) => echo,
}
