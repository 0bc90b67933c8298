//! The cancellation handles of the tasks an executor has in its pool, by task id.
//!
//! A handle is kept from submission until the task's first event is delivered to the JS
//! thread (its result, or its hand-out to the external runner): until then `cancel` may still
//! reach it and `started` reports whether a pool thread took it. Touched on the JS thread
//! only (submit, cancel, event delivery), so its lock is never contended.
use std::sync::{Mutex, MutexGuard, PoisonError};

use ferris_pool::TaskHandle;
use rustc_hash::FxHashMap;

#[derive(Default)]
pub(crate) struct Handles(Mutex<FxHashMap<u64, TaskHandle>>);

impl Handles {
    pub fn lock(&self) -> MutexGuard<'_, FxHashMap<u64, TaskHandle>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether task `id` has been taken by a pool thread and not yet reported.
    pub fn started(&self, id: u64) -> bool {
        self.lock().get(&id).is_some_and(TaskHandle::has_started)
    }
}
