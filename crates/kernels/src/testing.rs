//! Kernels that fail on purpose, for tests of error and panic handling.
use ferris_pool::TaskContext;

use crate::args::{Args, KernelError, Value};

/// `testing.fail(message)`: fails with a `KernelError` carrying `message`.
pub fn fail(args: &Args<'_>, _ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
    Err(KernelError::new(args.text(0)))
}

/// `testing.panic(message)`: panics with `message`; the pool must contain it.
pub fn panic(args: &Args<'_>, _ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
    panic!("{}", args.text(0))
}
