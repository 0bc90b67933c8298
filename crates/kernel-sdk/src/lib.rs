//! Write native kernels for ferris-executor, built into the addon or loaded at run time from
//! a plugin with `registerKernels(path)`.
//!
//! A kernel is a plain function from its checked [`Args`] to a [`Value`], run on a worker of
//! the host's pool with a [`Context`] for cancellation and fork-join. The host converts
//! JavaScript arguments according to the kernel's declared [`Param`] list before the task is
//! queued, so a kernel receives exactly the types it declared; it still checks the values it
//! cares about (lengths that must match, sizes, ranges) and reports bad ones as a
//! [`KernelError`], which rejects the task's future with the message. A panic rejects it
//! with `KernelPanicError`; it never unwinds into the host.
//!
//! Rules for a kernel: allocate nothing larger than [`MAX_ELEMENTS`] (use [`output_len`]);
//! in any loop that can run long, look at [`Context::is_cancelled`] every millisecond or so
//! and return [`cancelled`] when it is up; split big work over the pool with
//! [`Context::join`] or [`Context::for_range`].
//!
//! A plugin is a `cdylib` crate that lists its kernels once with [`export_kernels!`]:
//!
//! ```
//! use ferris_kernel_sdk::{export_kernels, Args, Context, KernelError, Value};
//!
//! /// `scale(data, factor)`: a new Float64Array of `data` times `factor`.
//! fn scale(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
//!     let (data, factor) = (args.floats(0), args.number(1));
//!     Ok(Value::Float64Array(data.iter().map(|x| x * factor).collect()))
//! }
//!
//! export_kernels! {
//!     "scale"(Float64Array, Number) => scale,
//! }
//! # fn main() {}
//! ```
//!
//! Underneath is a C ABI ([`abi`], `include/ferris_kernel.h`, ABI.md), so a plugin may also be
//! written in C, or built by another Rust compiler than the host.
pub mod abi;
mod args;
mod context;
mod export;
mod unwind;

pub use args::{cancelled, output_len, Arg, Args, KernelError, Param, Value, MAX_ELEMENTS};
pub use context::{Cancelled, Context};
#[doc(hidden)]
pub use export::call as __call;
pub use export::{free_result, KernelFn};
