//! Catching a panic without printing it, keeping where it happened.
//!
//! Panic hook protocol: a panic inside [`caught`] is the catcher's to report, so the hook
//! records its location on the panicking thread instead of printing it (a panic the caught
//! code catches itself, being inside [`caught`] too, is not printed either). Any other panic
//! goes to the hook that was installed before this one, which prints it as usual. The hook is
//! installed once, at the first [`caught`], and chains the previous one; an embedder that
//! later installs its own without chaining gets its behaviour back. A panic caught on one
//! thread and resumed on another (a forked job's) keeps its location in a [`Located`]
//! payload.
//!
//! Each copy of `std` has its own panic hook: the host (ferris-pool) and every kernel plugin
//! (ferris-kernel-sdk, inside the plugin's library) each link this crate and install it in
//! their own `std`. No state is shared between them.
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
pub struct Located {
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

/// `catch_unwind` whose panic is not printed (see the protocol
/// above), and its payload comes back [`Located`].
pub fn caught<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
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

/// The message of a panic payload (`fallback` when it was not a string), with where it
/// happened if known.
pub fn panic_message(payload: &(dyn Any + Send), fallback: &str) -> String {
    if let Some(located) = payload.downcast_ref::<Located>() {
        let message = panic_message(located.payload.as_ref(), fallback);
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
        fallback.to_string()
    }
}
