//! Panics crossing the pool's own code: their messages, their payloads, their locations, and
//! the one place a panic must never pass.
//!
//! Panic hook protocol: a panic inside [`caught`] is the pool's to report (the task fails
//! with its message and location), so the hook records its location on the panicking thread
//! instead of printing it (a panic the task catches itself, being inside [`caught`] too, is not
//! printed either). Any other panic (in the pool's own code outside a task, on a thread of the
//! embedder) goes to the hook that was installed before ours, which prints it as usual. The hook is installed once, at the first [`caught`], and chains
//! the previous one; an embedder that later installs its own without chaining gets its
//! behaviour back. A panic caught on one thread and resumed on another (a forked job's)
//! carries its location in a [`Located`] payload.
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::Write;
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
            // `try_with`: a panic while this thread's locals are torn down is not ours.
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

/// `catch_unwind` for the pool's catch sites: the panic is not printed (see the protocol
/// above), and its payload comes back [`Located`].
pub(crate) fn caught<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    install_hook();
    CATCHING.with(|c| c.set(c.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        if payload.is::<Located>() {
            return payload; // resumed from another thread, which recorded where
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
        "a native task panicked".to_string()
    }
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
