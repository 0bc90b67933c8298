//! Counters of the pool, kept per worker and merged when read.
//!
//! Publishing rule: each worker counts into a plain local [`Recorder`] and merges it into its
//! own shard (a mutex nobody else writes) every `PUBLISH_EVERY` tasks and whenever it goes
//! idle. The hot path therefore makes no shared atomic write for statistics; a reader sees
//! exact figures once the workers are idle, and figures at most `PUBLISH_EVERY` tasks old
//! per worker while they are busy.
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::histogram::{Histogram, Summary};

/// Tasks a busy worker runs between two publications of its counters.
pub(crate) const PUBLISH_EVERY: u32 = 256;

#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub started: u64,
    pub stolen: u64,
    pub panicked: u64,
    pub wait: Histogram,
    pub run: Histogram,
    pub unpublished: u32,
}

impl Recorder {
    fn is_empty(&self) -> bool {
        self.started == 0 && self.run.is_empty() && self.panicked == 0
    }

    /// Resets the counters in place: a recorder is reused for the life of its worker.
    fn clear(&mut self) {
        self.started = 0;
        self.stolen = 0;
        self.panicked = 0;
        self.wait.clear();
        self.run.clear();
        self.unpublished = 0;
    }

    pub fn merge(&mut self, other: &Recorder) {
        self.started += other.started;
        self.stolen += other.stolen;
        self.panicked += other.panicked;
        self.wait.merge(&other.wait);
        self.run.merge(&other.run);
    }
}

/// One worker's published counters (or the external runner's).
#[derive(Default)]
pub(crate) struct Shard(Mutex<Recorder>);

impl Shard {
    /// Merges `local` into the shard and clears it.
    pub fn publish(&self, local: &mut Recorder) {
        if local.is_empty() {
            return;
        }
        self.lock().merge(local);
        local.clear();
    }

    /// Records straight into the shard: for the external runner, whose reports already come
    /// in batches.
    pub fn record(&self, record: impl FnOnce(&mut Recorder)) {
        record(&mut self.lock());
    }

    fn lock(&self) -> MutexGuard<'_, Recorder> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn read_into(&self, total: &mut Recorder) {
        total.merge(&self.lock());
    }
}

/// A snapshot of the pool's state and counters.
#[derive(Clone, Debug, Default)]
pub struct PoolStats {
    pub workers: usize,
    /// Tasks running now: native tasks on workers plus external tasks holding a slot.
    pub running: usize,
    /// External tasks holding a slot.
    pub external_running: usize,
    /// Workers parked for lack of work.
    pub sleeping: usize,
    /// Tasks waiting to start, in total and per priority (HIGH, NORMAL, LOW).
    pub queued: usize,
    pub queued_by_priority: [usize; 3],
    /// Tasks that have started (native and external).
    pub started: u64,
    /// Tasks a worker took from a sibling's deque.
    pub stolen: u64,
    /// Native tasks that panicked.
    pub panicked: u64,
    /// Time from enqueue to start.
    pub wait: Summary,
    /// Time from start to finish (for external tasks, as reported to `finish_external`).
    pub run: Summary,
    pub uptime: Duration,
}
