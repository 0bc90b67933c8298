//! Model checks of the pool's synchronization protocols with loom, which runs each test body
//! under every interleaving (and every weak-memory outcome it models) of its threads, up to a
//! bound on preemptions. Run with
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p ferris-pool --release loom_
//! ```
//!
//! Each test is named after the property it proves. `Sleep`, `TaskHandle`, `Depth` and `Slots`
//! are the real types, built on loom's primitives through `crate::sync`. The queues are
//! crossbeam deques, which loom cannot instrument, so the shutdown test drives the real
//! `Depth`, `Sleep` and `TaskHandle` with a small queue of its own, and a worker loop that
//! follows `WorkerThread::run`/`idle`.
use std::collections::VecDeque;

use loom::thread;

use crate::config::Priority;
use crate::depth::Depth;
use crate::sleep::Sleep;
use crate::slots::Slots;
use crate::sync::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::task::TaskHandle;

/// Explores `body` with at most `LOOM_MAX_PREEMPTIONS` preemptions per execution (default 3):
/// small enough to finish in seconds on two cores, and enough for every bug of these
/// protocols we know of (each needs one or two).
fn check(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(body);
}

/// Takes one item of work, if any is left.
fn take_one(work: &AtomicUsize) -> bool {
    work.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// Two workers each running `worker` until it returns, and the main thread posting two items
/// of work with `Sleep::notify_work`; returns once both workers are done, with every item
/// taken.
fn two_workers_two_posts(worker: fn(&Sleep, usize, &AtomicUsize)) -> Arc<Sleep> {
    let sleep = Arc::new(Sleep::new(2));
    let work = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|index| {
            let (sleep, work) = (sleep.clone(), work.clone());
            thread::spawn(move || worker(&sleep, index, &work))
        })
        .collect();
    for _ in 0..2 {
        work.fetch_add(1, Ordering::SeqCst);
        sleep.notify_work(|| work.load(Ordering::SeqCst) > 0);
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(work.load(Ordering::SeqCst), 0);
    sleep.assert_quiet();
    sleep
}

/// Two workers park while the main thread publishes two items of work, waking one sleeper for
/// each: in every interleaving both items are taken, so no worker sleeps through work posted
/// for it, and a burst wakes two distinct workers; each worker consumes the token it was woken
/// with. (A lost wakeup shows up as a deadlock, which loom reports as a failure.)
#[test]
fn loom_sleep_no_lost_wakeup() {
    check(|| {
        let sleep = two_workers_two_posts(|sleep, index, work| {
            while !take_one(work) {
                sleep.sleep(index, || work.load(Ordering::SeqCst) > 0);
            }
        });
        assert_eq!(sleep.sleeping(), 0);
    });
}

/// A woken worker's wake-up is not taken by another worker that parks in the meantime: two
/// workers that loop until the pool closes, one item of work, then `wake_all` at close; both
/// workers always exit.
#[test]
fn loom_sleep_wakeup_not_stolen() {
    check(|| {
        let sleep = Arc::new(Sleep::new(2));
        let work = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..2)
            .map(|index| {
                let (sleep, work, closed) = (sleep.clone(), work.clone(), closed.clone());
                thread::spawn(move || loop {
                    let _ =
                        work.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    if closed.load(Ordering::Acquire) {
                        return;
                    }
                    sleep.sleep(index, || {
                        work.load(Ordering::SeqCst) > 0 || closed.load(Ordering::Acquire)
                    });
                })
            })
            .collect();
        work.fetch_add(1, Ordering::SeqCst);
        sleep.notify_work(|| true);
        closed.store(true, Ordering::Release);
        sleep.wake_all();
        for worker in workers {
            worker.join().unwrap();
        }
        sleep.assert_quiet();
    });
}

/// `wake_all` (shutdown) reaches a worker whatever point of parking it is at.
#[test]
fn loom_sleep_wake_all_reaches_every_sleeper() {
    check(|| {
        let sleep = Arc::new(Sleep::new(1));
        let closed = Arc::new(AtomicBool::new(false));
        let worker = {
            let (sleep, closed) = (sleep.clone(), closed.clone());
            thread::spawn(move || {
                while !closed.load(Ordering::Acquire) {
                    sleep.sleep(0, || closed.load(Ordering::Acquire));
                }
            })
        };
        closed.store(true, Ordering::Release);
        sleep.wake_all();
        worker.join().unwrap();
    });
}

/// Rules 2 and 3 of `sleep.rs`: two workers search and park, the main thread posts two items
/// (each a task that runs for ever: a worker that takes one never comes back). A poster that
/// sees a searcher wakes nobody, so when one searcher takes both posts' wake-ups the worker
/// that takes the first item must pass the wake on (`found_work`), which it does only if it
/// sees an item left, as the pool's workers do: in every interleaving both items are taken, so
/// the item left is never missed. (Without the pass-on, the second worker sleeps through its
/// item, a deadlock loom reports.)
#[test]
fn loom_sleep_searcher_passes_the_wake_on() {
    check(|| {
        two_workers_two_posts(|sleep, index, work| {
            let has_work = || work.load(Ordering::SeqCst) > 0;
            while !take_one(work) {
                if !sleep.search(false, has_work) {
                    sleep.sleep(index, has_work);
                }
            }
            sleep.found_work(has_work);
        });
    });
}

/// A worker trying to start a task races a canceller: exactly one of them wins; when the
/// cancel wins the task body never runs, and when the start wins the cancel reports false and
/// nobody ever sees the task as cancelled. A second cancel of the same task never succeeds
/// twice (the queued count is taken back once).
#[test]
fn loom_task_cancelled_never_runs_and_started_never_reported_cancelled() {
    check(|| {
        let handle = TaskHandle::new(Priority::Normal);
        let ran = Arc::new(AtomicBool::new(false));
        let starter = {
            let (handle, ran) = (handle.clone(), ran.clone());
            thread::spawn(move || {
                if handle.try_start() {
                    assert!(!handle.is_cancelled(), "a started task reads as cancelled");
                    ran.store(true, Ordering::Relaxed);
                    true
                } else {
                    false
                }
            })
        };
        let cancellers: Vec<_> = (0..2)
            .map(|_| {
                let handle = handle.clone();
                thread::spawn(move || handle.try_cancel())
            })
            .collect();
        let cancels: Vec<bool> = cancellers.into_iter().map(|c| c.join().unwrap()).collect();
        let started = starter.join().unwrap();
        let cancelled = cancels.iter().filter(|&&c| c).count();
        assert_eq!(
            usize::from(started) + cancelled,
            1,
            "exactly one transition wins"
        );
        assert_eq!(
            ran.load(Ordering::Relaxed),
            started,
            "the body runs iff the start won"
        );
        assert_eq!(handle.is_cancelled(), !started);
        assert_eq!(handle.has_started(), started);
    });
}

/// The model pool of `loom_shutdown_*`: one FIFO, and the real `Depth`, `Sleep` and
/// `TaskHandle`.
struct ModelPool {
    queue: Mutex<VecDeque<(TaskHandle, usize)>>,
    depth: Depth,
    sleep: Sleep,
    /// Per task: 1 once started, 2 once finished.
    progress: [AtomicUsize; 2],
}

impl ModelPool {
    /// `Pool::submit_with_limit`: admit, push, wake.
    fn submit(&self, task: usize) -> bool {
        if self.depth.admit(Priority::Normal, 2, &self.sleep).is_err() {
            return false;
        }
        let handle = TaskHandle::new(Priority::Normal);
        self.queue.lock().unwrap().push_back((handle, task));
        self.sleep.notify_work(|| true);
        true
    }

    /// `WorkerThread::run` and `idle`, without slots: take, start, run; exit once drained;
    /// otherwise park.
    fn work(&self) {
        loop {
            let next = self.queue.lock().unwrap().pop_front();
            if let Some((handle, task)) = next {
                if handle.try_start() {
                    self.depth.count_out(Priority::Normal, &self.sleep);
                    self.progress[task].store(1, Ordering::SeqCst);
                    thread::yield_now(); // the task runs for a while
                    self.progress[task].store(2, Ordering::SeqCst);
                }
                continue;
            }
            if self.depth.is_drained() {
                return;
            }
            if self.depth.queued() > 0 {
                // Counted but not pushed yet: the real worker spins with a backoff here.
                thread::yield_now();
                continue;
            }
            self.sleep
                .sleep(0, || self.depth.queued() > 0 || self.depth.is_drained());
            // Back from parking (or not parked: work or the close showed up): look again, as
            // the real worker does through its spinning, which yields.
            thread::yield_now();
        }
    }
}

/// A worker, a submitter of two tasks racing `close`, and a shutdown that closes the pool and
/// joins the worker: the join always returns (the worker never sleeps through the close or a
/// refused submission), and by then every accepted task has started and finished, none is
/// left queued, and no refused one ran. One worker only: two workers both spinning on a task
/// counted but not yet pushed give loom an unbounded schedule to explore; the parking of
/// several workers is what the `loom_sleep_*` tests check.
#[test]
fn loom_shutdown_waits_for_every_started_task() {
    check(|| {
        let pool = Arc::new(ModelPool {
            queue: Mutex::new(VecDeque::new()),
            depth: Depth::default(),
            sleep: Sleep::new(1),
            progress: Default::default(),
        });
        let worker = {
            let pool = pool.clone();
            thread::spawn(move || pool.work())
        };
        let submitter = {
            let pool = pool.clone();
            thread::spawn(move || [pool.submit(0), pool.submit(1)])
        };
        pool.depth.close(&pool.sleep);
        worker.join().unwrap();
        let accepted = submitter.join().unwrap();
        for (task, accepted) in accepted.into_iter().enumerate() {
            let progress = pool.progress[task].load(Ordering::SeqCst);
            if accepted {
                assert_eq!(progress, 2, "task {task} was accepted but not finished");
            } else {
                assert_eq!(progress, 0, "task {task} was refused but ran");
            }
        }
        assert_eq!(pool.depth.queued(), 0);
    });
}

/// Three threads compete for one slot; the winner runs a task (one of them lending its slot to
/// an external task, which then finishes and gives it back): at no point do two tasks run at
/// once, and afterwards the slot is free again and no external task holds one.
#[test]
fn loom_slots_never_run_more_tasks_than_slots() {
    check(|| {
        let slots = Arc::new(Slots::new(1));
        let running = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3)
            .map(|index| {
                let (slots, running) = (slots.clone(), running.clone());
                thread::spawn(move || {
                    if !slots.try_acquire() {
                        return;
                    }
                    let run = || {
                        let before = running.fetch_add(1, Ordering::SeqCst);
                        assert_eq!(before, 0, "two tasks run on one slot");
                        running.fetch_sub(1, Ordering::SeqCst);
                    };
                    if index == 0 {
                        // A worker hands out an external task: `WorkerThread::execute`, then
                        // `Pool::finish_external` with nothing else queued.
                        slots.lend_to_external();
                        run();
                        slots.reclaim_external(1);
                    } else {
                        run();
                    }
                    slots.release(1);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(slots.free(), 1);
        assert_eq!(slots.external(), 0);
    });
}
