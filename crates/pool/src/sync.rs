//! The synchronization primitives of the pool's protocols, in one place so that they can be
//! model-checked: under `--cfg loom` they are loom's instrumented versions (see
//! `loom_tests.rs`), otherwise the standard library's.
//!
//! Only the protocols loom can explore go through here (the sleep/wake handshake in
//! `sleep.rs`, the start-or-cancel decision in `task.rs`, the depth and slot accounting in
//! `depth.rs` and `slots.rs`). The queues are crossbeam deques,
//! which loom cannot instrument, so the modules built on them keep `std` directly.
#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};
