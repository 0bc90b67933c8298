//! The public facade: [`Pool`] starts the workers and forwards submissions, cancellations,
//! finished external tasks and shutdown to the shared state (`registry.rs`).
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::{PoolConfig, Priority};
use crate::depth::{QueueGauge, SubmitError, MAX_QUEUE_CAPACITY};
use crate::hooks::Hooks;
use crate::registry::Shared;
use crate::stats::{PoolStats, Totals};
use crate::task::{Job, TaskHandle};
use crate::worker;

/// A fixed set of worker threads with priority queues, a bounded queue, and slots shared by
/// native tasks (run on the workers) and external tasks (run by the pool's owner).
pub struct Pool<O: Send + 'static> {
    shared: Arc<Shared<O>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<O: Send + 'static> Pool<O> {
    /// Starts `config.workers` threads. Fails if a thread cannot be spawned (for example with
    /// an impossible stack size); threads already started are stopped again.
    pub fn new(config: PoolConfig, hooks: Arc<dyn Hooks<O>>) -> io::Result<Pool<O>> {
        if config.workers == 0 || !(1..=MAX_QUEUE_CAPACITY).contains(&config.queue_capacity) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a pool needs at least one worker and a queue capacity from 1 to 2^31 - 1",
            ));
        }
        let (shared, locals) = Shared::new(&config, hooks);
        let shared = Arc::new(shared);
        let pool = Pool {
            shared: shared.clone(),
            threads: Mutex::new(Vec::with_capacity(config.workers)),
        };
        for (index, local) in locals.into_iter().enumerate() {
            // On error `pool` is dropped, which aborts and joins the threads started so far.
            let thread = worker::spawn(index, &config, shared.clone(), local)?;
            pool.lock_threads().push(thread);
        }
        Ok(pool)
    }

    /// Queues a task. `tag` comes back in [`Hooks`] calls. Refused when the queue holds
    /// `queue_capacity` tasks or the pool is closed.
    pub fn submit(
        &self,
        priority: Priority,
        tag: u64,
        job: Job<O>,
    ) -> Result<TaskHandle, SubmitError> {
        self.submit_with_limit(priority, tag, job, None)
    }

    /// Like [`Pool::submit`], with a limit on the task's run time: from the moment a worker
    /// starts it, its [`TaskContext::is_cancelled`](crate::TaskContext::is_cancelled) turns true
    /// after `time_limit`, and [`TaskContext::timed_out`](crate::TaskContext::timed_out) tells
    /// the job why. Stopping is up to the job (kernels poll the flag in their loops).
    pub fn submit_with_limit(
        &self,
        priority: Priority,
        tag: u64,
        job: Job<O>,
        time_limit: Option<Duration>,
    ) -> Result<TaskHandle, SubmitError> {
        let shared = &*self.shared;
        shared
            .depth
            .admit(priority, shared.capacity, &shared.sleep)?;
        let (task, handle) = Shared::new_task(priority, tag, job, time_limit);
        shared.queues.push(task);
        shared.wake_for_new_task();
        Ok(handle)
    }

    /// Cancels a task that has not started. True if it was queued (it will never run) or was
    /// already cancelled; false once it has started. `handle` must come from this pool.
    pub fn cancel(&self, handle: &TaskHandle) -> bool {
        if handle.try_cancel() {
            self.shared.count_out(handle.priority());
            true
        } else {
            handle.is_cancelled()
        }
    }

    /// Reports external tasks finished (after running for `run_times`) or `abandoned` (handed
    /// out, then cancelled by their owner before they ran), and gives their slots to the next
    /// queued tasks, in queue order: each freed slot goes straight to the next external task,
    /// handed out through [`Hooks::external_ready`] on the calling thread before this returns,
    /// without passing through the workers. The first native task met is put back for the
    /// workers instead and the taking stops there; slots not reused are returned to the pool
    /// (waking a worker if queued tasks or forked jobs wait for one).
    ///
    /// Giving the slot directly to the owner's next task matters: a slot returned to the pool
    /// first would usually be grabbed by a spinning worker, which would then send the task back
    /// to the owner through a much slower cross-thread hand-off. The order guarantee of
    /// [`Hooks::external_ready`] holds for these hand-outs too.
    pub fn finish_external(&self, run_times: &[Duration], abandoned: usize) {
        self.shared.finish_external(run_times, abandoned);
    }

    /// Hands queued external tasks out on the calling thread while slots are free, in queue
    /// order, until the first native task (put back for the workers, as `finish_external`
    /// does). An owner that has just submitted external tasks calls it so that they need no
    /// worker thread to wake up and hand them out: their first hop is then the owner's own.
    pub fn hand_out_queued(&self) {
        self.shared.hand_out_queued();
    }

    /// Refuses further submissions. Queued and running work still completes; workers exit once
    /// nothing is queued.
    pub fn close(&self) {
        self.shared.close(false);
    }

    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Closes the pool and waits for the queued work to finish and the workers to exit.
    pub fn shutdown_and_join(&self) {
        self.close();
        self.join();
    }

    /// Stops the pool now: refuses new work, asks running native tasks to stop (see
    /// [`TaskContext::is_cancelled`](crate::TaskContext::is_cancelled)), drops what is still queued and joins the workers.
    /// Dropping the pool does the same.
    pub fn abort(&self) {
        self.shared.close(true);
        self.join();
    }

    fn lock_threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn join(&self) {
        let threads = std::mem::take(&mut *self.lock_threads());
        for thread in threads {
            // A worker never panics (tasks run under catch_unwind); nothing to report if it did.
            let _ = thread.join();
        }
    }

    /// A live view of the queued count (see [`QueueGauge`]).
    pub fn queue_gauge(&self) -> QueueGauge {
        self.shared.queue_gauge()
    }

    pub fn workers(&self) -> usize {
        self.shared.workers
    }

    pub fn stats(&self) -> PoolStats {
        let shared = &*self.shared;
        let mut total = Totals::default();
        for shard in shared.shards.iter() {
            shard.add_to(&mut total);
        }
        let busy = shared
            .busy
            .iter()
            .filter(|b| b.load(Ordering::Relaxed))
            .count();
        let external = shared.slots.external();
        let uptime = shared.started_at.elapsed();
        let running_since = shared
            .shards
            .iter()
            .filter_map(|shard| shard.running_since());
        let native_running = running_since.clone().count();
        let oldest_native_running = running_since
            .min()
            .map_or(Duration::ZERO, |since| uptime.saturating_sub(since));
        PoolStats {
            workers: shared.workers,
            running: busy + external,
            external_running: external,
            native_running,
            sleeping: shared.sleep.sleeping(),
            queued: shared.queued(),
            queued_by_priority: Priority::ALL.map(|p| shared.queued_at(p)),
            started: total.started,
            stolen: total.stolen,
            panicked: total.panicked,
            wait: total.wait.summary(),
            run: total.run.summary(),
            oldest_native_running,
            uptime,
        }
    }
}

impl<O: Send + 'static> Drop for Pool<O> {
    fn drop(&mut self) {
        self.abort();
    }
}
