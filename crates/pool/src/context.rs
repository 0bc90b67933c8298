//! What code running on a worker sees: the worker itself ([`CurrentWorker`]: its index, its
//! thread, its deque of forked jobs and the pool behind it), the jobs on that deque
//! ([`JobRef`]) and the running task's [`TaskContext`].
//!
//! The fork-join methods of [`TaskContext`] (`join`, `scope`) are in `fork.rs`, which builds on
//! these types; nothing here depends on it.
use std::thread::Thread;
use std::time::Instant;

use crossbeam_deque::Worker;

use crate::config::Priority;
use crate::unwind::AbortOnUnwind;

/// What a running task needs from the pool, without the pool's output type.
pub(crate) trait ForkPool: Sync {
    fn is_aborting(&self) -> bool;
    fn workers(&self) -> usize;
    /// A job was pushed on a local deque: wake a parked worker to steal it, if worth it.
    fn forked(&self);
    /// Takes a forked job from a sibling of worker `thief`, counting it as stolen.
    fn steal_forked(&self, thief: usize) -> Option<JobRef>;
}

/// The worker thread the calling code runs on (rayon's `WorkerThread`), borrowed from the
/// worker's loop for the duration of one task or forked job.
pub(crate) struct CurrentWorker<'a> {
    pub index: usize,
    /// Its own deque of forked jobs: it pushes and pops at one end, siblings steal at the other.
    pub local: &'a Worker<JobRef>,
    pub thread: &'a Thread,
    pub pool: &'a dyn ForkPool,
}

/// A type-erased pointer to a forked job, and the function that runs it.
#[derive(Clone, Copy)]
pub(crate) struct JobRef {
    data: *const (),
    execute: unsafe fn(*const (), &CurrentWorker<'_>),
}

// SAFETY: a JobRef is only built (`JobRef::new`) from jobs whose closures and results are
// `Send`, and the forking side keeps the job alive until it has run (the protocol in `fork.rs`).
unsafe impl Send for JobRef {}

impl JobRef {
    /// # Safety
    /// `data` must stay valid until `execute` has been called with it, which happens at most
    /// once, on any worker thread: what it points at must be `Send`.
    pub(crate) unsafe fn new(
        data: *const (),
        execute: unsafe fn(*const (), &CurrentWorker<'_>),
    ) -> JobRef {
        JobRef { data, execute }
    }

    /// Runs the job on the calling worker.
    ///
    /// # Safety
    /// The job must still be alive and not have run yet; each JobRef runs at most once (the
    /// deque hands every pushed reference to exactly one popper or thief).
    pub(crate) unsafe fn run(self, worker: &CurrentWorker<'_>) {
        // A job catches its own panics; an unwind out of it would leave its forker's stack
        // while a thief may still use it.
        let guard = AbortOnUnwind;
        // SAFETY: guaranteed by the caller.
        unsafe { (self.execute)(self.data, worker) };
        guard.disarm();
    }

    /// Whether both refer to the same job (live jobs have distinct addresses).
    pub(crate) fn is(&self, other: &JobRef) -> bool {
        std::ptr::eq(self.data, other.data)
    }
}

/// What a running native task can see of the pool.
pub struct TaskContext<'a> {
    pub(crate) worker: &'a CurrentWorker<'a>,
    pub(crate) priority: Priority,
    pub(crate) deadline: Option<Instant>,
}

impl<'a> TaskContext<'a> {
    /// True once the task should stop: its time limit ran out, or the pool is being torn
    /// down. Long-running kernels check it in their loops and return early.
    pub fn is_cancelled(&self) -> bool {
        self.timed_out() || self.worker.pool.is_aborting()
    }

    /// True once the task has run longer than the limit it was submitted with.
    pub fn timed_out(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Index of the worker thread running this task.
    pub fn worker_index(&self) -> usize {
        self.worker.index
    }

    /// Number of worker threads in the pool: how many ways forked work can spread.
    pub fn workers(&self) -> usize {
        self.worker.pool.workers()
    }

    /// Priority the running task was submitted with.
    pub fn priority(&self) -> Priority {
        self.priority
    }
}
