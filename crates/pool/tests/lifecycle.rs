//! Bounded queue, cancellation, panics, external tasks, shutdown, stack size.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferris_pool::{Job, PoolConfig, Priority, SchedulerKind, SubmitError};

#[test]
fn a_full_queue_refuses_and_frees_room_when_a_task_leaves_it() {
    let (pool, _) = pool_with(PoolConfig {
        workers: 1,
        queue_capacity: 2,
        ..Default::default()
    });
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    let first = send_on_run(&pool, Priority::Normal, 1, &tx);
    send_on_run(&pool, Priority::Normal, 2, &tx);
    let refused = pool.submit(Priority::High, 3, job(|| {}));
    assert_eq!(refused.unwrap_err(), SubmitError::QueueFull { capacity: 2 });
    assert!(pool.cancel(&first));
    send_on_run(&pool, Priority::Normal, 4, &tx);
    gate.open();
    assert_eq!(collect(&rx, 2), vec![2, 4]);
}

#[test]
fn a_cancelled_task_never_runs_and_a_started_one_cannot_be_cancelled() {
    let (pool, _) = pool(1, SchedulerKind::WorkStealing);
    let gate = block_worker(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let handle = pool
        .submit(
            Priority::Normal,
            1,
            job(move || flag.store(true, Ordering::SeqCst)),
        )
        .unwrap();
    assert_eq!(pool.stats().queued, 1);
    assert!(pool.cancel(&handle));
    assert!(
        pool.cancel(&handle),
        "cancelling twice still reports cancelled"
    );
    assert_eq!(pool.stats().queued, 0);
    let (tx, rx) = channel();
    let after = send_on_run(&pool, Priority::Low, 2, &tx);
    gate.open();
    assert_eq!(collect(&rx, 1), vec![2]);
    assert!(!ran.load(Ordering::SeqCst));
    assert!(!pool.cancel(&after), "a finished task is not cancellable");
    assert!(after.has_started());
}

#[test]
fn a_panic_fails_only_its_task_and_the_worker_lives_on() {
    let (pool, hooks) = pool(1, SchedulerKind::WorkStealing);
    pool.submit(Priority::Normal, 7, job(|| panic!("kernel exploded")))
        .unwrap();
    let (tx, rx) = channel();
    send_on_run(&pool, Priority::Normal, 8, &tx);
    assert_eq!(collect(&rx, 1), vec![8]);
    let panics = hooks.panics.lock().unwrap().clone();
    assert_eq!(panics.len(), 1);
    let (tag, message) = &panics[0];
    assert_eq!(*tag, 7);
    // The message, then where the panic happened (this file).
    assert!(
        message.starts_with("kernel exploded (at ") && message.contains("lifecycle.rs:"),
        "{message}"
    );
    assert_eq!(pool.stats().panicked, 1);
}

#[test]
fn external_tasks_hold_a_slot_until_finished() {
    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    for tag in 1..=3 {
        pool.submit(Priority::Normal, tag, Job::external()).unwrap();
    }
    eventually("two tasks handed out", || {
        hooks.external.lock().unwrap().len() == 2
    });
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        hooks.external.lock().unwrap().len(),
        2,
        "a third task ran without a slot"
    );
    let stats = pool.stats();
    assert_eq!(
        (stats.running, stats.external_running, stats.queued),
        (2, 2, 1)
    );
    // The owner finishes one and its slot goes straight to the third task, handed out before
    // `finish_external` returns.
    pool.finish_external(&[Duration::from_micros(5)], 0);
    assert_eq!(hooks.external.lock().unwrap().clone(), vec![1, 2, 3]);
    assert_eq!(pool.stats().external_running, 2);
    pool.finish_external(&[Duration::from_micros(5); 2], 0);
    assert_eq!(hooks.external.lock().unwrap().len(), 3);
    eventually("every slot to return", || pool.stats().running == 0);
    let stats = pool.stats();
    assert_eq!((stats.started, stats.run.count), (3, 3));
}

#[test]
fn finishing_hands_a_native_head_task_to_the_workers() {
    let (pool, hooks) = pool(1, SchedulerKind::WorkStealing);
    pool.submit(Priority::Normal, 1, Job::external()).unwrap();
    eventually("task 1 handed out", || {
        hooks.external.lock().unwrap().clone() == vec![1]
    });
    // The only slot is held by task 1: these two wait, native first. Task 2 then holds the
    // worker until it is let go, so only the owner could hand out task 3 meanwhile.
    let (started_tx, started_rx) = channel();
    let (go_tx, go_rx) = channel::<()>();
    pool.submit(
        Priority::Normal,
        2,
        job(move || {
            started_tx.send(2).unwrap();
            let _ = go_rx.recv_timeout(PATIENCE);
        }),
    )
    .unwrap();
    pool.submit(Priority::Normal, 3, Job::external()).unwrap();
    pool.finish_external(&[Duration::from_micros(1)], 0);
    assert_eq!(
        hooks.external.lock().unwrap().clone(),
        vec![1],
        "the owner took a task queued behind a native one"
    );
    assert_eq!(collect(&started_rx, 1), vec![2]);
    go_tx.send(()).unwrap();
    eventually("task 3 handed out by the worker", || {
        hooks.external.lock().unwrap().clone() == vec![1, 3]
    });
}

#[test]
fn abandoned_external_tasks_give_their_slot_back() {
    let (pool, hooks) = pool(1, SchedulerKind::WorkStealing);
    pool.submit(Priority::Normal, 1, Job::external()).unwrap();
    eventually("task 1 handed out", || {
        hooks.external.lock().unwrap().len() == 1
    });
    pool.finish_external(&[], 1);
    let (tx, rx) = channel();
    send_on_run(&pool, Priority::Normal, 2, &tx);
    assert_eq!(collect(&rx, 1), vec![2]);
    // Task 2's run is counted just after it sends; then nothing else may be counted.
    eventually("task 2's run to be counted", || pool.stats().run.count >= 1);
    std::thread::sleep(Duration::from_millis(20));
    let stats = pool.stats();
    assert_eq!(
        (stats.started, stats.run.count),
        (2, 1),
        "an abandoned task has no run time"
    );
}

#[test]
fn close_refuses_new_work_and_finishes_what_was_queued() {
    let (pool, _) = pool(2, SchedulerKind::WorkStealing);
    let gate = block_worker(&pool);
    let (tx, rx) = channel();
    for tag in 0..10 {
        send_on_run(&pool, Priority::Normal, tag, &tx);
    }
    pool.close();
    assert_eq!(
        pool.submit(Priority::Normal, 99, job(|| {})).unwrap_err(),
        SubmitError::Closed
    );
    gate.open();
    drop(gate);
    pool.shutdown_and_join();
    let mut ran: Vec<u64> = rx.try_iter().collect();
    ran.sort();
    assert_eq!(ran, (0..10).collect::<Vec<_>>());
}

#[test]
fn dropping_the_pool_asks_running_tasks_to_stop() {
    let (pool, _) = pool(1, SchedulerKind::WorkStealing);
    let (tx, rx) = channel();
    pool.submit(
        Priority::Normal,
        1,
        Job::Native(Box::new(move |ctx| {
            tx.send(()).unwrap();
            while !ctx.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
        })),
    )
    .unwrap();
    rx.recv_timeout(PATIENCE).unwrap();
    drop(pool); // would hang forever if the task were not told to stop
}

#[test]
fn worker_threads_get_the_configured_stack_size_and_names() {
    fn depth(n: u64) -> u64 {
        // About 1 KiB of stack per frame: the buffer must survive the recursive call.
        let buffer = std::hint::black_box([n as u8; 1024]);
        let reached = if n == 0 { 0 } else { 1 + depth(n - 1) };
        std::hint::black_box(&buffer);
        reached
    }
    let (pool, _) = pool_with(PoolConfig {
        workers: 1,
        stack_size: Some(64 << 20),
        thread_name: "stack-test".into(),
        ..Default::default()
    });
    let (tx, rx) = channel();
    pool.submit(
        Priority::Normal,
        1,
        job(move || {
            // ~16 MiB of frames: more than the 2 MiB default, well within 64 MiB.
            let name = std::thread::current().name().map(str::to_owned);
            tx.send((depth(16 * 1024), name)).unwrap();
        }),
    )
    .unwrap();
    let (reached, name) = rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(reached, 16 * 1024);
    assert_eq!(name.as_deref(), Some("stack-test-0"));
}

#[test]
fn an_impossible_configuration_is_an_error_not_a_panic() {
    let hooks = std::sync::Arc::new(Recording::default());
    let zero = ferris_pool::Pool::<()>::new(
        PoolConfig {
            workers: 0,
            ..Default::default()
        },
        hooks,
    );
    assert!(zero.is_err());
}

#[test]
fn a_completion_is_reported_after_its_run_is_counted() {
    use std::sync::mpsc::Sender;
    use std::sync::Mutex;

    struct Outputs(Mutex<Sender<u64>>);
    impl ferris_pool::Hooks<u64> for Outputs {
        fn completed(&self, tag: u64, _output: u64) {
            self.0.lock().unwrap().send(tag).unwrap();
        }
        fn external_ready(&self, _tag: u64, _job: ferris_pool::ExternalJob) {}
        fn panicked(&self, _tag: u64, _message: String) {}
    }
    let (tx, rx) = channel();
    let pool = ferris_pool::Pool::new(
        PoolConfig {
            workers: 2,
            ..Default::default()
        },
        std::sync::Arc::new(Outputs(Mutex::new(tx))),
    )
    .unwrap();
    for tag in 1..=200u64 {
        pool.submit(Priority::Normal, tag, Job::Native(Box::new(move |_| tag)))
            .unwrap();
    }
    // Whoever sees the n-th completion must see at least n runs in the statistics.
    for seen in 1..=200u64 {
        rx.recv_timeout(PATIENCE).unwrap();
        let stats = pool.stats();
        assert!(
            stats.run.count >= seen,
            "{} runs counted after {seen} completions",
            stats.run.count
        );
    }
}

#[test]
fn a_time_limit_asks_the_running_task_to_stop() {
    let (pool, _) = pool(2, SchedulerKind::WorkStealing);
    let (tx, rx) = channel();
    for (tag, limit) in [(1, Some(Duration::from_millis(30))), (2, None)] {
        let tx = tx.clone();
        let job = Job::Native(Box::new(move |ctx: &ferris_pool::TaskContext<'_>| {
            let start = std::time::Instant::now();
            while !ctx.is_cancelled() && start.elapsed() < Duration::from_millis(300) {
                std::thread::sleep(Duration::from_millis(1));
            }
            tx.send((tag, ctx.timed_out(), start.elapsed())).unwrap();
        }));
        pool.submit_with_limit(Priority::Normal, tag, job, limit)
            .unwrap();
    }
    let mut outcomes: Vec<_> = (0..2).map(|_| rx.recv_timeout(PATIENCE).unwrap()).collect();
    outcomes.sort_by_key(|o| o.0);
    let (_, limited_timed_out, limited_ran) = outcomes[0];
    let (_, free_timed_out, free_ran) = outcomes[1];
    assert!(limited_timed_out && limited_ran >= Duration::from_millis(30));
    assert!(
        !free_timed_out && free_ran >= Duration::from_millis(300),
        "an unlimited task was stopped"
    );
    // A limit too large to add to an instant is no limit, not a panic.
    let (tx, rx) = channel();
    let job = Job::Native(Box::new(move |ctx: &ferris_pool::TaskContext<'_>| {
        tx.send(ctx.is_cancelled()).unwrap();
    }));
    pool.submit_with_limit(Priority::Normal, 3, job, Some(Duration::MAX))
        .unwrap();
    assert!(!rx.recv_timeout(PATIENCE).unwrap());
}

#[test]
fn shutdown_and_join_returns_when_the_owner_takes_the_last_queued_task() {
    // One worker, its slot lent to external task 1; task 2 waits. After close, the owner
    // takes task 2 itself: the parked worker must still learn that the pool is drained.
    let (pool, hooks) = pool(1, SchedulerKind::WorkStealing);
    pool.submit(Priority::Normal, 1, Job::external()).unwrap();
    eventually("task 1 handed out", || {
        hooks.external.lock().unwrap().len() == 1
    });
    pool.submit(Priority::Normal, 2, Job::external()).unwrap();
    let pool = std::sync::Arc::new(pool);
    let joiner = {
        let pool = pool.clone();
        std::thread::spawn(move || pool.shutdown_and_join())
    };
    std::thread::sleep(Duration::from_millis(20));
    pool.finish_external(&[Duration::from_micros(1)], 0);
    assert_eq!(hooks.external.lock().unwrap().clone(), vec![1, 2]);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !joiner.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "shutdown_and_join hung"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    joiner.join().unwrap();
}
