//! [`Hub`]: where an executor's pool meets its JS worker isolates.
//!
//! Protocol (every seat change happens under the seats' lock):
//! * The pool hands a worker task out (with its slot) into the [`WorkerQueue`] from any
//!   thread (`Outbox::external_ready`); an idle worker takes it there (`WorkerPort::next`) and
//!   sits on it: its seat records the task and its start.
//! * A worker that finishes clears its seat, reports the run time to the pool, which hands
//!   the freed slot to the next queued task, and then sends the result to the JS thread (so
//!   statistics count the task before its future settles). The main event loop is not on
//!   this path.
//! * The JS thread seats a worker it spawns (a new generation for the seat, so that a port
//!   of a worker it replaced can no longer take or finish tasks), stops a running task
//!   (its future settled, its worker about to be terminated: the seat is retired and a late
//!   result is dropped), withdraws a task no worker has taken (cancelled), and reports a
//!   worker that exited: its task's slot is freed then, when nothing runs there any more.
//! * A task is finished exactly once: by its worker, or by the exit of its worker.
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use napi::{Error, Result, Status};
use rustc_hash::FxHashMap;

use crate::executor::PoolCell;
use crate::wire::events::{Event, Outbox, WorkerReport};
use crate::workers::queue::WorkerQueue;

/// The arguments of a worker task, as the batch carried them.
pub(crate) enum WorkerArgs {
    Numbers(Vec<f64>),
    /// `v8.serialize`d by the JS layer.
    Bytes(Vec<u8>),
    /// Sent by `postMessage` once a worker takes the task (`WORKER_ARGS_ON_PORT`).
    OnPort,
}

/// A worker task: the pool's external payload for the worker isolates.
pub(crate) struct WorkerJob {
    pub id: u64,
    /// A [`super::functions`] id.
    pub function: u32,
    /// `WORKER_*` flags.
    pub flags: u32,
    pub args: WorkerArgs,
}

struct Running {
    id: u64,
    since: Instant,
    /// Its future settled on the JS thread and its worker is being terminated.
    stopped: bool,
}

#[derive(Default)]
struct Seat {
    generation: u32,
    /// Its worker made its port: it got as far as taking tasks.
    joined: bool,
    retired: bool,
    task: Option<Running>,
}

pub(crate) struct Hub {
    pub id: u32,
    pub queue: Arc<WorkerQueue>,
    seats: Mutex<Vec<Seat>>,
    pool: PoolCell,
    outbox: Arc<Outbox>,
}

/// Every live hub, by id: a worker isolate joins its executor's hub by the id it was given.
static HUBS: Mutex<Option<FxHashMap<u32, Weak<Hub>>>> = Mutex::new(None);
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

fn hubs() -> MutexGuard<'static, Option<FxHashMap<u32, Weak<Hub>>>> {
    HUBS.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// A registered hub for the pool in `pool`, whose events go through `outbox`.
    pub fn new(pool: PoolCell, outbox: Arc<Outbox>) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            queue: outbox.workers().clone(),
            seats: Mutex::new(Vec::new()),
            pool,
            outbox,
        });
        hubs()
            .get_or_insert_with(FxHashMap::default)
            .insert(hub.id, Arc::downgrade(&hub));
        hub
    }

    /// The live hub of id `id`.
    pub fn find(id: u32) -> Result<Arc<Hub>> {
        hubs()
            .as_ref()
            .and_then(|hubs| hubs.get(&id))
            .and_then(Weak::upgrade)
            .ok_or_else(|| {
                Error::new(
                    Status::InvalidArg,
                    format!(
                        "no executor {id} in this process: it was disposed, or this worker \
                         loaded the addon from another path than its executor"
                    ),
                )
            })
    }

    fn seats(&self) -> MutexGuard<'_, Vec<Seat>> {
        self.seats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish_in_pool(&self, run_time: Option<Duration>) {
        let pool = self.pool.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pool.as_ref() {
            match run_time {
                Some(time) => pool.finish_external(&[time], 0),
                None => pool.finish_external(&[], 1),
            }
        }
    }

    /// Stops taking tasks and releases waiting workers; drops the registration.
    pub fn close(&self) {
        self.queue.close();
        for seat in self.seats().iter_mut() {
            seat.retired = true;
        }
        if let Some(hubs) = hubs().as_mut() {
            hubs.remove(&self.id);
        }
    }

    // The JS thread's side.

    /// Seats a new worker at `seat`; returns the generation its port must present.
    pub fn seat(&self, seat: usize) -> u32 {
        let mut seats = self.seats();
        if seats.len() <= seat {
            seats.resize_with(seat + 1, Seat::default);
        }
        let seat = &mut seats[seat];
        seat.generation = seat.generation.wrapping_add(1);
        seat.joined = false;
        seat.retired = false;
        seat.task = None;
        seat.generation
    }

    /// Stops task `id` if a worker runs it: returns that worker's seat, retired.
    pub fn stop(&self, id: u64) -> Option<usize> {
        let mut seats = self.seats();
        let (index, seat) = seats
            .iter_mut()
            .enumerate()
            .find(|(_, seat)| seat.task.as_ref().is_some_and(|t| t.id == id && !t.stopped))?;
        seat.retired = true;
        seat.task.as_mut()?.stopped = true;
        Some(index)
    }

    /// Takes back task `id` if no worker has taken it; its slot returns to the pool.
    pub fn withdraw(&self, id: u64) -> bool {
        if self.queue.handoff.withdraw(|job| job.id == id).is_none() {
            return false;
        }
        self.finish_in_pool(None);
        true
    }

    /// Whether a worker runs task `id` now.
    pub fn is_running(&self, id: u64) -> bool {
        self.seats()
            .iter()
            .any(|seat| seat.task.as_ref().is_some_and(|t| t.id == id))
    }

    /// The worker at `seat` exited: frees its task's slot, and returns that task's id unless
    /// it was stopped (then its future is settled already).
    pub fn exited(&self, seat: usize) -> Option<u64> {
        let task = {
            let mut seats = self.seats();
            let seat = seats.get_mut(seat)?;
            seat.retired = true;
            seat.task.take()?
        };
        self.finish_in_pool(Some(task.since.elapsed()));
        (!task.stopped).then_some(task.id)
    }

    /// Worker tasks running now, and how long the oldest has been running.
    pub fn running(&self) -> (usize, Duration) {
        let seats = self.seats();
        let running = seats.iter().filter_map(|seat| seat.task.as_ref());
        let oldest = running.clone().map(|t| t.since.elapsed()).max();
        (running.count(), oldest.unwrap_or_default())
    }

    // A worker's side (`WorkerPort`).

    /// Whether the worker seated last at `seat` made its port.
    pub fn joined(&self, seat: usize) -> bool {
        self.seats().get(seat).is_some_and(|s| s.joined)
    }

    /// The worker of `generation` at `seat` made its port.
    pub fn join(&self, seat: usize, generation: u32) {
        if let Some(s) = self.seats().get_mut(seat) {
            s.joined |= s.generation == generation;
        }
    }

    /// Whether the worker of `generation` still holds `seat`.
    pub fn holds(&self, seat: usize, generation: u32) -> bool {
        self.seats()
            .get(seat)
            .is_some_and(|s| s.generation == generation && !s.retired)
    }

    /// The next task for the worker at `seat` (see `Handoff::take`), recorded as its own.
    pub fn next(
        &self,
        seat: usize,
        generation: u32,
        spin: Duration,
        wait: Duration,
    ) -> Option<WorkerJob> {
        if !self.holds(seat, generation) {
            return None;
        }
        let job = self.queue.handoff.take(spin, wait)?;
        {
            let mut seats = self.seats();
            match seats.get_mut(seat) {
                Some(s) if s.generation == generation && !s.retired && s.task.is_none() => {
                    s.task = Some(Running {
                        id: job.id,
                        since: Instant::now(),
                        stopped: false,
                    });
                }
                _ => {
                    // Retired while it waited: the task goes to another worker.
                    drop(seats);
                    self.queue.handoff.give_back(job);
                    return None;
                }
            }
        }
        Some(job)
    }

    /// The worker at `seat` finished task `id` with `report`. False if the task was not its
    /// own any more (stopped, or the seat replaced): then the report is dropped.
    pub fn finish(&self, seat: usize, generation: u32, id: u64, report: WorkerReport) -> bool {
        let task = {
            let mut seats = self.seats();
            match seats.get_mut(seat) {
                Some(s)
                    if s.generation == generation
                        && s.task.as_ref().is_some_and(|t| t.id == id && !t.stopped) =>
                {
                    s.task.take()
                }
                _ => None,
            }
        };
        let Some(task) = task else {
            return false;
        };
        self.finish_in_pool(Some(task.since.elapsed()));
        self.outbox.send(Event::Worker { id, report });
        true
    }

    /// Tells the JS thread something about task `id` that needs no answer from this thread.
    pub fn report(&self, id: u64, report: WorkerReport) {
        self.outbox.send(Event::Worker { id, report });
    }
}
