//! The JS thread's control of its executor's worker isolates (`lib/workers/isolates.ts`),
//! forwarded to the [`Hub`](super::hub::Hub).
use napi_derive::napi;

use crate::executor::NativeExecutor;

#[napi]
impl NativeExecutor {
    /// The id a worker isolate passes to `new WorkerPort` to join this executor.
    #[napi(getter, catch_unwind)]
    pub fn hub_id(&self) -> u32 {
        self.hub().id
    }

    /// Seats a worker being spawned at `seat`; returns the generation it must present.
    #[napi(catch_unwind)]
    pub fn seat_worker(&self, seat: u32) -> u32 {
        self.hub().seat(seat as usize)
    }

    /// Stops worker task `id` if a worker runs it: returns that worker's seat (the caller
    /// terminates it), or -1.
    #[napi(catch_unwind)]
    pub fn stop_worker_task(&self, id: f64) -> i32 {
        match self.hub().stop(id as u64) {
            Some(seat) => {
                self.handles().lock().remove(&(id as u64));
                seat as i32
            }
            None => -1,
        }
    }

    /// Takes back worker task `id` if the pool handed it out and no worker has taken it yet.
    #[napi(catch_unwind)]
    pub fn withdraw_worker_task(&self, id: f64) -> bool {
        let withdrawn = self.hub().withdraw(id as u64);
        if withdrawn {
            self.handles().lock().remove(&(id as u64));
        }
        withdrawn
    }

    /// Whether a worker runs task `id` now.
    #[napi(catch_unwind)]
    pub fn worker_task_running(&self, id: f64) -> bool {
        self.hub().is_running(id as u64)
    }

    /// Whether the worker seated last at `seat` got as far as joining (else it failed to start).
    #[napi(catch_unwind)]
    pub fn worker_joined(&self, seat: u32) -> bool {
        self.hub().joined(seat as usize)
    }

    /// The worker at `seat` exited: returns the id of the task it was running (its future
    /// must be settled), if any.
    #[napi(catch_unwind)]
    pub fn worker_exited(&self, seat: u32) -> Option<f64> {
        let id = self.hub().exited(seat as usize)?;
        self.handles().lock().remove(&id);
        Some(id as f64)
    }

    /// Wakes every parked worker isolate, so that each reads the flags the JS thread set for
    /// it (`recycleWorkers`).
    #[napi(catch_unwind)]
    pub fn wake_workers(&self) {
        self.hub().queue.wake_all();
    }
}
