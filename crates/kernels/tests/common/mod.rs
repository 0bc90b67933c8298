//! What the kernel and plugin tests share: a pool whose outcomes come down a channel.
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferris_kernels::{KernelError, Value};
use ferris_pool::{Hooks, Pool, PoolConfig};

pub type KernelResult = Result<Value, KernelError>;

/// How long a test waits for something that should happen at once: only a hang takes longer.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// A kernel's result, or the message it panicked with.
pub type Outcome = Result<KernelResult, String>;

/// Forwards every outcome down a channel.
struct Outcomes(Mutex<Sender<Outcome>>);

impl Hooks<KernelResult> for Outcomes {
    fn completed(&self, _tag: u64, result: KernelResult) {
        self.0.lock().unwrap().send(Ok(result)).unwrap();
    }
    fn external_ready(&self, _tag: u64, _job: ferris_pool::ExternalJob) {}
    fn panicked(&self, _tag: u64, message: String) {
        self.0.lock().unwrap().send(Err(message)).unwrap();
    }
}

/// A pool of `workers` and the receiving end of its outcomes.
pub fn pool(workers: usize) -> (Pool<KernelResult>, Receiver<Outcome>) {
    let (tx, rx) = channel();
    let config = PoolConfig {
        workers,
        ..Default::default()
    };
    (
        Pool::new(config, Arc::new(Outcomes(Mutex::new(tx)))).unwrap(),
        rx,
    )
}
