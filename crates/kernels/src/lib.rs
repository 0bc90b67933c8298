//! Native kernels of ferris-executor and the registry that names them, with no Node.js in it.
//!
//! A kernel is a plain function from checked arguments to a [`Value`], run on a pool worker.
//! The binding converts JavaScript arguments according to the kernel's [`Param`] list before
//! the task is queued, so a kernel receives exactly the types it declared; it still checks
//! the values it cares about (lengths that must match, sizes, ranges) and reports bad ones as
//! a [`KernelError`], which rejects the task's future with the message.
//!
//! Rules for a kernel: allocate nothing larger than [`MAX_ELEMENTS`] (use [`output_len`]);
//! in any loop that can run long, look at [`TaskContext::is_cancelled`] every millisecond or
//! so and return [`cancelled`] when it is up; split big work over the pool with
//! [`TaskContext::join`] (the `parallel` module does it for ranges and rows).
//!
//! Adding a kernel is one function plus one line in [`REGISTRY`]:
//!
//! ```
//! use ferris_kernels::{Args, Kernel, KernelError, Param, Value};
//! use ferris_pool::TaskContext;
//!
//! /// `scale(data, factor)`: a new Float64Array of `data` times `factor`.
//! fn scale(args: &Args<'_>, _ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
//!     let (data, factor) = (args.floats(0), args.number(1));
//!     Ok(Value::Float64Array(data.iter().map(|x| x * factor).collect()))
//! }
//!
//! // The line in REGISTRY:
//! # let _ =
//! Kernel::new("scale", &[Param::Float64Array, Param::Number], scale)
//! # ;
//! ```
//!
//! Its handle then appears in JavaScript as `getKernel('scale')`; for a typed
//! `kernels.scale`, add one line to the `Kernels` interface and object in `lib/kernels.ts`.
mod args;
mod compute;
mod fib;
mod hash;
mod histogram;
mod linalg;
mod mandelbrot;
mod monte_carlo;
mod parallel;
mod primes;
mod sort;
mod testing;

pub use args::{cancelled, output_len, Arg, Args, KernelError, Param, Value, MAX_ELEMENTS};
pub use compute::SPIN_SEED;
use ferris_pool::TaskContext;
pub use sort::compare as sort_order;

/// The signature every kernel has.
pub type KernelFn = fn(&Args<'_>, &TaskContext<'_>) -> Result<Value, KernelError>;

/// A named kernel and the parameters it takes, in order.
pub struct Kernel {
    pub name: &'static str,
    pub params: &'static [Param],
    /// How many of the last `params` may be left out (the kernel then sees [`Arg::Missing`]).
    pub optional: usize,
    pub run: KernelFn,
}

impl Kernel {
    pub const fn new(name: &'static str, params: &'static [Param], run: KernelFn) -> Self {
        Kernel {
            name,
            params,
            optional: 0,
            run,
        }
    }

    /// The same kernel with its last `n` parameters optional.
    pub const fn optional(self, n: usize) -> Self {
        assert!(n <= self.params.len());
        Kernel {
            optional: n,
            ..self
        }
    }

    /// Fewest arguments a call passes.
    pub fn required(&self) -> usize {
        self.params.len() - self.optional
    }
}

use Param::{Count, Float64Array, Number, Uint8Array};

/// Every kernel, in the order `listKernels()` reports them.
pub static REGISTRY: &[Kernel] = &[
    Kernel::new("spin", &[Count], compute::spin),
    Kernel::new("sleep", &[Count], compute::sleep),
    Kernel::new("sumOfSquares", &[Float64Array], linalg::sum_of_squares),
    Kernel::new("dot", &[Float64Array, Float64Array], linalg::dot),
    Kernel::new(
        "matmul",
        &[Float64Array, Float64Array, Count],
        linalg::matmul,
    ),
    Kernel::new("mandelbrot", &[Count; 5], mandelbrot::mandelbrot).optional(2),
    Kernel::new("primeCount", &[Count, Count], primes::prime_count),
    Kernel::new("sort", &[Float64Array], sort::sort),
    Kernel::new("fib", &[Count], fib::fib),
    Kernel::new("monteCarloPi", &[Count, Count], monte_carlo::monte_carlo_pi),
    Kernel::new(
        "histogram",
        &[Float64Array, Count, Number, Number],
        histogram::histogram,
    ),
    Kernel::new("sha256", &[Uint8Array], hash::sha256),
    Kernel::new("testing.fail", &[Param::String], testing::fail),
    Kernel::new("testing.panic", &[Param::String], testing::panic),
];

/// Index of the kernel called `name` in [`REGISTRY`].
pub fn find(name: &str) -> Option<usize> {
    REGISTRY.iter().position(|k| k.name == name)
}
