//! The loop of one worker thread: find a task, run it, spin briefly, park.
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_deque::Worker;
use crossbeam_utils::Backoff;

use crate::pool::Shared;
use crate::queues::Source;
use crate::stats::{Recorder, PUBLISH_EVERY};
use crate::task::{Job, Task, TaskContext};

pub(crate) struct WorkerThread {
    index: usize,
    shared: Arc<Shared>,
    local: Option<Worker<Task>>,
    /// Whether this worker holds a slot (see the slot rules in `pool.rs`).
    has_slot: bool,
    recorder: Recorder,
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

impl WorkerThread {
    pub fn new(index: usize, shared: Arc<Shared>, local: Option<Worker<Task>>) -> Self {
        WorkerThread {
            index,
            shared,
            local,
            has_slot: false,
            recorder: Recorder::default(),
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
        self.publish();
    }

    /// Takes a slot if needed, then the next task that has not been cancelled.
    fn next_task(&mut self) -> Option<(Task, Source)> {
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

    fn execute(&mut self, task: Task, source: Source) {
        let started = Instant::now();
        let recorder = &mut self.recorder;
        recorder.started += 1;
        recorder.stolen += u64::from(source == Source::Sibling);
        recorder.wait.record(
            started
                .saturating_duration_since(task.enqueued_at)
                .as_nanos() as u64,
        );
        match task.job {
            Job::Native(job) => {
                let busy = &self.shared.busy[self.index];
                busy.store(true, Ordering::Relaxed);
                let context = TaskContext {
                    shared: &self.shared,
                    local: self.local.as_ref(),
                    worker_index: self.index,
                    priority: task.priority,
                };
                let outcome = catch_unwind(AssertUnwindSafe(|| job(&context)));
                busy.store(false, Ordering::Relaxed);
                self.recorder
                    .run
                    .record(started.elapsed().as_nanos() as u64);
                if let Err(payload) = outcome {
                    self.recorder.panicked += 1;
                    self.shared
                        .hooks
                        .panicked(task.tag, panic_message(payload.as_ref()));
                }
            }
            Job::External => {
                // The slot goes with the task; the owner returns it in `finish_external`.
                self.has_slot = false;
                self.shared.note_external_started();
                self.shared.hooks.external_ready(task.tag);
            }
        }
        self.recorder.unpublished += 1;
        if self.recorder.unpublished >= PUBLISH_EVERY {
            self.publish();
        }
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
        self.publish();
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

    fn publish(&mut self) {
        self.shared.shards[self.index].publish(&mut self.recorder);
    }
}
