//! Submits many no-op tasks from one thread and reports tasks per second; then queues many
//! external tasks and finishes each as soon as it is handed out, as the binding does.
//! `cargo run --release -p ferris-pool --example throughput`
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority};

struct Quiet;
impl Hooks<()> for Quiet {
    fn completed(&self, _: u64, _: ()) {}
    fn external_ready(&self, _: u64, _job: ferris_pool::ExternalJob) {}
    fn panicked(&self, _: u64, _: String) {}
}

fn main() {
    let n = 1_000_000;
    for workers in [1, 2] {
        let pool = Pool::new(
            PoolConfig {
                workers,
                queue_capacity: n,
                ..Default::default()
            },
            Arc::new(Quiet),
        )
        .unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        for i in 0..n {
            let done = done.clone();
            pool.submit(
                Priority::Normal,
                i as u64,
                Job::Native(Box::new(move |_| {
                    done.fetch_add(1, Ordering::Relaxed);
                })),
            )
            .unwrap();
        }
        let submitted = start.elapsed();
        while done.load(Ordering::Relaxed) < n {
            std::hint::spin_loop();
        }
        let all = start.elapsed();
        println!(
            "{workers} worker(s): submit {:.0} ns/task, all done {:.0} ns/task ({:.2} M tasks/s)",
            submitted.as_nanos() as f64 / n as f64,
            all.as_nanos() as f64 / n as f64,
            n as f64 / all.as_secs_f64() / 1e6
        );
    }
    for workers in [1, 2] {
        external(workers);
    }
}

/// Hands each external task to the owner (the main thread) through a channel.
struct Owner(Mutex<Sender<u64>>);
impl Hooks<()> for Owner {
    fn completed(&self, _: u64, _: ()) {}
    fn external_ready(&self, tag: u64, _job: ferris_pool::ExternalJob) {
        self.0.lock().unwrap().send(tag).unwrap();
    }
    fn panicked(&self, _: u64, _: String) {}
}

fn external(workers: usize) {
    let n = 200_000;
    let (tx, handed_out) = channel();
    let config = PoolConfig {
        workers,
        queue_capacity: n,
        ..Default::default()
    };
    let pool = Pool::new(config, Arc::new(Owner(Mutex::new(tx)))).unwrap();
    let start = Instant::now();
    for i in 0..n {
        pool.submit(Priority::Normal, i as u64, Job::external())
            .unwrap();
    }
    for _ in 0..n {
        handed_out.recv().unwrap();
        pool.finish_external(&[Duration::ZERO], 0);
    }
    let all = start.elapsed();
    println!(
        "{workers} worker(s), external: all done {:.0} ns/task",
        all.as_nanos() as f64 / n as f64
    );
}
