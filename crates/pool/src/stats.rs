//! Counters of the pool, one shard per worker, merged when read.
//!
//! Writing rule: each shard has one writer (its worker; for the last shard, which counts
//! external tasks, whoever holds `Shared::external_shard`) and updates its atomics with a plain load and store, never a read-modify-write, on cache
//! lines no other thread writes. The hot path therefore makes no shared atomic write, yet a
//! task's counts are in place before its completion is reported, so statistics read after a
//! future settles include that task.
//!
//! `running_since` is the start of the native task the worker is running, in nanoseconds
//! since the pool started plus one (0: none), so that readers can tell how long the oldest
//! running task has been running. (Tasks never nest on a worker: forked jobs are not tasks.)
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::histogram::{AtomicHistogram, Histogram, Summary};

/// Adds `n` to a counter that only the calling thread writes.
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

#[derive(Default)]
pub(crate) struct Shard {
    running_since: AtomicU64,
    started: AtomicU64,
    stolen: AtomicU64,
    panicked: AtomicU64,
    wait: AtomicHistogram,
    run: AtomicHistogram,
}

/// The sum of every shard, as `Pool::stats` reports it.
#[derive(Default)]
pub(crate) struct Totals {
    pub started: u64,
    pub stolen: u64,
    pub panicked: u64,
    pub wait: Histogram,
    pub run: Histogram,
}

impl Shard {
    /// A task started after waiting `waited`.
    pub fn started(&self, waited: Duration) {
        bump(&self.started, 1);
        self.wait.record(waited.as_nanos() as u64);
    }

    /// A forked job was stolen from a sibling's deque.
    pub fn stole(&self) {
        bump(&self.stolen, 1);
    }

    /// A task finished after running for `ran`.
    pub fn finished(&self, ran: Duration, panicked: bool) {
        bump(&self.panicked, u64::from(panicked));
        self.run.record(ran.as_nanos() as u64);
    }

    /// The worker begins running a task at `at` (time since the pool started).
    pub fn begin_run(&self, at: Duration) {
        let since = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        self.running_since.store(since, Ordering::Relaxed);
    }

    /// The task begun with [`Shard::begin_run`] is over.
    pub fn end_run(&self) {
        self.running_since.store(0, Ordering::Relaxed);
    }

    /// When the worker's current task started (time since the pool started), if it runs one.
    pub fn running_since(&self) -> Option<Duration> {
        match self.running_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_nanos(since - 1)),
        }
    }

    pub fn add_to(&self, totals: &mut Totals) {
        totals.started += self.started.load(Ordering::Relaxed);
        totals.stolen += self.stolen.load(Ordering::Relaxed);
        totals.panicked += self.panicked.load(Ordering::Relaxed);
        self.wait.add_to(&mut totals.wait);
        self.run.add_to(&mut totals.run);
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
    /// Tasks that have started (native and external; forked jobs are not tasks).
    pub started: u64,
    /// Forked jobs (see `TaskContext::join`) a worker took from a sibling's deque.
    pub stolen: u64,
    /// Native tasks that panicked.
    pub panicked: u64,
    /// Time from enqueue to start.
    pub wait: Summary,
    /// Time from start to finish (for external tasks, as reported to `finish_external`).
    pub run: Summary,
    /// How long the longest-running native task running now has been running (zero if none).
    /// External tasks are not included: their owner knows when it started them.
    pub oldest_native_running: Duration,
    pub uptime: Duration,
}
