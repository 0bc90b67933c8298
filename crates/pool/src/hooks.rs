//! How the pool reports to its owner.
use crate::task::ExternalJob;

/// How the pool reports to its owner; `O` is what native jobs return. The methods run on
/// worker threads, or on whichever thread calls [`Pool::finish_external`](crate::Pool::finish_external)
/// or [`Pool::hand_out_queued`](crate::Pool::hand_out_queued), and must not block.
pub trait Hooks<O>: Send + Sync + 'static {
    /// A native task returned `output`. Its run is already counted in [`Pool::stats`](crate::Pool::stats).
    fn completed(&self, tag: u64, output: O);
    /// An external task was taken from the queue, with the payload it was submitted with
    /// (`job`): its owner must run it now and then call
    /// [`Pool::finish_external`](crate::Pool::finish_external). Its slot stays taken until then.
    ///
    /// Order: across all threads, these calls come in the order in which the tasks left the
    /// queue, one at a time: within a priority level (and under
    /// [`SchedulerKind::Fifo`](crate::SchedulerKind::Fifo), overall) in submission order. An
    /// owner that queues the tags it receives and runs them in that order runs them in queue
    /// order. The call is made while the queue is held, so it must not call back into the
    /// pool.
    fn external_ready(&self, tag: u64, job: ExternalJob);
    /// A native task panicked; `message` is the panic payload when it was a string.
    fn panicked(&self, tag: u64, message: String);
}
