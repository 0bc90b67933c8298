//! Concurrency, priorities, aging, FIFO baseline, stealing.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ferris_pool::{PoolConfig, Priority, SchedulerKind};

#[test]
fn tasks_run_in_parallel_on_all_workers() {
    // Each task waits until all of them are inside at once: impossible on a serial executor.
    for scheduler in [SchedulerKind::WorkStealing, SchedulerKind::Fifo] {
        let workers = 3;
        let (pool, _) = pool(workers, scheduler);
        let inside = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel();
        for tag in 0..workers as u64 {
            let (inside, tx) = (inside.clone(), tx.clone());
            pool.submit(
                Priority::Normal,
                tag,
                job(move || {
                    inside.fetch_add(1, Ordering::SeqCst);
                    let deadline = Instant::now() + PATIENCE;
                    while inside.load(Ordering::SeqCst) < workers && Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                    tx.send(inside.load(Ordering::SeqCst)).unwrap();
                }),
            )
            .unwrap();
        }
        for _ in 0..workers {
            let seen = rx.recv_timeout(PATIENCE * 2).unwrap();
            assert_eq!(seen, workers, "{scheduler:?}: tasks did not overlap");
        }
    }
}

#[test]
fn higher_priorities_run_first_and_fifo_within_a_level() {
    let (pool, _) = pool(1, SchedulerKind::WorkStealing);
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    let order = [
        (Priority::Low, 1),
        (Priority::Normal, 2),
        (Priority::Low, 3),
        (Priority::High, 4),
        (Priority::Normal, 5),
        (Priority::High, 6),
    ];
    for (priority, tag) in order {
        send_on_run(&pool, priority, tag, &tx);
    }
    gate.open();
    assert_eq!(collect(&rx, order.len()), vec![4, 6, 2, 5, 1, 3]);
}

#[test]
fn fifo_scheduler_ignores_priorities() {
    let (pool, _) = pool(1, SchedulerKind::Fifo);
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    for (priority, tag) in [
        (Priority::Low, 1),
        (Priority::Normal, 2),
        (Priority::High, 3),
    ] {
        send_on_run(&pool, priority, tag, &tx);
    }
    gate.open();
    assert_eq!(collect(&rx, 3), vec![1, 2, 3]);
}

#[test]
fn an_overdue_low_task_goes_before_younger_high_tasks() {
    let (pool, _) = pool_with(PoolConfig {
        workers: 1,
        aging: Duration::from_millis(30),
        ..Default::default()
    });
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    send_on_run(&pool, Priority::Low, 1, &tx);
    // Well past the aging limit; the HIGH tasks below are fresh when the worker frees up.
    std::thread::sleep(Duration::from_millis(150));
    for tag in [2, 3] {
        send_on_run(&pool, Priority::High, tag, &tx);
    }
    gate.open();
    assert_eq!(collect(&rx, 3), vec![1, 2, 3]);
}

#[test]
fn without_aging_low_waits_for_every_high_task() {
    let (pool, _) = pool_with(PoolConfig {
        workers: 1,
        aging: Duration::ZERO,
        ..Default::default()
    });
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    send_on_run(&pool, Priority::Low, 1, &tx);
    std::thread::sleep(Duration::from_millis(50));
    for tag in [2, 3] {
        send_on_run(&pool, Priority::High, tag, &tx);
    }
    gate.open();
    assert_eq!(collect(&rx, 3), vec![2, 3, 1]);
}

#[test]
fn an_idle_pool_parks_every_worker() {
    let (pool, _) = pool(2, SchedulerKind::WorkStealing);
    let (tx, rx) = channel();
    for tag in 0..100 {
        send_on_run(&pool, Priority::Normal, tag, &tx);
    }
    collect(&rx, 100);
    eventually("both workers to park", || pool.stats().sleeping == 2);
    let stats = pool.stats();
    assert_eq!((stats.running, stats.queued), (0, 0));
    assert_eq!(stats.started, 100);
    assert_eq!(stats.wait.count, 100);
    assert!(stats.run.max >= stats.run.min);
}

/// Rule 2 of `sleep.rs`: a worker that takes the only queued task leaves its parked sibling
/// alone (nothing is left for it; a fork would post and wake it then). Waking it anyway costs
/// a wake-up on the path to the task's start and a thread that competes with the submitter for
/// a core. The task reads the parked count as it starts, before anything but this rule could
/// have woken the sibling.
#[test]
fn a_lone_task_wakes_no_spare_worker() {
    let (pool, _) = pool(2, SchedulerKind::WorkStealing);
    let pool = Arc::new(pool);
    for round in 0..20 {
        eventually("both workers to park", || pool.stats().sleeping == 2);
        let (tx, rx) = channel();
        let inside = Arc::downgrade(&pool);
        pool.submit(
            Priority::Normal,
            round,
            job(move || {
                let sleeping = inside.upgrade().map(|pool| pool.stats().sleeping);
                tx.send(sleeping).unwrap();
            }),
        )
        .unwrap();
        let sleeping = rx.recv_timeout(PATIENCE).unwrap();
        assert_eq!(sleeping, Some(1), "round {round}: the sibling was woken");
    }
}
