//! Native kernels of ferris-executor and the registry that names them, with no Node.js in it.
//!
//! A kernel is a plain function from checked arguments to a [`Value`], run on a pool worker.
//! The binding converts JavaScript arguments according to the kernel's [`Param`] list before
//! the task is queued, so a kernel receives exactly the types it declared; it still checks
//! the values it cares about and reports bad ones as a [`KernelError`].
//!
//! Adding a kernel is one function plus one line in [`REGISTRY`]:
//!
//! ```
//! use ferris_kernels::{Args, KernelError, Value};
//! use ferris_pool::TaskContext;
//!
//! /// `double(x)` -> 2x
//! fn double(args: &Args<'_>, _ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
//!     Ok(Value::Number(args.number(0) * 2.0))
//! }
//! // and in REGISTRY: Kernel { name: "double", params: &[Param::Number], run: double },
//! ```
mod args;
mod compute;
mod testing;

pub use args::{Arg, Args, KernelError, Param, Value};
pub use compute::SPIN_SEED;
use ferris_pool::TaskContext;

/// The signature every kernel has.
pub type KernelFn = fn(&Args<'_>, &TaskContext<'_>) -> Result<Value, KernelError>;

/// A named kernel and the parameters it takes, in order.
pub struct Kernel {
    pub name: &'static str,
    pub params: &'static [Param],
    pub run: KernelFn,
}

/// Every kernel, in the order `listKernels()` reports them.
pub static REGISTRY: &[Kernel] = &[
    Kernel {
        name: "spin",
        params: &[Param::Count],
        run: compute::spin,
    },
    Kernel {
        name: "sleep",
        params: &[Param::Count],
        run: compute::sleep,
    },
    Kernel {
        name: "sumOfSquares",
        params: &[Param::Float64Array],
        run: compute::sum_of_squares,
    },
    Kernel {
        name: "testing.fail",
        params: &[Param::String],
        run: testing::fail,
    },
    Kernel {
        name: "testing.panic",
        params: &[Param::String],
        run: testing::panic,
    },
];

/// Index of the kernel called `name` in [`REGISTRY`].
pub fn find(name: &str) -> Option<usize> {
    REGISTRY.iter().position(|k| k.name == name)
}
