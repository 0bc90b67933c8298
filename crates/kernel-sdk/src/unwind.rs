//! Panics of a plugin's kernels: caught before they reach the host, reported with where they
//! happened, and not printed.
//!
//! A plugin is a library with its own copy of `std`, hence its own panic hook: the host's
//! hook (ferris-pool's `unwind.rs`) never sees a panic raised here. So this crate keeps the
//! same protocol on its side: a panic inside [`caught`] is recorded (its location, on the
//! panicking thread) instead of printed, and comes back as a [`Located`] payload, which keeps
//! its location when it is resumed on another thread (a forked piece's). Any other panic goes
//! to the hook installed before this one. Installed once, at the first [`caught`].
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`caught`] calls this thread is inside.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside [`caught`] on this thread happened.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic payload with the location its panic happened at.
pub(crate) struct Located {
    payload: Box<dyn Any + Send>,
    location: Option<String>,
}

fn install_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(Cell::get).unwrap_or(0) == 0 {
                return previous(info);
            }
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            let _ = LOCATION.try_with(|cell| *cell.borrow_mut() = location);
        }));
    });
}

/// `catch_unwind` for this crate's catch sites: the panic is not printed, and its payload
/// comes back [`Located`].
pub(crate) fn caught<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    install_hook();
    CATCHING.with(|c| c.set(c.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        if payload.is::<Located>() {
            return payload;
        }
        let location = LOCATION.with(|cell| cell.borrow_mut().take());
        Box::new(Located { payload, location }) as Box<dyn Any + Send>
    })
}

/// The message of a panic payload, when it was a string, with where it happened if known.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(located) = payload.downcast_ref::<Located>() {
        let message = panic_message(located.payload.as_ref());
        return match &located.location {
            Some(location) => format!("{message} (at {location})"),
            None => message,
        };
    }
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a native kernel panicked".to_string()
    }
}
