//! A submitted task: what it does ([`Job`]), its start-or-cancel state ([`TaskHandle`]) and
//! the record that waits in the queues.
use std::any::Any;
use std::time::{Duration, Instant};

use crate::config::Priority;
use crate::context::TaskContext;
use crate::sync::{Arc, AtomicU8, Ordering};

/// Body of a native task: runs on a worker thread and returns the task's output, which the
/// pool hands to [`Hooks::completed`](crate::Hooks::completed) once the run is counted in the
/// statistics (so whoever sees the output sees statistics that include it).
pub type NativeJob<O> = Box<dyn FnOnce(&TaskContext<'_>) -> O + Send>;

/// What the owner attached to an external task (say, what to run and with which
/// arguments), handed back with the task; `Box::new(())` when it needs nothing, which does
/// not allocate.
pub type ExternalJob = Box<dyn Any + Send>;

/// What a submitted task does when it is taken from the queue.
pub enum Job<O> {
    /// Run this closure on the worker thread that took the task.
    Native(NativeJob<O>),
    /// Hand the task, with its payload, to its owner through
    /// [`Hooks::external_ready`](crate::Hooks::external_ready). The slot stays taken until the
    /// owner calls [`Pool::finish_external`](crate::Pool::finish_external).
    External(ExternalJob),
}

impl<O> Job<O> {
    /// An external job with no payload.
    pub fn external() -> Job<O> {
        Job::External(Box::new(()))
    }
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

/// A queued task (`J` = [`Job`]), or a native one taken from the queue (`J` = [`NativeJob`]).
pub(crate) struct TaskOf<J> {
    pub handle: TaskHandle,
    pub job: J,
    /// The submitter's identifier, passed back in hooks.
    pub tag: u64,
    pub priority: Priority,
    pub enqueued_at: Instant,
    /// Longest run time, counted from the start (see `Pool::submit_with_limit`).
    pub time_limit: Option<Duration>,
}

/// A queued unit of work.
pub(crate) type Task<O> = TaskOf<Job<O>>;

/// A native task, split from its [`Job`] once taken from the queue.
pub(crate) type NativeTask<O> = TaskOf<NativeJob<O>>;

impl<O> Task<O> {
    /// The native task, or the external one as it was.
    pub fn into_native(self) -> Result<NativeTask<O>, Task<O>> {
        match self.job {
            Job::Native(job) => Ok(TaskOf {
                handle: self.handle,
                job,
                tag: self.tag,
                priority: self.priority,
                enqueued_at: self.enqueued_at,
                time_limit: self.time_limit,
            }),
            Job::External(job) => Err(TaskOf {
                job: Job::External(job),
                ..self
            }),
        }
    }
}
