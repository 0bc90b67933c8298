//! `ferris-pool`: the scheduler behind ferris-executor, with no Node.js in it.
//!
//! A fixed set of worker threads serves one crossbeam [`Injector`](crossbeam_deque::Injector)
//! per [`Priority`] plus a LIFO deque per worker for tasks spawned inside tasks, and steals
//! between workers. Queued tasks are bounded (`queue_capacity`), cancellable until they start,
//! and aged so that LOW cannot starve. Native tasks run on the workers under `catch_unwind`.
//!
//! Vocabulary: an *external* task ([`Job::External`]) is one the pool schedules but does not
//! run: its *owner* (whoever owns the pool; in the binding, the JavaScript thread or the
//! JavaScript worker isolates) runs it outside the pool's threads. The pool *hands it out*,
//! with the payload it was submitted with, through [`Hooks::external_ready`], and it holds a
//! slot until its runner reports it finished with [`Pool::finish_external`] (from any
//! thread), so at most `workers` tasks of any kind run at once. [`Handoff`] is where the
//! binding's worker isolates take the external tasks meant for them.
//!
//! ```
//! use std::sync::{mpsc, Arc, Mutex};
//! use ferris_pool::{ExternalJob, Hooks, Job, Pool, PoolConfig, Priority};
//!
//! /// Sends each native task's output, with its tag, down a channel.
//! struct Results(Mutex<mpsc::Sender<(u64, u32)>>);
//! impl Hooks<u32> for Results {
//!     fn completed(&self, tag: u64, output: u32) {
//!         self.0.lock().unwrap().send((tag, output)).unwrap();
//!     }
//!     fn external_ready(&self, _tag: u64, _job: ExternalJob) {}
//!     fn panicked(&self, _tag: u64, _message: String) {}
//! }
//!
//! let (tx, rx) = mpsc::channel();
//! let hooks = Arc::new(Results(Mutex::new(tx)));
//! let pool = Pool::new(PoolConfig { workers: 2, ..Default::default() }, hooks).unwrap();
//! pool.submit(Priority::High, 1, Job::Native(Box::new(|_ctx| 6 * 7))).unwrap();
//! assert_eq!(rx.recv().unwrap(), (1, 42));
//! pool.shutdown_and_join();
//! ```
mod batch;
mod config;
mod context;
mod depth;
mod fork;
mod handoff;
mod histogram;
mod hooks;
mod placement;
mod pool;
mod queues;
mod registry;
mod sleep;
mod slots;
mod stats;
mod sync;
mod task;
mod unwind;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

pub use batch::{Batch, Hold};
pub use config::{PoolConfig, Priority, SchedulerKind};
pub use context::TaskContext;
pub use depth::{QueueGauge, SubmitError, MAX_QUEUE_CAPACITY};
pub use fork::Scope;
pub use handoff::Handoff;
pub use histogram::Summary;
pub use hooks::Hooks;
pub use pool::Pool;
pub use stats::PoolStats;
pub use task::{ExternalJob, Job, NativeJob, TaskHandle};
