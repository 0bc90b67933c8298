//! Parking idle workers without lost wakeups.
//!
//! Protocol (a Dekker-style handshake, as in rayon-core's sleep module, simplified to one
//! condition variable with wake tokens):
//!
//! * A **sleeper** takes the lock, registers itself (`sleepers += 1`), issues a SeqCst fence
//!   and only then re-checks for work. If there is work it unregisters and returns; otherwise
//!   it waits on the condvar until it receives a wake token.
//! * A **poster** first publishes its work (pushes a task, frees a slot), issues a SeqCst
//!   fence, and then reads `sleepers`. Only if that is non-zero does it take the lock, move one
//!   sleeper into the woken state and hand it a token.
//!
//! The two fences order "publish work; read sleepers" against "register; read work": either the
//! sleeper's re-check sees the work, or the poster sees the sleeper. A sleeper holds the lock
//! from registration until `Condvar::wait` releases it, so a poster that saw it cannot notify
//! before it waits. The waker (not the sleeper) unregisters the woken thread, so a burst of
//! posts wakes distinct threads instead of notifying one thread many times; tokens make
//! spurious condvar wakeups harmless.
use std::sync::PoisonError;

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

use crossbeam_utils::CachePadded;

#[derive(Default)]
struct State {
    /// Threads waiting for a token.
    sleeping: usize,
    /// Wakeups handed out and not yet consumed.
    tokens: usize,
}

#[derive(Default)]
pub(crate) struct Sleep {
    state: Mutex<State>,
    condvar: Condvar,
    /// Mirror of `State::sleeping` readable without the lock: the posters' fast path.
    sleepers: CachePadded<AtomicUsize>,
}

impl Sleep {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the state if something ever did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks the calling worker until woken, unless `has_work` (checked after registering)
    /// says there is something to do. Returns immediately in that case.
    pub fn sleep(&self, has_work: impl Fn() -> bool) {
        let mut state = self.lock();
        state.sleeping += 1;
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if has_work() {
            state.sleeping -= 1;
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        while state.tokens == 0 {
            state = self
                .condvar
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.tokens -= 1;
    }

    /// Wakes one sleeping worker, if any and if `worth_it` (read after the fence) still holds.
    /// Call after publishing the work the woken worker should see.
    pub fn wake_one_if(&self, worth_it: impl Fn() -> bool) {
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) == 0 || !worth_it() {
            return;
        }
        let mut state = self.lock();
        if state.sleeping > 0 {
            state.sleeping -= 1;
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
            state.tokens += 1;
            self.condvar.notify_one();
        }
    }

    /// Wakes every sleeping worker (shutdown).
    pub fn wake_all(&self) {
        fence(Ordering::SeqCst);
        let mut state = self.lock();
        let woken = state.sleeping;
        state.sleeping = 0;
        self.sleepers.fetch_sub(woken, Ordering::SeqCst);
        state.tokens += woken;
        self.condvar.notify_all();
    }

    /// Number of workers parked right now.
    pub fn sleeping(&self) -> usize {
        self.sleepers.load(Ordering::Relaxed)
    }
}
