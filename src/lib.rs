//! The N-API binding of ferris-executor: converts JavaScript values into pool tasks and kernel
//! arguments, and pool events back into JavaScript values. Scheduling lives in `ferris-pool`,
//! kernels in `ferris-kernels`, the public API in `lib/executor.ts`.
// `#[napi]` registers the exported items only outside `cfg(test)`, so the test build of this
// crate sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod array_copy;
mod event_loop;
mod executor;
mod handles;
mod kernels;
mod plugins;
mod stats;
mod system;
mod wire;
mod workers;
