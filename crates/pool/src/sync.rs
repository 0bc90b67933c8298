//! The synchronization primitives of the pool's protocols, in one place so that they can be
//! model-checked: under `--cfg loom` they are loom's instrumented versions (see
//! `loom_tests.rs`), otherwise the standard library's.
//!
//! Only the protocols loom can explore go through here (the sleep/wake handshake in
//! `sleep.rs`, the start-or-cancel decision in `task.rs`, the depth and slot accounting in
//! `depth.rs` and `slots.rs`). Under loom, a searcher's backoff looks twice and yields to
//! loom's scheduler in between: the real one looks a bounded number of times, two looks
//! already interleave with every other step, and each extra look multiplies the schedules
//! loom explores. The queues are crossbeam deques, which loom cannot instrument, so the
//! modules built on them keep `std` directly.
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

#[cfg(not(loom))]
pub(crate) use crossbeam_utils::Backoff;

#[cfg(loom)]
pub(crate) use loom_backoff::Backoff;

#[cfg(loom)]
mod loom_backoff {
    use std::cell::Cell;

    /// crossbeam's `Backoff` for loom: done after two snoozes; a snooze or spin is a loom yield.
    #[derive(Default)]
    pub(crate) struct Backoff(Cell<u8>);

    impl Backoff {
        pub fn new() -> Self {
            Self::default()
        }

        pub fn snooze(&self) {
            self.0.set(self.0.get() + 1);
            loom::thread::yield_now();
        }

        pub fn spin(&self) {
            self.snooze();
        }

        pub fn is_completed(&self) -> bool {
            self.0.get() >= 2
        }
    }
}
