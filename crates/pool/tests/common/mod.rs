//! Helpers shared by the pool's integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority, SchedulerKind, TaskContext, TaskHandle};

pub const PATIENCE: Duration = Duration::from_secs(10);

/// Records what the pool reports.
#[derive(Default)]
pub struct Recording {
    pub external: Mutex<Vec<u64>>,
    pub panics: Mutex<Vec<(u64, String)>>,
}

impl Hooks<()> for Recording {
    fn completed(&self, _tag: u64, _output: ()) {}
    fn external_ready(&self, tag: u64, _job: ferris_pool::ExternalJob) {
        self.external.lock().unwrap().push(tag);
    }
    fn panicked(&self, tag: u64, message: String) {
        self.panics.lock().unwrap().push((tag, message));
    }
}

pub fn pool(workers: usize, scheduler: SchedulerKind) -> (Pool<()>, Arc<Recording>) {
    pool_with(PoolConfig {
        workers,
        scheduler,
        ..Default::default()
    })
}

pub fn pool_with(config: PoolConfig) -> (Pool<()>, Arc<Recording>) {
    let hooks = Arc::new(Recording::default());
    (Pool::new(config, hooks.clone()).unwrap(), hooks)
}

pub fn job(f: impl FnOnce() + Send + 'static) -> Job<()> {
    Job::Native(Box::new(move |_| f()))
}

/// A task that occupies its worker until the returned gate is opened (or dropped).
pub struct Gate {
    open: Arc<AtomicBool>,
}

impl Gate {
    pub fn open(&self) {
        self.open.store(true, Ordering::Release);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
    }
}

/// Submits a blocking task and waits until it is running.
pub fn block_worker(pool: &Pool<()>) -> Gate {
    let open = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = channel();
    let gate = open.clone();
    pool.submit(
        Priority::High,
        u64::MAX,
        job(move || {
            started_tx.send(()).unwrap();
            while !gate.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }),
    )
    .unwrap();
    started_rx
        .recv_timeout(PATIENCE)
        .expect("the blocking task never started");
    Gate { open }
}

/// Submits a task that sends `tag` when it runs.
pub fn send_on_run(pool: &Pool<()>, priority: Priority, tag: u64, tx: &Sender<u64>) -> TaskHandle {
    let tx = tx.clone();
    pool.submit(priority, tag, job(move || tx.send(tag).unwrap()))
        .unwrap()
}

pub fn collect(rx: &Receiver<u64>, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| rx.recv_timeout(PATIENCE).expect("a task never ran"))
        .collect()
}

/// Polls `condition` until it holds, failing after `PATIENCE`.
pub fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` as a native task on `pool` and returns what it returned, or the panic message the
/// pool reported for it.
pub fn run_task<R: Send + 'static>(
    pool: &Pool<()>,
    hooks: &Recording,
    f: impl FnOnce(&TaskContext<'_>) -> R + Send + 'static,
) -> Result<R, String> {
    static NEXT_TAG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 32);
    let tag = NEXT_TAG.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = channel();
    pool.submit(
        Priority::Normal,
        tag,
        Job::Native(Box::new(move |ctx| {
            let _ = tx.send(f(ctx));
        })),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(result) = rx.recv_timeout(Duration::from_millis(5)) {
            return Ok(result);
        }
        if let Some((_, message)) = hooks.panics.lock().unwrap().iter().find(|(t, _)| *t == tag) {
            return Err(message.clone());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the task never finished"
        );
    }
}
