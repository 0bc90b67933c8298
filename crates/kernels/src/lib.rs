//! Native kernels of ferris-executor, the registry that names them, and the host side of the
//! kernel ABI, with no Node.js in it.
//!
//! Every kernel, built in or loaded from a plugin, is called the same way: through a
//! descriptor of the C ABI of `ferris-kernel-sdk` ([`abi::KernelDesc`]). The built-in ones
//! are written with that crate like any plugin and listed in one table ([`BUILTINS`]), which
//! the registry reads with the same code as a plugin's table. See the SDK for the rules of
//! writing a kernel; adding a built-in one is one function plus one line in [`BUILTINS`]:
//!
//! ```
//! use ferris_kernel_sdk::{Args, Context, KernelError, Value};
//!
//! /// `scale(data, factor)`: a new Float64Array of `data` times `factor`.
//! fn scale(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
//!     let (data, factor) = (args.floats(0), args.number(1));
//!     Ok(Value::Float64Array(data.iter().map(|x| x * factor).collect()))
//! }
//!
//! // The line in BUILTINS:
//! # ferris_kernel_sdk::kernel_table! { static T = {
//! "scale"(Float64Array, Number) => scale,
//! # } }
//! ```
//!
//! Its handle then appears in JavaScript as `getKernel('scale')`; for a typed
//! `kernels.scale`, add one line to the `Kernels` interface and object in `lib/kernels.ts`.
mod compute;
mod fib;
#[cfg(target_arch = "x86_64")]
mod gemm;
mod hash;
mod histogram;
mod limits;
mod linalg;
mod mandelbrot;
mod monte_carlo;
mod parallel;
mod primes;
mod simd;
mod sort;
mod testing;

mod host;
mod plugin;
mod registry;

pub use compute::SPIN_SEED;
pub use ferris_kernel_sdk::{
    abi, cancelled, output_len, Arg, Args, Context, KernelError, Param, Value, MAX_ELEMENTS,
};
pub use host::{ArrayKind, ForeignArray, Output};
pub use plugin::PluginError;
pub use registry::{all, find, get, register_plugin, Kernel, MAX_KERNELS};
pub use simd::{isa, isa_name, Isa, FORCE_SCALAR_VAR};
pub use sort::compare as sort_order;

ferris_kernel_sdk::kernel_table! {
    /// Every built-in kernel, in the order `listKernels()` reports them: the same kind of
    /// table a plugin exports, read by the same code.
    pub static BUILTINS = {
        "spin"(Count) => compute::spin,
        "sleep"(Count) => compute::sleep,
        "sumOfSquares"(Float64Array) => linalg::sum_of_squares,
        "dot"(Float64Array, Float64Array) => linalg::dot,
        "matmul"(Float64Array, Float64Array, Count) => linalg::matmul,
        "mandelbrot"(Count, Count, Count; Count, Count) => mandelbrot::mandelbrot,
        "primeCount"(Count, Count) => primes::prime_count,
        "sort"(Float64Array) => sort::sort,
        "fib"(Count) => fib::fib,
        "monteCarloPi"(Count, Count) => monte_carlo::monte_carlo_pi,
        "histogram"(Float64Array, Count, Number, Number) => histogram::histogram,
        "sha256"(Uint8Array) => hash::sha256,
        "limits.memoryRead"(Count) => limits::memory_read,
        "limits.peakFma"(Count) => limits::peak_fma,
        "testing.fail"(String) => testing::fail,
        "testing.panic"(String) => testing::panic,
        "testing.scale"(Float64Array, Number) => testing::scale,
    }
}
