//! Threadsafe functions that hold a JS thread's event loop open only at times.
use napi::sys::napi_threadsafe_function;
use napi::{Env, Error, Result, Status};

/// Refs (`hold`) or unrefs threadsafe function `raw`: whether it keeps `env`'s event loop
/// alive. Must be called on `env`'s thread, with a function the caller keeps alive.
pub(crate) fn hold_event_loop(env: Env, raw: napi_threadsafe_function, hold: bool) -> Result<()> {
    // SAFETY: the caller is on the JS thread that owns `env` and keeps the threadsafe function
    // alive; ref/unref only toggle whether it holds the event loop open.
    let status = unsafe {
        if hold {
            napi::sys::napi_ref_threadsafe_function(env.raw(), raw)
        } else {
            napi::sys::napi_unref_threadsafe_function(env.raw(), raw)
        }
    };
    match status {
        napi::sys::Status::napi_ok => Ok(()),
        status => Err(Error::new(
            Status::from(status),
            "cannot ref/unref a threadsafe function",
        )),
    }
}
