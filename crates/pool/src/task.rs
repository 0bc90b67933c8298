use std::time::{Duration, Instant};

use crate::config::Priority;
use crate::fork::{self, Here, Scope};
use crate::sync::{Arc, AtomicU8, Ordering};

/// Body of a native task: runs on a worker thread and returns the task's output, which the
/// pool hands to [`Hooks::completed`](crate::Hooks::completed) once the run is counted in the
/// statistics (so whoever sees the output sees statistics that include it).
pub type NativeJob<O> = Box<dyn FnOnce(&TaskContext<'_>) -> O + Send>;

/// What a submitted task does when it is taken from the queue.
pub enum Job<O> {
    /// Run this closure on the worker thread that took the task.
    Native(NativeJob<O>),
    /// Hand the task to its owner through [`Hooks::external_ready`](crate::Hooks::external_ready).
    /// The slot stays taken until the owner calls [`Pool::finish_external`](crate::Pool::finish_external).
    External,
}

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const CANCELLED: u8 = 2;

/// Shared state of one task. Its only transition out of `QUEUED` decides, once and for all,
/// whether the task starts or is cancelled: the loser of that race sees the other outcome.
#[derive(Debug)]
pub(crate) struct Header {
    state: AtomicU8,
    priority: Priority,
}

impl Header {
    fn transition(&self, to: u8) -> bool {
        self.state
            .compare_exchange(QUEUED, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// A reference to a submitted task, used to cancel it while it is still queued.
#[derive(Clone, Debug)]
pub struct TaskHandle(pub(crate) Arc<Header>);

impl TaskHandle {
    pub(crate) fn new(priority: Priority) -> Self {
        TaskHandle(Arc::new(Header {
            state: AtomicU8::new(QUEUED),
            priority,
        }))
    }

    pub fn priority(&self) -> Priority {
        self.0.priority
    }

    /// Claims the task for running. False if it was cancelled first.
    pub(crate) fn try_start(&self) -> bool {
        self.0.transition(STARTED)
    }

    /// Claims the task for cancellation. False if it already started (or was cancelled).
    pub(crate) fn try_cancel(&self) -> bool {
        self.0.transition(CANCELLED)
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == CANCELLED
    }

    pub fn has_started(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == STARTED
    }
}

/// A queued unit of work.
pub(crate) struct Task<O> {
    pub handle: TaskHandle,
    pub job: Job<O>,
    /// The submitter's identifier, passed back in hooks.
    pub tag: u64,
    pub priority: Priority,
    pub enqueued_at: Instant,
    /// Longest run time, counted from the start (see `Pool::submit_with_limit`).
    pub time_limit: Option<Duration>,
}

/// What a running native task can see of the pool.
pub struct TaskContext<'a> {
    pub(crate) here: &'a Here<'a>,
    pub(crate) priority: Priority,
    pub(crate) deadline: Option<Instant>,
}

impl<'a> TaskContext<'a> {
    /// True once the task should stop: its time limit ran out, or the pool is being torn
    /// down. Long-running kernels check it in their loops and return early.
    pub fn is_cancelled(&self) -> bool {
        self.timed_out() || self.here.pool.is_aborting()
    }

    /// True once the task has run longer than the limit it was submitted with.
    pub fn timed_out(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Index of the worker thread running this task.
    pub fn worker_index(&self) -> usize {
        self.here.index
    }

    /// Number of worker threads in the pool: how many ways forked work can spread.
    pub fn workers(&self) -> usize {
        self.here.pool.workers()
    }

    /// Priority the running task was submitted with.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// Runs `a` and `b`, potentially in parallel, and returns both results: `b` is pushed on
    /// this worker's deque for an idle worker to steal, `a` runs here, then `b` runs here too
    /// unless it was stolen meanwhile. While a stolen `b` runs, this worker helps with other
    /// forked jobs instead of blocking, so nested joins never deadlock, even with one worker.
    /// Both halves run under this task's priority and time limit. If either panics, the panic
    /// is resumed here once both have finished.
    ///
    /// ```
    /// # use ferris_pool::TaskContext;
    /// fn sum(ctx: &TaskContext<'_>, data: &[u64]) -> u64 {
    ///     if data.len() <= 1024 {
    ///         return data.iter().sum();
    ///     }
    ///     let (left, right) = data.split_at(data.len() / 2);
    ///     let (a, b) = ctx.join(|ctx| sum(ctx, left), |ctx| sum(ctx, right));
    ///     a + b
    /// }
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce(&TaskContext<'_>) -> RA + Send,
        B: FnOnce(&TaskContext<'_>) -> RB + Send,
        RA: Send,
        RB: Send,
    {
        fork::join(self, a, b)
    }

    /// Calls `body` with a [`Scope`] whose `spawn` forks jobs that may borrow from the caller,
    /// and returns once every spawned job has finished (helping with forked jobs meanwhile,
    /// as [`join`](Self::join) does). A panic in `body` or in a job is resumed here after that.
    ///
    /// ```
    /// # use ferris_pool::TaskContext;
    /// fn double_all(ctx: &TaskContext<'_>, data: &mut [f64]) {
    ///     ctx.scope(|s| {
    ///         for chunk in data.chunks_mut(4096) {
    ///             s.spawn(move |_| chunk.iter_mut().for_each(|x| *x *= 2.0));
    ///         }
    ///     });
    /// }
    /// ```
    pub fn scope<R>(&'a self, body: impl FnOnce(&Scope<'a>) -> R) -> R {
        fork::scope(self, body)
    }
}
