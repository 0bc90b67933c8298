//! [`WorkerQueue`]: worker tasks the pool handed out, on their way to the worker isolates,
//! and the isolates asleep on their event loops.
//!
//! An idle worker first waits natively ([`Handoff::take`]: a brief spin, then a bounded block),
//! which is the fast path while tasks keep coming. When that wait runs out it *parks*: it
//! registers a wake-up threadsafe function (created in its own environment) here and returns
//! to its event loop, costing no CPU until a task comes. Rules:
//! * [`WorkerQueue::park`] registers the worker only if the hand-off is empty, under the
//!   parked list's lock; [`WorkerQueue::give`] hands the task over first and then, under that
//!   lock, wakes one parked worker. So a task given while a worker parks is either seen by the
//!   parker (it does not park) or wakes it.
//! * A woken worker is off the list; it takes from the hand-off as any worker does (another
//!   worker may have taken the task first: it then waits and parks again).
//! * A worker's environment may be torn down while it is parked (terminate, exit). Its
//!   cleanup hook, registered after its threadsafe function, so run before that function is
//!   finalized, takes it off the list under the same lock: a dead worker's function is never
//!   called (Node's teardown race, nodejs/node#55706, is why this matters on Node 20).
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferris_pool::Handoff;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;

use crate::workers::hub::WorkerJob;

/// A parked worker's wake-up call (weak: it holds the worker's loop open only while parked).
pub(crate) type WakeUp = ThreadsafeFunction<(), (), (), Status, false, true>;

#[derive(Default)]
pub(crate) struct WorkerQueue {
    pub handoff: Handoff<WorkerJob>,
    parked: Mutex<Vec<(u64, Arc<WakeUp>)>>,
}

impl WorkerQueue {
    fn parked(&self) -> MutexGuard<'_, Vec<(u64, Arc<WakeUp>)>> {
        self.parked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `job` to the workers, waking a parked one.
    pub fn give(&self, job: WorkerJob) {
        self.handoff.give(job);
        let mut parked = self.parked();
        if let Some((_, wake_up)) = parked.pop() {
            // `Closing`: the worker is going away; its task stays for the others.
            let _ = wake_up.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// Parks worker `key` unless a task is waiting; true if it parked.
    pub fn park(&self, key: u64, wake_up: &Arc<WakeUp>) -> bool {
        let mut parked = self.parked();
        if !self.handoff.is_empty() || self.handoff.is_closed() {
            return false;
        }
        if !parked.iter().any(|(k, _)| *k == key) {
            parked.push((key, wake_up.clone()));
        }
        true
    }

    /// Takes worker `key` off the parked list (its environment is going away).
    pub fn forget(&self, key: u64) {
        self.parked().retain(|(k, _)| *k != key);
    }

    /// Closes the hand-off and wakes every parked worker, so that each sees it is retired.
    pub fn close(&self) {
        self.handoff.close();
        self.wake_all();
    }

    /// Wakes every parked worker: each looks at its own state (asked to retire, say) and
    /// parks again if it finds nothing to do.
    pub fn wake_all(&self) {
        for (_, wake_up) in self.parked().drain(..) {
            let _ = wake_up.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}
