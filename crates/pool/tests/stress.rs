//! Many submitters, cancellations and external tasks at once: every task that was not
//! cancelled runs exactly once, and nothing is left waiting (a lost wake-up would hang here
//! and fail on the deadline).
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority, SchedulerKind};

/// Counts completions; external tasks are reported to the "owner" thread.
struct Counting {
    ran: AtomicUsize,
    external: Mutex<std::sync::mpsc::Sender<u64>>,
}

impl Hooks<()> for Counting {
    fn completed(&self, _tag: u64, _output: ()) {
        self.ran.fetch_add(1, Ordering::SeqCst);
    }
    fn external_ready(&self, tag: u64, _job: ferris_pool::ExternalJob) {
        self.external.lock().unwrap().send(tag).unwrap();
    }
    fn panicked(&self, _tag: u64, _message: String) {}
}

fn stress(scheduler: SchedulerKind) {
    const SUBMITTERS: u64 = 3;
    const PER_SUBMITTER: u64 = 20_000;
    let (tx, external) = channel();
    let hooks = Arc::new(Counting {
        ran: AtomicUsize::new(0),
        external: Mutex::new(tx),
    });
    let pool = Arc::new(
        Pool::new(
            PoolConfig {
                workers: 2,
                queue_capacity: 1_000_000,
                scheduler,
                ..Default::default()
            },
            hooks.clone(),
        )
        .unwrap(),
    );
    // The owner of external tasks: finishes each one as it is handed out (by a worker, or by
    // the owner's own `finish_external`, which hands out the next ones directly).
    let owner = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            let mut finished = 0u64;
            while let Ok(_tag) = external.recv_timeout(PATIENCE) {
                pool.finish_external(&[Duration::from_nanos(100)], 0);
                finished += 1;
                if finished == SUBMITTERS * PER_SUBMITTER / 10 {
                    break;
                }
            }
            finished
        })
    };
    let cancelled = Arc::new(AtomicUsize::new(0));
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (pool, cancelled) = (pool.clone(), cancelled.clone());
            std::thread::spawn(move || {
                for i in 0..PER_SUBMITTER {
                    let tag = s * PER_SUBMITTER + i;
                    let priority = Priority::ALL[(i % 3) as usize];
                    let job = if i % 10 == 0 {
                        Job::external()
                    } else {
                        Job::Native(Box::new(|_| std::hint::black_box(())))
                    };
                    let handle = pool.submit(priority, tag, job).unwrap();
                    // Cancel some native tasks; they may already have started.
                    if i % 10 == 7 && pool.cancel(&handle) {
                        cancelled.fetch_add(1, Ordering::SeqCst);
                    }
                    if i % 1000 == 0 {
                        std::thread::sleep(Duration::from_micros(200)); // let workers park
                    }
                }
            })
        })
        .collect();
    for submitter in submitters {
        submitter.join().unwrap();
    }
    let native = (SUBMITTERS * PER_SUBMITTER * 9 / 10) as usize - cancelled.load(Ordering::SeqCst);
    eventually("every native task to run", || {
        hooks.ran.load(Ordering::SeqCst) >= native
    });
    assert_eq!(
        owner.join().unwrap(),
        SUBMITTERS * PER_SUBMITTER / 10,
        "external tasks lost"
    );
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        hooks.ran.load(Ordering::SeqCst),
        native,
        "a task ran twice or a cancelled one ran"
    );
    let stats = pool.stats();
    assert_eq!((stats.queued, stats.running), (0, 0));
}

#[test]
fn work_stealing_under_concurrent_submitters() {
    stress(SchedulerKind::WorkStealing);
}

#[test]
fn fifo_under_concurrent_submitters() {
    stress(SchedulerKind::Fifo);
}
