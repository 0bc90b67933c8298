//! External tasks are handed out in queue order: whichever thread takes them (a worker, or the
//! owner inside `finish_external`), the sequence of `Hooks::external_ready` calls follows the
//! order in which the tasks left the queue, so within a priority level (and under the FIFO
//! scheduler, overall) it is the submission order.
mod common;

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::PATIENCE;
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority, SchedulerKind};

/// Records the hand-out order, and tells the owner thread what to run.
struct HandOuts {
    order: Mutex<Vec<u64>>,
    owner: Mutex<Sender<u64>>,
}

impl Hooks<()> for HandOuts {
    fn completed(&self, _tag: u64, _output: ()) {}
    fn external_ready(&self, tag: u64, _job: ferris_pool::ExternalJob) {
        // A real hook takes time before its event is in line (the binding's takes a lock and
        // may wake the JS thread): let another thread run meanwhile, as it could then.
        std::thread::yield_now();
        self.order.lock().unwrap().push(tag);
        self.owner.lock().unwrap().send(tag).unwrap();
    }
    fn panicked(&self, _tag: u64, _message: String) {}
}

const TASKS: u64 = 60;
/// Rounds per configuration. Before hand-outs were ordered (workers called the hook after
/// taking a task, unsynchronized, and `finish_external` returned the tasks it took), each of
/// these tests failed in 20 runs out of 20.
const ROUNDS: usize = 200;

/// Runs every handed-out task at once, as the binding's JS thread does, and finishes it.
fn own(pool: &Pool<()>, handed_out: &Receiver<u64>) {
    for _ in 0..TASKS {
        handed_out
            .recv_timeout(PATIENCE)
            .expect("an external task was never handed out");
        pool.finish_external(&[Duration::ZERO], 0);
    }
}

/// Submits `TASKS` external tasks (task `i` at `levels[i % levels.len()]`) while the owner
/// runs them, and returns the order in which they were handed out.
fn hand_out_order(scheduler: SchedulerKind, workers: usize, levels: &[Priority]) -> Vec<u64> {
    let (tx, rx) = channel();
    let hooks = Arc::new(HandOuts {
        order: Mutex::new(Vec::new()),
        owner: Mutex::new(tx),
    });
    let config = PoolConfig {
        workers,
        scheduler,
        // Aging may serve a lower level first, never a level out of order; off, it cannot
        // blur which level a failure is about.
        aging: Duration::ZERO,
        ..Default::default()
    };
    let pool = Arc::new(Pool::new(config, hooks.clone()).unwrap());
    let owner = {
        let pool = pool.clone();
        std::thread::spawn(move || own(&pool, &rx))
    };
    for tag in 0..TASKS {
        let level = levels[tag as usize % levels.len()];
        pool.submit(level, tag, Job::external()).unwrap();
    }
    owner.join().unwrap();
    pool.shutdown_and_join();
    let order = hooks.order.lock().unwrap().clone();
    order
}

/// The tags of `levels` handed out at `level`, in hand-out order.
fn at_level(order: &[u64], levels: &[Priority], level: Priority) -> Vec<u64> {
    order
        .iter()
        .copied()
        .filter(|&tag| levels[tag as usize % levels.len()] == level)
        .collect()
}

fn check_per_level(scheduler: SchedulerKind, workers: usize, levels: &[Priority]) {
    for round in 0..ROUNDS {
        let order = hand_out_order(scheduler, workers, levels);
        assert_eq!(order.len() as u64, TASKS, "round {round}: {order:?}");
        for level in Priority::ALL {
            let handed = at_level(&order, levels, level);
            let submitted = at_level(&(0..TASKS).collect::<Vec<_>>(), levels, level);
            assert_eq!(
                handed, submitted,
                "round {round}: {level:?} tasks handed out out of submission order"
            );
        }
    }
}

#[test]
fn one_level_is_handed_out_in_submission_order() {
    check_per_level(SchedulerKind::WorkStealing, 2, &[Priority::Normal]);
}

#[test]
fn each_level_is_handed_out_in_submission_order() {
    check_per_level(
        SchedulerKind::WorkStealing,
        3,
        &[
            Priority::High,
            Priority::Normal,
            Priority::Low,
            Priority::Normal,
        ],
    );
}

#[test]
fn the_fifo_scheduler_hands_out_every_task_in_submission_order() {
    for round in 0..ROUNDS {
        let levels = [Priority::Low, Priority::High, Priority::Normal];
        let order = hand_out_order(SchedulerKind::Fifo, 2, &levels);
        assert_eq!(
            order,
            (0..TASKS).collect::<Vec<_>>(),
            "round {round}: handed out out of submission order"
        );
    }
}
