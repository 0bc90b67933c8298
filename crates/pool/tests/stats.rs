//! The pool's statistics while tasks run: how long the oldest running native task has run.
mod common;

use std::time::Instant;

use common::{block_worker, pool};
use ferris_pool::SchedulerKind;

#[test]
fn stats_show_how_long_the_oldest_running_native_task_has_been_running() {
    let (pool, _hooks) = pool(2, SchedulerKind::WorkStealing);
    assert!(
        pool.stats().oldest_native_running.is_zero(),
        "nothing runs yet"
    );
    let first = block_worker(&pool);
    // `block_worker` returns once the task runs, so it started before `running`.
    let running = Instant::now();
    let second = block_worker(&pool);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let observed = running.elapsed();
    let stats = pool.stats();
    assert_eq!(stats.running, 2);
    assert!(
        stats.oldest_native_running >= observed,
        "the first task has run at least {observed:?}, stats say {:?}",
        stats.oldest_native_running
    );
    assert!(stats.oldest_native_running <= stats.uptime);
    first.open();
    second.open();
    pool.shutdown_and_join();
    assert!(
        pool.stats().oldest_native_running.is_zero(),
        "nothing runs any more"
    );
}
