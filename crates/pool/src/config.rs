use std::time::Duration;

/// Scheduling priority of a task. Lower discriminant = served first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    High = 0,
    Normal = 1,
    Low = 2,
}

impl Priority {
    /// All levels, most urgent first: the order in which queues are searched.
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Normal, Priority::Low];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// How queued tasks are organised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SchedulerKind {
    /// One injector per priority with deadline aging across them.
    #[default]
    WorkStealing,
    /// One shared FIFO queue for every task: no priorities. Kept as the baseline the
    /// work-stealing scheduler is measured against. (Under both, jobs forked by running tasks
    /// go on per-worker deques and idle workers steal them.)
    Fifo,
}

/// Settings of a [`Pool`](crate::Pool).
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Number of worker threads, and the number of slots: at most this many tasks of any kind
    /// (native or external) run at once.
    pub workers: usize,
    /// Most tasks that may wait in the queues (running tasks do not count). Submitting past it
    /// is refused with [`SubmitError::QueueFull`](crate::SubmitError::QueueFull).
    pub queue_capacity: usize,
    /// Stack size of each worker thread; `None` keeps the platform default.
    pub stack_size: Option<usize>,
    pub scheduler: SchedulerKind,
    /// A queued task that has waited longer than this is served before younger tasks of higher
    /// priority. `Duration::ZERO` disables aging (strict priorities).
    pub aging: Duration,
    /// Worker threads are named `{thread_name}-{index}`.
    pub thread_name: String,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue_capacity: 10_000,
            stack_size: None,
            scheduler: SchedulerKind::WorkStealing,
            aging: Duration::from_millis(1000),
            thread_name: "ferris-worker".to_string(),
        }
    }
}
