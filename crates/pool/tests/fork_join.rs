//! Fork-join inside tasks: `TaskContext::join` and `TaskContext::scope`.
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use ferris_pool::{PoolConfig, SchedulerKind, TaskContext};

/// Naive Fibonacci that forks every call above `cutoff`: the classic fork-join stress.
fn fib(ctx: &TaskContext<'_>, n: u64, cutoff: u64) -> u64 {
    if n < 2 {
        return n;
    }
    if n <= cutoff {
        return fib(ctx, n - 1, cutoff) + fib(ctx, n - 2, cutoff);
    }
    let (a, b) = ctx.join(|ctx| fib(ctx, n - 1, cutoff), |ctx| fib(ctx, n - 2, cutoff));
    a + b
}

/// Enters a meeting of two and waits (up to PATIENCE) for the other: returns how many were in
/// at the end, 2 only if both ran at the same time. A serial join never gets past 1 in the first.
fn meet(inside: &AtomicUsize) -> usize {
    inside.fetch_add(1, Ordering::SeqCst);
    let deadline = Instant::now() + PATIENCE;
    while inside.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        std::hint::spin_loop();
    }
    inside.load(Ordering::SeqCst)
}

#[test]
fn deep_recursion_forks_at_every_level_and_gets_the_right_answer() {
    for scheduler in [SchedulerKind::WorkStealing, SchedulerKind::Fifo] {
        let (pool, hooks) = pool(2, scheduler);
        // fib(30) with cutoff 1: 1.3 million joins, 30 deep.
        assert_eq!(run_task(&pool, &hooks, |ctx| fib(ctx, 30, 1)), Ok(832_040));
        // Forking is not submitting: one task started, nothing left queued.
        let stats = pool.stats();
        assert_eq!((stats.started, stats.queued), (1, 0));
    }
}

#[test]
fn nested_joins_complete_on_a_single_worker() {
    let (pool, hooks) = pool(1, SchedulerKind::WorkStealing);
    assert_eq!(run_task(&pool, &hooks, |ctx| fib(ctx, 22, 1)), Ok(17_711));
    assert_eq!(pool.stats().stolen, 0, "there is nobody to steal");
}

#[test]
fn idle_workers_steal_forked_halves() {
    // Each half waits until both halves are inside at once: a join that ran its halves one
    // after the other (nobody stealing) would never get there.
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    let inside = AtomicUsize::new(0);
    let meet = move |ctx: &TaskContext<'_>| (meet(&inside), ctx.worker_index());
    let ((met_a, worker_a), (met_b, worker_b)) =
        run_task(&pool, &hooks, move |ctx| ctx.join(&meet, &meet)).unwrap();
    assert_eq!(
        (met_a, met_b),
        (2, 2),
        "the halves never ran at the same time"
    );
    assert_ne!(worker_a, worker_b);
    eventually("the steal to be counted", || pool.stats().stolen >= 1);
}

#[test]
fn a_panic_in_either_half_fails_the_task_after_both_halves_finish() {
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    for panics_first in [true, false] {
        let other_finished = std::sync::Arc::new(AtomicBool::new(false));
        let finished = other_finished.clone();
        let outcome = run_task(&pool, &hooks, move |ctx| {
            let boom = |_: &TaskContext<'_>| -> u32 { panic!("half exploded") };
            let slow = |_: &TaskContext<'_>| {
                std::thread::sleep(Duration::from_millis(20));
                finished.store(true, Ordering::SeqCst);
                1u32
            };
            if panics_first {
                ctx.join(boom, slow)
            } else {
                ctx.join(slow, boom)
            }
        });
        assert!(
            outcome
                .as_ref()
                .is_err_and(|m| m.starts_with("half exploded (at ")),
            "{outcome:?}"
        );
        assert!(
            other_finished.load(Ordering::SeqCst),
            "the panic left join while the other half was still running"
        );
    }
    // The workers survived: fork-join still works.
    assert_eq!(run_task(&pool, &hooks, |ctx| fib(ctx, 15, 1)), Ok(610));
}

#[test]
fn scope_jobs_borrow_from_the_task_and_spread_over_workers() {
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    let (sum, workers) = run_task(&pool, &hooks, |ctx| {
        let mut data: Vec<u64> = (0..64 * 1024).collect();
        let workers = Mutex::new(HashSet::new());
        // The first job to run waits (up to PATIENCE) until a job has run on another worker:
        // on a loaded machine the sibling may be woken late, and one worker would otherwise
        // finish every job first. A pool that never spreads them still fails.
        let first = AtomicBool::new(true);
        ctx.scope(|s| {
            for chunk in data.chunks_mut(1024) {
                let (workers, first) = (&workers, &first);
                s.spawn(move |ctx| {
                    chunk.iter_mut().for_each(|x| *x *= 2);
                    workers.lock().unwrap().insert(ctx.worker_index());
                    if first.swap(false, Ordering::SeqCst) {
                        let deadline = Instant::now() + PATIENCE;
                        while workers.lock().unwrap().len() < 2 && Instant::now() < deadline {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                });
            }
        });
        (data.iter().sum::<u64>(), workers.into_inner().unwrap())
    })
    .unwrap();
    assert_eq!(sum, (0..64 * 1024u64).sum::<u64>() * 2);
    assert_eq!(workers.len(), 2, "one worker ran every job");
}

#[test]
fn a_panicking_scope_job_fails_the_task_after_the_others_finish() {
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    let finished = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = finished.clone();
    let outcome = run_task(&pool, &hooks, move |ctx| {
        ctx.scope(|s| {
            s.spawn(|_| panic!("job exploded"));
            for _ in 0..8 {
                s.spawn(|_| {
                    std::thread::sleep(Duration::from_millis(2));
                    counter.fetch_add(1, Ordering::SeqCst);
                });
            }
        })
    });
    assert!(
        outcome
            .as_ref()
            .is_err_and(|m| m.starts_with("job exploded (at ")),
        "{outcome:?}"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 8);
}

#[test]
fn forked_halves_see_the_time_limit_of_their_task() {
    let (pool, _) = pool_with(PoolConfig {
        workers: 2,
        ..Default::default()
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let wait_for_stop = |ctx: &TaskContext<'_>| {
        let deadline = Instant::now() + PATIENCE;
        while !ctx.is_cancelled() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        ctx.timed_out()
    };
    pool.submit_with_limit(
        ferris_pool::Priority::Normal,
        1,
        ferris_pool::Job::Native(Box::new(move |ctx| {
            tx.send(ctx.join(wait_for_stop, wait_for_stop)).unwrap();
        })),
        Some(Duration::from_millis(20)),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (true, true));
}

/// Halves that each wait until both are running at once; returns how many were in at the end.
fn meeting_halves(ctx: &TaskContext<'_>) -> (usize, usize) {
    let inside = AtomicUsize::new(0);
    ctx.join(|_| meet(&inside), |_| meet(&inside))
}

#[test]
fn a_slot_freed_by_an_external_task_wakes_a_worker_for_forked_halves() {
    // One slot is held by an external task, so the idle worker parks without a slot. When the
    // external task finishes, the freed slot must wake it for the half waiting in the deque:
    // otherwise the halves never run at the same time.
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    pool.submit(ferris_pool::Priority::High, 7, ferris_pool::Job::external())
        .unwrap();
    eventually("the external task to be handed out", || {
        hooks.external.lock().unwrap().contains(&7)
    });
    let inside = std::sync::Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let counter = inside.clone();
    pool.submit(
        ferris_pool::Priority::Normal,
        1,
        ferris_pool::Job::Native(Box::new(move |ctx| {
            tx.send(ctx.join(|_| meet(&counter), |_| meet(&counter)))
                .unwrap();
        })),
    )
    .unwrap();
    // The first half runs, so the second is forked; the other worker has no slot and sleeps.
    eventually("the fork, with the other worker parked", || {
        inside.load(Ordering::SeqCst) == 1 && pool.stats().sleeping == 1
    });
    pool.finish_external(&[Duration::ZERO], 0);
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), (2, 2));
}

/// A panic payload whose own `Drop` panics, as `panic_any` allows.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("dropping the payload panicked too");
        }
    }
}

#[test]
fn panic_payloads_that_panic_when_dropped_do_not_escape_the_pool() {
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    let outcome = run_task(&pool, &hooks, |ctx| {
        ctx.scope(|s| {
            for _ in 0..4 {
                s.spawn(|_| std::panic::panic_any(Bomb));
            }
        })
    });
    assert!(
        outcome
            .as_ref()
            .is_err_and(|m| m.starts_with("a native task panicked (at ")),
        "{outcome:?}"
    );
    let outcome = run_task(&pool, &hooks, |ctx| {
        ctx.join(
            |_| std::panic::panic_any(Bomb),
            |_| std::panic::panic_any(Bomb),
        )
    });
    assert!(
        outcome
            .as_ref()
            .is_err_and(|m| m.starts_with("a native task panicked (at ")),
        "{outcome:?}"
    );
    // Both workers survived.
    assert_eq!(run_task(&pool, &hooks, meeting_halves), Ok((2, 2)));
}
