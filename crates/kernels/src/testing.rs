//! Kernels that fail on purpose, for tests of error and panic handling.

use ferris_kernel_sdk::{Args, Context, KernelError, Value};

/// `testing.fail(message)`: fails with a `KernelError` carrying `message`.
pub fn fail(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Err(KernelError::new(args.text(0)))
}

/// `testing.panic(message)`: panics with `message`; the pool must contain it.
pub fn panic(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    panic!("{}", args.text(0))
}

/// `testing.scale(data, factor)`: the example plugin's `scale`, compiled into the addon from
/// the same source file, so that the benchmark compares one loop loaded both ways.
#[path = "../../../examples/kernel-plugin/src/scale.rs"]
mod plugin_scale;
pub use plugin_scale::scale;
