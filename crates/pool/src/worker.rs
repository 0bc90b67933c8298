//! The loop of one worker thread: find a task, run it, spin briefly, park.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::config::Priority;
use crate::fork::{ForkPool, Here, JobRef};
use crate::pool::Shared;
use crate::queues::{Found, LocalDeque};
use crate::task::{Job, Task, TaskContext};
use crate::unwind::{drop_payload, panic_message};

pub(crate) struct WorkerThread<O> {
    index: usize,
    shared: Arc<Shared<O>>,
    local: LocalDeque,
    thread: Thread,
    /// Whether this worker holds a slot (see the slot rules in `pool.rs`).
    has_slot: bool,
    /// Whether it ran a task or forked job since it last parked (it then searches longer).
    ran_since_parked: bool,
}

impl<O: Send + 'static> WorkerThread<O> {
    /// Called on the worker's own thread.
    pub fn new(index: usize, shared: Arc<Shared<O>>, local: LocalDeque) -> Self {
        WorkerThread {
            index,
            shared,
            local,
            thread: std::thread::current(),
            has_slot: false,
            ran_since_parked: false,
        }
    }

    pub fn run(mut self) {
        let mut from_idle = false;
        while !self.shared.is_aborting() {
            if let Some(found) = self.next_task() {
                if from_idle {
                    let shared = &*self.shared;
                    shared.sleep.found_work(|| shared.has_free_slot());
                    from_idle = false;
                }
                self.ran_since_parked = true;
                match found {
                    Found::Task(task) => self.execute(task),
                    Found::Stolen(job) => self.run_stolen(job),
                }
                continue;
            }
            if self.shared.is_drained() {
                break;
            }
            self.idle();
            from_idle = true;
        }
        self.give_back_slot();
    }

    /// Takes a slot if needed, then the next task that has not been cancelled, or a forked job.
    fn next_task(&mut self) -> Option<Found<O>> {
        if !self.has_slot {
            if !self.shared.try_acquire_slot() {
                return None;
            }
            self.has_slot = true;
        }
        let shared = &*self.shared;
        loop {
            match shared.queues.find(self.index, |p| shared.queued_at(p))? {
                Found::Task(task) if !task.handle.try_start() => {
                    // Cancelled while queued: the canceller already took back its queue count.
                }
                Found::Task(task) => {
                    shared.count_out(task.priority);
                    return Some(Found::Task(task));
                }
                Found::Stolen(job) => {
                    self.shared.shards[self.index].stole();
                    return Some(Found::Stolen(job));
                }
            }
        }
    }

    fn here(&self) -> Here<'_> {
        Here {
            index: self.index,
            local: &self.local,
            thread: &self.thread,
            pool: &*self.shared as &dyn ForkPool,
        }
    }

    /// Runs a job forked by a sibling's task; it counts as work (busy), not as a task.
    fn run_stolen(&self, job: JobRef) {
        let busy = &self.shared.busy[self.index];
        busy.store(true, Ordering::Relaxed);
        // SAFETY: stolen from a deque, so handed to this thread only, and alive until it has
        // run because its forker waits for it (the fork-join protocol in `fork.rs`).
        unsafe { job.run(&self.here()) };
        busy.store(false, Ordering::Relaxed);
    }

    fn execute(&mut self, task: Task<O>) {
        let started = Instant::now();
        self.shared.shards[self.index].started(started.saturating_duration_since(task.enqueued_at));
        let Task {
            job,
            tag,
            priority,
            time_limit,
            ..
        } = task;
        let hooks = &self.shared.hooks;
        match job {
            Job::External => {
                // The slot goes with the task; the owner returns it in `finish_external`.
                self.has_slot = false;
                self.shared.note_external_started();
                hooks.external_ready(tag);
            }
            Job::Native(job) => match self.run_guarded(started, priority, time_limit, job) {
                Ok(output) => hooks.completed(tag, output),
                Err(message) => hooks.panicked(tag, message),
            },
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
        shard.begin_run(started.saturating_duration_since(self.shared.started_at));
        let here = self.here();
        let context = TaskContext {
            here: &here,
            priority,
            // A limit too far out to represent is no limit.
            deadline: time_limit.and_then(|limit| started.checked_add(limit)),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| job(&context))).map_err(|payload| {
            let message = panic_message(payload.as_ref());
            drop_payload(payload);
            message
        });
        busy.store(false, Ordering::Relaxed);
        shard.end_run();
        shard.finished(started.elapsed(), outcome.is_err());
        outcome
    }

    /// No task: search for a while, then give the slot back and park (the policy is in
    /// `sleep.rs`).
    fn idle(&mut self) {
        let shared = self.shared.clone();
        let holding = self.has_slot;
        if shared.sleep.search(self.ran_since_parked, || {
            shared.has_work(holding) || shared.is_drained()
        }) {
            return;
        }
        self.give_back_slot();
        self.ran_since_parked = false;
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
