//! Queue depth: how many tasks wait to start, in total and per priority, and whether the
//! queue still admits tasks.
//!
//! Invariant: `queued` counts the tasks admitted and neither started nor cancelled, and never
//! exceeds the capacity. A submission is counted in ([`Depth::admit`]) before its task is
//! pushed, and each task is counted out ([`Depth::count_out`]) exactly once, by whoever wins
//! its start-or-cancel transition (`TaskHandle`). `by_level` keeps the same count per
//! priority, for the schedulers and statistics only (relaxed: it may lag `queued` briefly).
//!
//! Shutdown rule (`loom_shutdown_waits_for_every_started_task`): once closed, the pool is
//! drained when `queued` is zero, and workers may exit. A submission re-checks `closed` after
//! counting itself in, and `is_drained` reads `queued` after reading `closed`, each behind a
//! SeqCst fence: either the submission sees the close and withdraws, or the workers see its
//! task counted and stay. Whoever takes `queued` to zero in a closed pool (the last task out,
//! or a withdrawn submission) wakes every parked worker so that they see it.
use std::fmt;
use std::sync::Arc;

use crossbeam_utils::CachePadded;

use crate::config::Priority;
use crate::sleep::Sleep;
use crate::sync::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// Largest `queue_capacity`: the queued count is a 32-bit counter (JavaScript reads it as an
/// `Int32Array` element).
pub const MAX_QUEUE_CAPACITY: usize = i32::MAX as usize;

/// Why a submission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// `queue_capacity` tasks are already waiting.
    QueueFull { capacity: usize },
    /// The pool was closed.
    Closed,
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::QueueFull { capacity } => {
                write!(f, "the task queue is full ({capacity} tasks waiting)")
            }
            SubmitError::Closed => write!(f, "the executor has been shut down"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// The counters, on one cache line: a submit or a start touches both counts. Shared (see
/// [`QueueGauge`]) so the count can be read without a call into the pool.
#[derive(Default)]
pub(crate) struct Depth {
    queued: AtomicU32,
    by_level: [AtomicUsize; 3],
    closed: AtomicBool,
}

impl Depth {
    /// Counts a new task in, unless the queue is full or closed. On `Ok` the caller must push
    /// the task (and it is then counted out exactly once).
    pub fn admit(
        &self,
        priority: Priority,
        capacity: usize,
        sleep: &Sleep,
    ) -> Result<(), SubmitError> {
        if self.is_closed() {
            return Err(SubmitError::Closed);
        }
        self.queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                ((q as usize) < capacity).then_some(q + 1)
            })
            .map_err(|_| SubmitError::QueueFull { capacity })?;
        fence(Ordering::SeqCst); // pairs with the one in `is_drained`
        if self.is_closed() {
            // `close` came between the check above and the count: workers may already have
            // seen the pool drained and gone, so this task must not be queued. A worker that
            // saw the count instead may have parked waiting for it: taking the count back to
            // zero wakes them all, as in `count_out`.
            if self.queued.fetch_sub(1, Ordering::SeqCst) == 1 {
                sleep.wake_all();
            }
            return Err(SubmitError::Closed);
        }
        self.by_level[priority.index()].fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The task left the queue: it started or was cancelled. The last one out of a closed
    /// pool wakes every worker, so that parked ones see they may exit.
    pub fn count_out(&self, priority: Priority, sleep: &Sleep) {
        let before = self.queued.fetch_sub(1, Ordering::SeqCst);
        self.by_level[priority.index()].fetch_sub(1, Ordering::Relaxed);
        if before == 1 && self.is_closed() {
            sleep.wake_all();
        }
    }

    /// Refuses further admissions and wakes every parked worker, so that each sees whether
    /// it may exit.
    pub fn close(&self, sleep: &Sleep) {
        self.closed.store(true, Ordering::Release);
        sleep.wake_all();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closed and nothing left to start: workers may exit.
    pub fn is_drained(&self) -> bool {
        self.is_closed() && {
            fence(Ordering::SeqCst); // pairs with the one in `admit`
            self.queued() == 0
        }
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst) as usize
    }

    pub fn queued_at(&self, priority: Priority) -> usize {
        self.by_level[priority.index()].load(Ordering::Relaxed)
    }
}

/// The number of queued tasks, readable by anyone at any time, even after the pool is gone.
/// The binding maps it into JavaScript memory so that `submit` can refuse work for a full
/// queue synchronously without crossing into native code.
#[derive(Clone)]
pub struct QueueGauge(pub(crate) Arc<CachePadded<Depth>>);

impl QueueGauge {
    pub fn get(&self) -> u32 {
        self.0.queued.load(Ordering::SeqCst)
    }

    /// The counter itself: 4 aligned bytes, valid while this gauge (or a clone) lives, written
    /// only with atomic operations.
    pub fn as_ptr(&self) -> *const AtomicU32 {
        &self.0.queued
    }
}
