//! The loop of one worker thread: find a task, run it, spin briefly, park.
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_deque::Worker;
use crossbeam_utils::Backoff;

use crate::config::Priority;
use crate::pool::Shared;
use crate::queues::Source;
use crate::task::{Body, Job, Spawner, SubJob, Task, TaskContext, TaskHandle};

pub(crate) struct WorkerThread<O> {
    index: usize,
    shared: Arc<Shared<O>>,
    local: Option<Worker<Task<O>>>,
    /// Whether this worker holds a slot (see the slot rules in `pool.rs`).
    has_slot: bool,
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a native task panicked".to_string()
    }
}

/// What a running task's [`TaskContext`] spawns into: this worker's deque.
struct LocalSpawner<'a, O> {
    shared: &'a Shared<O>,
    local: Option<&'a Worker<Task<O>>>,
}

impl<O: Send + 'static> Spawner for LocalSpawner<'_, O> {
    fn spawn(&self, priority: Priority, tag: u64, job: SubJob) -> TaskHandle {
        self.shared.enqueue_subtask(self.local, priority, tag, job)
    }

    fn is_aborting(&self) -> bool {
        self.shared.is_aborting()
    }
}

impl<O: Send + 'static> WorkerThread<O> {
    pub fn new(index: usize, shared: Arc<Shared<O>>, local: Option<Worker<Task<O>>>) -> Self {
        WorkerThread {
            index,
            shared,
            local,
            has_slot: false,
        }
    }

    pub fn run(mut self) {
        let mut was_idle = false;
        while !self.shared.is_aborting() {
            if let Some((task, source)) = self.next_task() {
                if was_idle && self.shared.queued() > 0 {
                    // Back from idle with more work queued: pass the wake-up on.
                    self.shared.wake_for_new_task();
                }
                was_idle = false;
                self.execute(task, source);
                continue;
            }
            if self.shared.is_drained() {
                break;
            }
            self.idle();
            was_idle = true;
        }
        self.give_back_slot();
    }

    /// Takes a slot if needed, then the next task that has not been cancelled.
    fn next_task(&mut self) -> Option<(Task<O>, Source)> {
        if !self.has_slot {
            if !self.shared.try_acquire_slot() {
                return None;
            }
            self.has_slot = true;
        }
        let shared = &*self.shared;
        loop {
            let (task, source) = shared
                .queues
                .find(self.index, self.local.as_ref(), |p| shared.queued_at(p))?;
            if task.handle.try_start() {
                shared.count_out(task.priority);
                return Some((task, source));
            }
            // Cancelled while queued: its queue count was already taken back by the canceller.
        }
    }

    fn execute(&mut self, task: Task<O>, source: Source) {
        let started = Instant::now();
        self.shared.shards[self.index].started(
            started.saturating_duration_since(task.enqueued_at),
            source == Source::Sibling,
        );
        let Task {
            body,
            tag,
            priority,
            time_limit,
            ..
        } = task;
        let hooks = &self.shared.hooks;
        match body {
            Body::Job(Job::External) => {
                // The slot goes with the task; the owner returns it in `finish_external`.
                self.has_slot = false;
                self.shared.note_external_started();
                hooks.external_ready(tag);
            }
            Body::Job(Job::Native(job)) => {
                match self.run_guarded(started, priority, time_limit, job) {
                    Ok(output) => hooks.completed(tag, output),
                    Err(message) => hooks.panicked(tag, message),
                }
            }
            Body::Sub(job) => {
                if let Err(message) = self.run_guarded(started, priority, time_limit, job) {
                    hooks.panicked(tag, message);
                }
            }
        }
    }

    /// Runs a job under `catch_unwind`, marked busy, and counts its run before returning its
    /// output (or its panic message).
    fn run_guarded<R>(
        &self,
        started: Instant,
        priority: Priority,
        time_limit: Option<Duration>,
        job: impl FnOnce(&TaskContext<'_>) -> R,
    ) -> Result<R, String> {
        let busy = &self.shared.busy[self.index];
        busy.store(true, Ordering::Relaxed);
        let shard = &self.shared.shards[self.index];
        let outer = shard.begin_run(started.saturating_duration_since(self.shared.started_at));
        let spawner = LocalSpawner {
            shared: &self.shared,
            local: self.local.as_ref(),
        };
        let context = TaskContext {
            spawner: &spawner,
            worker_index: self.index,
            priority,
            // A limit too far out to represent is no limit.
            deadline: time_limit.and_then(|limit| started.checked_add(limit)),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| job(&context)))
            .map_err(|payload| panic_message(payload.as_ref()));
        busy.store(false, Ordering::Relaxed);
        shard.end_run(outer);
        shard.finished(started.elapsed(), outcome.is_err());
        outcome
    }

    /// No task: spin for a few microseconds (work often arrives in bursts, and waking a parked
    /// thread costs 2-25 us here), then give the slot back and park.
    fn idle(&mut self) {
        let backoff = Backoff::new();
        self.shared.set_searching(true);
        let found = loop {
            if backoff.is_completed() {
                break false;
            }
            backoff.snooze();
            if self.shared.has_work(self.has_slot) || self.shared.is_drained() {
                break true;
            }
        };
        // Stop counting as a searcher before the last check in `sleep`, so a poster that saw
        // us searching and woke nobody is seen by that check.
        self.shared.set_searching(false);
        if found {
            return;
        }
        self.give_back_slot();
        let shared = &*self.shared;
        shared
            .sleep
            .sleep(|| shared.has_work(false) || shared.is_drained() || shared.is_aborting());
    }

    fn give_back_slot(&mut self) {
        if self.has_slot {
            self.has_slot = false;
            self.shared.release_slots(1);
        }
    }
}
