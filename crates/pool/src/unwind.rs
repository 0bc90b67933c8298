//! Panics crossing the pool's own code: their messages, their payloads, and the one place a
//! panic must never pass. Tasks and forked jobs run under [`caught`], so that a panic the pool
//! reports (as the task's failure, with its location) is not also printed (see
//! `ferris-panic-capture`).
use std::any::Any;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub(crate) use ferris_panic_capture::caught;

/// The message of a panic payload, when it was a string, with where it happened if known.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    ferris_panic_capture::panic_message(payload, "a native task panicked")
}

/// Drops a panic payload whose `Drop` may itself panic (`panic_any` can carry anything):
/// such a second panic is caught and its payload leaked, so it cannot unwind through the pool.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Aborts the process if dropped during an unwind: armed around code that must not unwind
/// because another thread may still be using memory on this stack (a forked job's forker).
/// Forked jobs catch their own panics, so it only fires on a bug in the pool.
pub(crate) struct AbortOnUnwind;

impl AbortOnUnwind {
    /// Disarms the guard once the protected code has returned normally.
    pub fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        let _ = writeln!(
            std::io::stderr(),
            "ferris-pool: a panic escaped a forked job; aborting"
        );
        std::process::abort();
    }
}
