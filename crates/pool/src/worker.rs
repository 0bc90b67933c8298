//! A worker thread: starting it, and its loop: find a task, run it, search, park.
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::config::{PoolConfig, Priority};
use crate::context::{CurrentWorker, ForkPool, JobRef, TaskContext};
use crate::queues::LocalDeque;
use crate::registry::{Shared, Taken};
use crate::task::NativeTask;
use crate::unwind::{caught, drop_payload, panic_message};

/// Starts worker `index`, named `{thread_name}-{index}`, with its deque of forked jobs.
pub(crate) fn spawn<O: Send + 'static>(
    index: usize,
    config: &PoolConfig,
    shared: Arc<Shared<O>>,
    local: LocalDeque,
) -> io::Result<JoinHandle<()>> {
    let mut builder = std::thread::Builder::new().name(format!("{}-{index}", config.thread_name));
    if let Some(size) = config.stack_size {
        builder = builder.stack_size(size);
    }
    builder.spawn(move || WorkerThread::new(index, shared, local).run())
}

/// What a worker found to do.
enum Found<O> {
    Task(NativeTask<O>),
    /// An external task, handed out with this worker's slot.
    HandedOut,
    /// A job forked by a sibling's running task, stolen from its deque.
    Stolen(JobRef),
}

struct WorkerThread<O> {
    index: usize,
    shared: Arc<Shared<O>>,
    local: LocalDeque,
    thread: Thread,
    /// Whether this worker holds a slot (see `slots.rs`).
    has_slot: bool,
    /// Whether it ran or handed out something since it last parked (it then searches longer).
    ran_since_parked: bool,
}

impl<O: Send + 'static> WorkerThread<O> {
    /// Called on the worker's own thread.
    fn new(index: usize, shared: Arc<Shared<O>>, local: LocalDeque) -> Self {
        WorkerThread {
            index,
            shared,
            local,
            thread: std::thread::current(),
            has_slot: false,
            ran_since_parked: false,
        }
    }

    fn run(mut self) {
        self.shared.sleep.take_seat(self.index);
        let mut from_idle = false;
        while !self.shared.is_aborting() {
            if let Some(found) = self.next_task() {
                if from_idle {
                    let shared = &*self.shared;
                    shared.sleep.found_work(|| shared.has_work(false));
                    from_idle = false;
                }
                self.ran_since_parked = true;
                match found {
                    Found::Task(task) => self.execute(task),
                    Found::HandedOut => {}
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
            if !self.shared.slots.try_acquire() {
                return None;
            }
            self.has_slot = true;
        }
        let shared = &*self.shared;
        while let Some(task) = shared.queues.take_put_back() {
            if task.handle.try_start() {
                shared.count_out(task.priority);
                return Some(Found::Task(task));
            }
            // Cancelled while queued: the canceller already counted it out.
        }
        match shared.take_queued(&shared.shards[self.index]) {
            Some(Taken::Native(task)) => Some(Found::Task(task)),
            Some(Taken::HandedOut) => {
                // The slot went with the task; its owner returns it in `finish_external`.
                self.has_slot = false;
                Some(Found::HandedOut)
            }
            None => shared.steal_forked(self.index).map(Found::Stolen),
        }
    }

    fn current(&self) -> CurrentWorker<'_> {
        CurrentWorker {
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
        unsafe { job.run(&self.current()) };
        busy.store(false, Ordering::Relaxed);
    }

    fn execute(&self, task: NativeTask<O>) {
        let started = Instant::now();
        self.shared.shards[self.index].started(started.saturating_duration_since(task.enqueued_at));
        let NativeTask {
            job,
            tag,
            priority,
            time_limit,
            ..
        } = task;
        let hooks = &self.shared.hooks;
        match self.run_guarded(started, priority, time_limit, job) {
            Ok(output) => hooks.completed(tag, output),
            Err(message) => hooks.panicked(tag, message),
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
        let worker = self.current();
        let context = TaskContext {
            worker: &worker,
            priority,
            // A limit too far out to represent is no limit.
            deadline: time_limit.and_then(|limit| started.checked_add(limit)),
        };
        let outcome = caught(|| job(&context)).map_err(|payload| {
            let message = panic_message(payload.as_ref());
            drop_payload(payload);
            message
        });
        busy.store(false, Ordering::Relaxed);
        shard.end_run();
        shard.finished(started.elapsed(), outcome.is_err());
        outcome
    }

    /// No task: search for a while, then give the slot back and park (when and how long:
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
        shared.sleep.sleep(self.index, || {
            shared.has_work(false) || shared.is_drained() || shared.is_aborting()
        });
    }

    fn give_back_slot(&mut self) {
        if self.has_slot {
            self.has_slot = false;
            self.shared.release_slots(1);
        }
    }
}
