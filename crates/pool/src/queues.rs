//! Where queued tasks wait, and the order in which they are found.
//!
//! Order for a worker between tasks (`WorkerThread::next_task`): the tasks put back by
//! `finish_external`, the priority injectors from HIGH down (an overdue lower level first),
//! then forked jobs on its siblings' deques (a worker's own deque is empty between tasks:
//! fork-join empties it before a task returns). `finish_external` takes from the injectors
//! only. Injectors are drained one task at a time: a batch moved into a local deque would lose
//! its priority and could hide a newer HIGH task behind up to 32 older LOW ones, and measured
//! batch steals save only a few ns per task (injector push+steal is ~28 ns).
//!
//! Hand-out order: whoever takes from the priority queues holds [`Queues::in_order`] (a
//! worker, or `finish_external` on the owner's thread), and an external task it takes is
//! handed out (`Hooks::external_ready`) before it lets go. So, across all threads, external
//! tasks are handed out in the order in which they left the queues: within a level (and
//! under the FIFO scheduler, overall), in submission order. Native tasks taken under it run
//! after it is released; the tasks put back are native and are taken without it. Cost: one
//! mostly uncontended lock per task taken; `examples/throughput` (2 vCPUs, medians of 9 runs
//! side by side with the unlocked version) showed native tasks unchanged within run-to-run
//! noise (~550 ns/task either way) and external ones at most ~60 ns/task slower.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use crate::config::{Priority, SchedulerKind};
use crate::context::JobRef;
use crate::task::{NativeTask, Task};

pub(crate) struct Queues<O> {
    /// Native tasks that `finish_external` took from the queue while looking for external
    /// ones, and cannot run: workers look here first, so such a task keeps its place in line.
    put_back: Injector<NativeTask<O>>,
    /// Held by whoever takes from the priority queues (see [`Queues::in_order`]).
    order: Mutex<()>,
    kind: Kind<O>,
    /// Thieves' ends of the workers' deques of forked jobs (see `fork.rs`).
    forked: Vec<Stealer<JobRef>>,
}

// Built once per pool and never moved afterwards, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Kind<O> {
    Stealing(StealingQueues<O>),
    Fifo(Injector<Task<O>>),
}

struct StealingQueues<O> {
    levels: [Injector<Task<O>>; 3],
    /// Per level, a lower bound on when its head task was enqueued (ns since `epoch`): the
    /// enqueue time of the last task taken from it, or the time a push found it empty. It can
    /// only make a head look older than it is, so an overdue level is never missed; at most
    /// one young task per overdue burst is served early.
    head_since: [AtomicU64; 3],
    aging: Duration,
    epoch: Instant,
}

/// A worker's own deque of forked jobs.
pub(crate) type LocalDeque = Worker<JobRef>;

/// Retries a steal until it gives a definite answer: `Retry` only means a racing thief won.
fn steal_one<T>(mut attempt: impl FnMut() -> Steal<T>) -> Option<T> {
    loop {
        match attempt() {
            Steal::Success(task) => return Some(task),
            Steal::Empty => return None,
            Steal::Retry => continue,
        }
    }
}

impl<O> Queues<O> {
    /// Builds the queues and one deque of forked jobs per worker (whatever the scheduler: a
    /// fork-join task needs somewhere to put its halves).
    pub fn new(
        kind: SchedulerKind,
        workers: usize,
        aging: Duration,
        epoch: Instant,
    ) -> (Queues<O>, Vec<LocalDeque>) {
        // LIFO for the worker that forks: the job forked last is the one whose data is hot, and fork-join
        // needs depth-first order to keep the deques short.
        let locals: Vec<LocalDeque> = (0..workers).map(|_| Worker::new_lifo()).collect();
        let kind = match kind {
            SchedulerKind::Fifo => Kind::Fifo(Injector::new()),
            SchedulerKind::WorkStealing => Kind::Stealing(StealingQueues {
                levels: [Injector::new(), Injector::new(), Injector::new()],
                head_since: Default::default(),
                aging,
                epoch,
            }),
        };
        let queues = Queues {
            put_back: Injector::new(),
            order: Mutex::new(()),
            kind,
            forked: locals.iter().map(Worker::stealer).collect(),
        };
        (queues, locals)
    }

    /// Queues a task submitted from outside the workers.
    pub fn push(&self, task: Task<O>) {
        match &self.kind {
            Kind::Fifo(queue) => queue.push(task),
            Kind::Stealing(queues) => queues.push_injected(task),
        }
    }

    /// Puts a native task that `finish_external` took back at the head of the line.
    pub fn put_back(&self, task: NativeTask<O>) {
        self.put_back.push(task);
    }

    /// The oldest task put back, if any: workers look here before the queues.
    pub fn take_put_back(&self) -> Option<NativeTask<O>> {
        steal_one(|| self.put_back.steal())
    }

    /// The right to take tasks from the priority queues, held by one thread at a time, which
    /// hands out each external task it takes before letting go (the hand-out order above).
    pub fn in_order(&self) -> InOrder<'_, O> {
        InOrder {
            queues: self,
            _turn: self.order.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Steals one forked job from a sibling of worker `thief`, starting after it so that
    /// thieves spread out.
    pub fn steal_forked(&self, thief: usize) -> Option<JobRef> {
        let n = self.forked.len();
        loop {
            let mut retry = false;
            for offset in 1..n {
                match self.forked[(thief + offset) % n].steal() {
                    Steal::Success(job) => return Some(job),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Some worker's deque holds a forked job.
    pub fn has_forked(&self) -> bool {
        self.forked.iter().any(|stealer| !stealer.is_empty())
    }
}

/// A turn at taking from the priority queues (see [`Queues::in_order`]).
pub(crate) struct InOrder<'a, O> {
    queues: &'a Queues<O>,
    _turn: MutexGuard<'a, ()>,
}

impl<O> InOrder<'_, O> {
    /// Takes the next queued task in the scheduler's order.
    pub fn pop(&self, queued_by_level: impl Fn(Priority) -> usize) -> Option<Task<O>> {
        match &self.queues.kind {
            Kind::Fifo(queue) => steal_one(|| queue.steal()),
            Kind::Stealing(queues) => queues.pop_injected(queued_by_level),
        }
    }
}

impl<O> StealingQueues<O> {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn since(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    fn push_injected(&self, task: Task<O>) {
        let level = task.priority.index();
        if level != 0 && self.levels[level].is_empty() {
            self.head_since[level].store(self.since(task.enqueued_at), Ordering::Relaxed);
        }
        self.levels[level].push(task);
    }

    fn take(&self, level: usize) -> Option<Task<O>> {
        let task = steal_one(|| self.levels[level].steal())?;
        if level != 0 {
            self.head_since[level].store(self.since(task.enqueued_at), Ordering::Relaxed);
        }
        Some(task)
    }

    /// HIGH, NORMAL, LOW in that order, except that a lower level whose head has waited longer
    /// than `aging` goes first (the one waiting longest, if both are overdue).
    fn pop_injected(&self, queued_by_level: impl Fn(Priority) -> usize) -> Option<Task<O>> {
        let [high, normal, low] = Priority::ALL.map(&queued_by_level);
        // Aging only matters when a lower level competes with a higher one; skip the clock otherwise.
        let contended = (high > 0 && (normal > 0 || low > 0)) || (normal > 0 && low > 0);
        if contended && !self.aging.is_zero() {
            let now = self.now();
            let limit = u64::try_from(self.aging.as_nanos()).unwrap_or(u64::MAX);
            let overdue = |level: usize, queued: usize| {
                let since = self.head_since[level].load(Ordering::Relaxed);
                (queued > 0 && now.saturating_sub(since) > limit).then_some(since)
            };
            let mut candidates = [(overdue(2, low), 2), (overdue(1, normal), 1)];
            candidates.sort_by_key(|&(since, _)| since.unwrap_or(u64::MAX));
            for (since, level) in candidates {
                if since.is_some() {
                    if let Some(task) = self.take(level) {
                        return Some(task);
                    }
                }
            }
        }
        (0..3).find_map(|level| self.take(level))
    }
}
