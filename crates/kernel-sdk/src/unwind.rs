//! Panics of a plugin's kernels: caught before they reach the host, reported with where they
//! happened, and not printed. A plugin has its own copy of `std`, hence its own panic hook,
//! which the host's never sees: `ferris-panic-capture` installs the hook here too.
use std::any::Any;

pub(crate) use ferris_panic_capture::caught;

/// The message of a panic payload, when it was a string, with where it happened if known.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    ferris_panic_capture::panic_message(payload, "a native kernel panicked")
}
