//! Submits many no-op tasks from one thread and reports tasks per second.
//! `cargo run --release -p ferris-pool --example throughput`
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority};

struct Quiet;
impl Hooks<()> for Quiet {
    fn completed(&self, _: u64, _: ()) {}
    fn external_ready(&self, _: u64) {}
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
}
