//! The pool: submission, slots, cancellation, external tasks, shutdown.
//!
//! Slots: there are `workers` slots and a task holds one while it runs, so at most `workers`
//! tasks of any kind run at once. A worker keeps its slot across consecutive native tasks (no
//! shared write per task), gives it to an external task it hands out, and returns it to
//! `free_slots` before it parks. When external tasks finish, their slots go to the next
//! queued external tasks first (`finish_external`), and the rest back to `free_slots`.
//! Invariant: `free_slots` + slots held by workers + external tasks running = `workers`.
//!
//! Shutdown: `close` refuses new submissions; workers keep running until nothing is queued,
//! then exit. `abort` (and dropping the pool) also sets `aborting`, which running native
//! tasks poll through [`TaskContext::is_cancelled`](crate::TaskContext::is_cancelled), and
//! joins the workers; tasks still queued are dropped without running.
use std::fmt;
use std::io;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::config::{PoolConfig, Priority};
use crate::fork::{ForkPool, JobRef};
use crate::queues::{Found, Queues, EXTERNAL_RUNNER};
use crate::sleep::Sleep;
use crate::stats::{PoolStats, Shard, Totals};
use crate::task::{Job, Task, TaskHandle};
use crate::worker::WorkerThread;

/// How the pool reports to its owner; `O` is what native jobs return. The methods run on
/// worker threads (or the external runner's) and must not block.
pub trait Hooks<O>: Send + Sync + 'static {
    /// A native task returned `output`. Its run is already counted in [`Pool::stats`].
    fn completed(&self, tag: u64, output: O);
    /// An external task was taken from the queue: its owner must run it now and then call
    /// [`Pool::finish_external`]. Its slot stays taken until then.
    fn external_ready(&self, tag: u64);
    /// A native task panicked; `message` is the panic payload when it was a string.
    fn panicked(&self, tag: u64, message: String);
}

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

/// Queue depth counters, on one cache line: a submit or a start touches both. Shared (see
/// [`QueueGauge`]) so the count can be read without a call into the pool.
#[derive(Default)]
struct Depth {
    queued: AtomicU32,
    by_level: [AtomicUsize; 3],
}

/// The number of queued tasks, readable by anyone at any time, even after the pool is gone.
/// The binding maps it into JavaScript memory so that `submit` can refuse work for a full
/// queue synchronously without crossing into native code.
#[derive(Clone)]
pub struct QueueGauge(Arc<CachePadded<Depth>>);

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

/// Largest `queue_capacity`: the queued count is a 32-bit counter (JavaScript reads it as an
/// `Int32Array` element).
pub const MAX_QUEUE_CAPACITY: usize = i32::MAX as usize;

pub(crate) struct Shared<O> {
    pub(crate) queues: Queues<O>,
    depth: Arc<CachePadded<Depth>>,
    free_slots: CachePadded<AtomicUsize>,
    external_running: CachePadded<AtomicUsize>,
    /// Per worker: running a native task now. Written only by its worker.
    pub(crate) busy: Box<[CachePadded<AtomicBool>]>,
    /// Per worker, plus one last shard for the external runner.
    pub(crate) shards: Box<[CachePadded<Shard>]>,
    /// Held while writing the external runner's shard, which must have one writer at a time.
    external_writer: Mutex<()>,
    pub(crate) sleep: Sleep,
    closed: AtomicBool,
    aborting: AtomicBool,
    pub(crate) hooks: Arc<dyn Hooks<O>>,
    capacity: usize,
    workers: usize,
    pub(crate) started_at: Instant,
}

impl<O: Send + 'static> Shared<O> {
    pub(crate) fn is_aborting(&self) -> bool {
        self.aborting.load(Ordering::Acquire)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closed and nothing left to start: workers may exit.
    pub(crate) fn is_drained(&self) -> bool {
        // The fence pairs with the one in `submit_with_limit`: either that submission's
        // re-check sees `closed`, or this load sees its task counted (loom_tests.rs).
        self.is_closed() && {
            fence(Ordering::SeqCst);
            self.queued() == 0
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.depth.queued.load(Ordering::SeqCst) as usize
    }

    pub(crate) fn queued_at(&self, priority: Priority) -> usize {
        self.depth.by_level[priority.index()].load(Ordering::Relaxed)
    }

    /// Something is queued or forked, and a slot is available to run it (`holding`: the caller
    /// has one).
    pub(crate) fn has_work(&self, holding: bool) -> bool {
        (self.queued() > 0 || self.queues.has_forked())
            && (holding || self.free_slots.load(Ordering::SeqCst) > 0)
    }

    pub(crate) fn try_acquire_slot(&self) -> bool {
        self.free_slots
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Returns slots and wakes a parked worker if queued tasks or forked jobs were waiting for
    /// one.
    pub(crate) fn release_slots(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.free_slots.fetch_add(n, Ordering::SeqCst);
        self.sleep.notify_work(|| self.has_work(true));
    }

    pub(crate) fn has_free_slot(&self) -> bool {
        self.free_slots.load(Ordering::SeqCst) > 0
    }

    fn count_in(&self, priority: Priority) {
        self.depth.by_level[priority.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The task left the queue: it started or was cancelled. The last one out of a closed
    /// pool wakes every worker, so that parked ones see they may exit (`shutdown_and_join`).
    pub(crate) fn count_out(&self, priority: Priority) {
        let before = self.depth.queued.fetch_sub(1, Ordering::SeqCst);
        self.depth.by_level[priority.index()].fetch_sub(1, Ordering::Relaxed);
        if before == 1 && self.is_closed() {
            self.sleep.wake_all();
        }
    }

    fn new_task(
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

    pub(crate) fn note_external_started(&self) {
        self.external_running.fetch_add(1, Ordering::SeqCst);
    }

    /// Queued or forked work was published: wake a parked worker for it if a slot is free
    /// (see `sleep.rs` for when it does).
    pub(crate) fn wake_for_new_task(&self) {
        self.sleep.notify_work(|| self.has_free_slot());
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
        self.wake_for_new_task();
    }

    fn steal_forked(&self, thief: usize) -> Option<JobRef> {
        let job = self.queues.steal_forked(thief)?;
        self.shards[thief].stole();
        Some(job)
    }
}

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
        let started_at = Instant::now();
        let (queues, locals) =
            Queues::new(config.scheduler, config.workers, config.aging, started_at);
        let shared = Arc::new(Shared {
            queues,
            depth: Default::default(),
            free_slots: CachePadded::new(AtomicUsize::new(config.workers)),
            external_running: Default::default(),
            busy: (0..config.workers).map(|_| Default::default()).collect(),
            shards: (0..=config.workers).map(|_| Default::default()).collect(),
            external_writer: Mutex::new(()),
            sleep: Sleep::default(),
            closed: AtomicBool::new(false),
            aborting: AtomicBool::new(false),
            hooks,
            capacity: config.queue_capacity,
            workers: config.workers,
            started_at,
        });
        let pool = Pool {
            shared: shared.clone(),
            threads: Mutex::new(Vec::with_capacity(config.workers)),
        };
        for (index, local) in locals.into_iter().enumerate() {
            let mut builder =
                std::thread::Builder::new().name(format!("{}-{index}", config.thread_name));
            if let Some(size) = config.stack_size {
                builder = builder.stack_size(size);
            }
            let shared = shared.clone();
            // On error `pool` is dropped, which aborts and joins the threads started so far.
            let thread = builder.spawn(move || WorkerThread::new(index, shared, local).run())?;
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
        if shared.is_closed() {
            return Err(SubmitError::Closed);
        }
        let capacity = shared.capacity;
        shared
            .depth
            .queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                ((q as usize) < capacity).then_some(q + 1)
            })
            .map_err(|_| SubmitError::QueueFull { capacity })?;
        fence(Ordering::SeqCst); // see `Shared::is_drained`
        if shared.is_closed() {
            // `close` came between the check above and the count: workers may already have
            // seen the pool drained and gone, so this task must not be queued. A worker that
            // saw the count instead may have parked waiting for it: the last count out wakes
            // them all, as in `count_out`.
            if shared.depth.queued.fetch_sub(1, Ordering::SeqCst) == 1 {
                shared.sleep.wake_all();
            }
            return Err(SubmitError::Closed);
        }
        shared.count_in(priority);
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
    /// out, then cancelled by their owner before they ran), and lets the owner take queued
    /// tasks in exchange, in queue order: each freed slot goes straight to the next external
    /// task, whose tag is appended to `out` (it must be finished in turn), without passing
    /// through the workers. The first native task met is handed to the workers instead and
    /// the taking stops there; slots not reused are returned to the pool.
    ///
    /// Giving the slot directly to the owner's next task matters: a slot returned to the pool
    /// first would usually be grabbed by a spinning worker, which would then send the task back
    /// to the owner through a much slower cross-thread hand-off.
    pub fn finish_external(&self, run_times: &[Duration], abandoned: usize, out: &mut Vec<u64>) {
        let shared = &*self.shared;
        let mut slots = run_times.len() + abandoned;
        if slots == 0 {
            return;
        }
        let _writer = shared
            .external_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let shard = &shared.shards[shared.workers];
        for &time in run_times {
            shard.finished(time, false);
        }
        shared.external_running.fetch_sub(slots, Ordering::SeqCst);
        while slots > 0 && shared.queued() > 0 {
            let found = shared.queues.find(EXTERNAL_RUNNER, |p| shared.queued_at(p));
            let Some(Found::Task(task)) = found else {
                break;
            };
            match task.job {
                Job::External if task.handle.try_start() => {
                    shared.count_out(task.priority);
                    shared.note_external_started();
                    shard.started(task.enqueued_at.elapsed());
                    out.push(task.tag);
                    slots -= 1;
                }
                Job::External => {} // cancelled while queued: drop it, look on
                _ if task.handle.is_cancelled() => {}
                _ => {
                    shared.queues.hand_off(task);
                    break;
                }
            }
        }
        shared.release_slots(slots);
    }

    /// Refuses further submissions. Queued and running work still completes; workers exit once
    /// nothing is queued.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.sleep.wake_all();
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
        self.shared.closed.store(true, Ordering::Release);
        self.shared.aborting.store(true, Ordering::Release);
        self.shared.sleep.wake_all();
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
        QueueGauge(self.shared.depth.clone())
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
        let external = shared.external_running.load(Ordering::SeqCst);
        let uptime = shared.started_at.elapsed();
        let oldest_native_running = shared
            .shards
            .iter()
            .filter_map(|shard| shard.running_since())
            .min()
            .map_or(Duration::ZERO, |since| uptime.saturating_sub(since));
        PoolStats {
            workers: shared.workers,
            running: busy + external,
            external_running: external,
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
