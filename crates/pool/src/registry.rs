//! The state every worker thread and the [`Pool`](crate::Pool) facade share (rayon-core's
//! `Registry`): the queues, the depth and slot accounting, the sleep/wake state, the stats
//! shards and the hooks. Publishing work or a slot reports to `Sleep`, whose policy
//! (`sleep.rs`) decides whether a worker wakes.
//!
//! Shutdown: `close` refuses new submissions; workers keep running until nothing is queued
//! (`Depth::is_drained`), then exit. `abort` (and dropping the pool) also sets `aborting`,
//! which running native tasks poll through
//! [`TaskContext::is_cancelled`](crate::TaskContext::is_cancelled); tasks still queued are
//! dropped without running.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::config::{PoolConfig, Priority};
use crate::context::{ForkPool, JobRef};
use crate::depth::{Depth, QueueGauge};
use crate::hooks::Hooks;
use crate::queues::{InOrder, LocalDeque, Queues};
use crate::sleep::Sleep;
use crate::slots::Slots;
use crate::stats::Shard;
use crate::task::{Job, NativeTask, Task, TaskHandle};

/// What a worker got from the queues.
pub(crate) enum Taken<O> {
    /// A native task to run; it has started.
    Native(NativeTask<O>),
    /// An external task, started and handed out with the worker's slot.
    HandedOut,
}

pub(crate) struct Shared<O> {
    pub(crate) queues: Queues<O>,
    pub(crate) depth: Arc<CachePadded<Depth>>,
    pub(crate) slots: Slots,
    /// Per worker: running a native task now. Written only by its worker.
    pub(crate) busy: Box<[CachePadded<AtomicBool>]>,
    /// Per worker, plus one last shard for external tasks (see `external_shard`).
    pub(crate) shards: Box<[CachePadded<Shard>]>,
    /// Held while writing the external tasks' shard, which must have one writer at a time.
    external_shard_writer: Mutex<()>,
    pub(crate) sleep: Sleep,
    aborting: AtomicBool,
    pub(crate) hooks: Arc<dyn Hooks<O>>,
    pub(crate) capacity: usize,
    pub(crate) workers: usize,
    pub(crate) started_at: Instant,
}

impl<O: Send + 'static> Shared<O> {
    /// The shared state of a new pool, and one deque of forked jobs per worker to be moved
    /// into its thread.
    pub(crate) fn new(config: &PoolConfig, hooks: Arc<dyn Hooks<O>>) -> (Self, Vec<LocalDeque>) {
        let started_at = Instant::now();
        let (queues, locals) =
            Queues::new(config.scheduler, config.workers, config.aging, started_at);
        let shared = Shared {
            queues,
            depth: Default::default(),
            slots: Slots::new(config.workers),
            busy: (0..config.workers).map(|_| Default::default()).collect(),
            shards: (0..=config.workers).map(|_| Default::default()).collect(),
            external_shard_writer: Mutex::new(()),
            sleep: Sleep::new(config.workers),
            aborting: AtomicBool::new(false),
            hooks,
            capacity: config.queue_capacity,
            workers: config.workers,
            started_at,
        };
        (shared, locals)
    }

    pub(crate) fn is_aborting(&self) -> bool {
        self.aborting.load(Ordering::Acquire)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.depth.is_closed()
    }

    /// Closed and nothing left to start: workers may exit.
    pub(crate) fn is_drained(&self) -> bool {
        self.depth.is_drained()
    }

    /// Refuses new submissions and wakes every worker, so that parked ones see whether they
    /// may exit; with `abort`, also asks running native tasks to stop.
    pub(crate) fn close(&self, abort: bool) {
        if abort {
            // Before the wake-up in `close`, so that woken workers see it.
            self.aborting.store(true, Ordering::Release);
        }
        self.depth.close(&self.sleep);
    }

    pub(crate) fn queued(&self) -> usize {
        self.depth.queued()
    }

    pub(crate) fn queued_at(&self, priority: Priority) -> usize {
        self.depth.queued_at(priority)
    }

    pub(crate) fn queue_gauge(&self) -> QueueGauge {
        QueueGauge(self.depth.clone())
    }

    /// Something is queued or forked, and a slot is available to run it (`holding`: the caller
    /// has one).
    pub(crate) fn has_work(&self, holding: bool) -> bool {
        (self.queued() > 0 || self.queues.has_forked()) && (holding || self.slots.free() > 0)
    }

    /// Returns slots and wakes a parked worker if queued tasks or forked jobs were waiting for
    /// one.
    pub(crate) fn release_slots(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.slots.release(n);
        self.sleep.notify_work(|| self.has_work(true));
    }

    /// The task left the queue: it started or was cancelled (see `Depth::count_out`).
    pub(crate) fn count_out(&self, priority: Priority) {
        self.depth.count_out(priority, &self.sleep);
    }

    pub(crate) fn new_task(
        priority: Priority,
        tag: u64,
        job: Job<O>,
        time_limit: Option<Duration>,
    ) -> (Task<O>, TaskHandle) {
        let handle = TaskHandle::new(priority);
        let task = Task {
            handle: handle.clone(),
            job,
            tag,
            priority,
            time_limit,
            enqueued_at: Instant::now(),
        };
        (task, handle)
    }

    /// The statistics shard of external tasks, with the lock that makes its writer unique.
    pub(crate) fn external_shard(&self) -> (MutexGuard<'_, ()>, &Shard) {
        let writer = self
            .external_shard_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (writer, &self.shards[self.workers])
    }

    /// Takes the next queued task that was not cancelled, and starts it. An external task is
    /// handed out at once, with the caller's slot, and counted in `shard` (the caller's).
    pub(crate) fn take_queued(&self, shard: &Shard) -> Option<Taken<O>> {
        let queue = self.queues.in_order();
        loop {
            let task = queue.pop(|p| self.queued_at(p))?;
            if !task.handle.try_start() {
                continue; // cancelled while queued: the canceller counted it out
            }
            self.count_out(task.priority);
            return Some(match task.into_native() {
                Ok(native) => Taken::Native(native),
                Err(external) => {
                    self.hand_out(external, shard, &queue);
                    Taken::HandedOut
                }
            });
        }
    }

    /// See [`Pool::finish_external`](crate::Pool::finish_external).
    pub(crate) fn finish_external(&self, run_times: &[Duration], abandoned: usize) {
        let mut slots = run_times.len() + abandoned;
        if slots == 0 {
            return;
        }
        let (_writer, shard) = self.external_shard();
        for &time in run_times {
            shard.finished(time, false);
        }
        self.slots.reclaim_external(slots);
        {
            let queue = self.queues.in_order();
            while slots > 0 && self.queued() > 0 {
                let Some(task) = queue.pop(|p| self.queued_at(p)) else {
                    break;
                };
                match task.into_native() {
                    Err(external) if external.handle.try_start() => {
                        self.count_out(external.priority);
                        self.hand_out(external, shard, &queue);
                        slots -= 1;
                    }
                    Err(_) => {} // cancelled while queued: drop it, look on
                    Ok(native) if native.handle.is_cancelled() => {}
                    Ok(native) => {
                        self.queues.put_back(native);
                        break;
                    }
                }
            }
        }
        self.release_slots(slots);
    }

    /// See [`Pool::hand_out_queued`](crate::Pool::hand_out_queued).
    pub(crate) fn hand_out_queued(&self) {
        if self.queued() == 0 || !self.slots.try_acquire() {
            return;
        }
        let mut holding = true;
        {
            let (_writer, shard) = self.external_shard();
            let queue = self.queues.in_order();
            while let Some(task) = queue.pop(|p| self.queued_at(p)) {
                match task.into_native() {
                    Err(external) if external.handle.try_start() => {
                        self.count_out(external.priority);
                        self.hand_out(external, shard, &queue);
                        holding = self.queued() > 0 && self.slots.try_acquire();
                        if !holding {
                            break;
                        }
                    }
                    Err(_) => {} // cancelled while queued: drop it, look on
                    Ok(native) if native.handle.is_cancelled() => {}
                    Ok(native) => {
                        self.queues.put_back(native);
                        break;
                    }
                }
            }
        }
        if holding {
            self.release_slots(1);
        }
    }

    /// Hands out a started external task, which takes the caller's slot. Only with the queue
    /// order held, so that hand-outs follow the queue order (see `queues.rs`).
    fn hand_out(&self, task: Task<O>, shard: &Shard, _order: &InOrder<'_, O>) {
        self.slots.lend_to_external();
        shard.started(task.enqueued_at.elapsed());
        if let Job::External(job) = task.job {
            self.hooks.external_ready(task.tag, job);
        }
    }

    /// A task was queued: wakes a parked worker for it if a slot is free (`sleep.rs` says
    /// when; a forked job goes through `ForkPool::forked`, which steers the wake).
    pub(crate) fn wake_for_new_task(&self) {
        self.sleep.notify_work(|| self.slots.free() > 0);
    }
}

impl<O: Send + 'static> ForkPool for Shared<O> {
    fn is_aborting(&self) -> bool {
        Shared::is_aborting(self)
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn forked(&self) {
        self.sleep.notify_forked(|| self.slots.free() > 0);
    }

    fn steal_forked(&self, thief: usize) -> Option<JobRef> {
        let job = self.queues.steal_forked(thief)?;
        self.shards[thief].stole();
        Some(job)
    }
}
