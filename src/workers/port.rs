//! `WorkerPort`: a JS worker isolate's end of its executor's [`Hub`], made by the isolate's
//! own copy of the addon (`lib/workers/isolate.ts` runs the loop). Its calls only convert and
//! forward to the hub.
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Float64Array, Float64ArraySlice, Function, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::event_loop::hold_event_loop;
use crate::wire::codes::WORKER_TIMED;
use crate::wire::events::WorkerReport;
use crate::workers::hub::{Hub, WorkerArgs};
use crate::workers::queue::WakeUp;

/// Tells ports apart on the parked list.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// The layout of the header `next` fills in: the task's function id, its flags, and the
/// count of its numeric arguments, which follow (-1: none, or too many to fit: take them with
/// `takeNumbers`, or the serialized ones with `takeBytes`).
#[napi]
pub const HEADER_FUNCTION: u32 = 0;
#[napi]
pub const HEADER_FLAGS: u32 = 1;
#[napi]
pub const HEADER_COUNT: u32 = 2;
#[napi]
pub const HEADER_ARGS: u32 = 3;

#[napi]
pub struct WorkerPort {
    /// The arguments of the task `next` returned, when they did not fit in its header.
    args: RefCell<Option<WorkerArgs>>,
    hub: Arc<Hub>,
    seat: usize,
    generation: u32,
    key: u64,
    wake_up: Arc<WakeUp>,
}

#[napi]
impl WorkerPort {
    /// Joins executor `hub` as the worker of `generation` at `seat` (given by the JS thread
    /// that spawned this worker); `wake_up` is called on this thread when a task comes for
    /// it while it is parked (see `queue.rs`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        hub: u32,
        seat: u32,
        generation: u32,
        wake_up: Function<'_, (), ()>,
    ) -> Result<Self> {
        let hub = Hub::find(hub)?;
        hub.join(seat as usize, generation);
        let wake_up = Arc::new(
            wake_up
                .build_threadsafe_function::<()>()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?,
        );
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        // After the threadsafe function: cleanup hooks run last in, first out (see `queue.rs`).
        let queue = hub.queue.clone();
        env.add_env_cleanup_hook((), move |()| queue.forget(key))?;
        Ok(WorkerPort {
            args: RefCell::new(None),
            hub,
            seat: seat as usize,
            generation,
            key,
            wake_up,
        })
    }

    /// Parks this worker unless a task waits: its wake-up function is called when one
    /// comes, and holds this thread's event loop open until then. True if it parked.
    #[napi(catch_unwind)]
    pub fn park(&self, env: Env) -> Result<bool> {
        if !self.hub.queue.park(self.key, &self.wake_up) {
            return Ok(false);
        }
        hold_event_loop(env, self.wake_up.raw(), true)?;
        Ok(true)
    }

    /// Called by the wake-up function: the loop no longer needs holding open for it.
    #[napi(catch_unwind)]
    pub fn unpark(&self, env: Env) -> Result<()> {
        self.hub.queue.forget(self.key);
        hold_event_loop(env, self.wake_up.raw(), false)
    }

    /// The next task: at once, after spinning `spin_us` microseconds, or after blocking this
    /// thread up to `wait_ms` milliseconds. Returns its id and fills in `header` (see
    /// `HEADER_*`); -1 if none came (or the worker is retired). A header and no object per
    /// task: this is the per-task path of every worker task.
    #[napi(catch_unwind)]
    pub fn next(
        &self,
        spin_us: f64,
        wait_ms: f64,
        mut header: Float64ArraySlice<'_>,
    ) -> Result<f64> {
        // SAFETY: the caller's own array (`lib/workers/isolate.ts`), not shared with another
        // thread; JavaScript cannot touch it while this call runs on its thread.
        let header = unsafe { header.as_mut() };
        let [function, flags, count, args @ ..] = header else {
            return Err(Error::new(Status::InvalidArg, "the header is too short"));
        };
        let spin = Duration::from_secs_f64(spin_us.clamp(0.0, 1e6) / 1e6);
        let wait = Duration::from_secs_f64(wait_ms.clamp(0.0, 1e3) / 1e3);
        let Some(job) = self.hub.next(self.seat, self.generation, spin, wait) else {
            return Ok(-1.0);
        };
        if job.flags & WORKER_TIMED != 0 {
            self.hub
                .report(job.id, WorkerReport::Started(self.seat as u32));
        }
        *function = job.function as f64;
        *flags = job.flags as f64;
        *count = -1.0;
        match job.args {
            WorkerArgs::Numbers(numbers) if numbers.len() <= args.len() => {
                args[..numbers.len()].copy_from_slice(&numbers);
                *count = numbers.len() as f64;
            }
            other => *self.args.borrow_mut() = Some(other),
        }
        Ok(job.id as f64)
    }

    /// The numeric arguments of the last task, when they did not fit in its header.
    #[napi(catch_unwind)]
    pub fn take_numbers(&self) -> Option<Float64Array> {
        let mut args = self.args.borrow_mut();
        match args.take()? {
            WorkerArgs::Numbers(numbers) => Some(Float64Array::new(numbers)),
            other => args.replace(other).and(None),
        }
    }

    /// The serialized arguments of the last task.
    #[napi(catch_unwind)]
    pub fn take_bytes(&self) -> Option<Uint8Array> {
        let mut args = self.args.borrow_mut();
        match args.take()? {
            WorkerArgs::Bytes(bytes) => Some(Uint8Array::new(bytes)),
            other => args.replace(other).and(None),
        }
    }

    /// This worker no longer holds its seat: it must stop taking tasks and end.
    #[napi(getter, catch_unwind)]
    pub fn retired(&self) -> bool {
        !self.hub.holds(self.seat, self.generation)
    }

    /// Task `id` needs its arguments, which the JS thread sends by `postMessage`.
    #[napi(catch_unwind)]
    pub fn need_args(&self, id: f64) {
        self.hub
            .report(id as u64, WorkerReport::NeedsArgs(self.seat as u32));
    }

    /// Task `id` returned the value serialized in `bytes`. False if it was stopped.
    #[napi(catch_unwind)]
    pub fn returned(&self, id: f64, bytes: &[u8]) -> bool {
        self.finish(id, WorkerReport::Value(bytes.to_vec()))
    }

    /// Task `id` returned the number `value`.
    #[napi(catch_unwind)]
    pub fn returned_number(&self, id: f64, value: f64) -> bool {
        self.finish(id, WorkerReport::Number(value))
    }

    /// Task `id` (a chunk) returned these numbers.
    #[napi(catch_unwind)]
    pub fn returned_numbers(&self, id: f64, values: &[f64]) -> bool {
        self.finish(id, WorkerReport::Numbers(values.to_vec()))
    }

    /// Task `id`'s result was posted on this worker's port (it holds shared memory).
    #[napi(catch_unwind)]
    pub fn posted(&self, id: f64) -> bool {
        self.finish(id, WorkerReport::Posted(self.seat as u32))
    }

    /// Task `id` threw the error recorded in `bytes`.
    #[napi(catch_unwind)]
    pub fn threw(&self, id: f64, bytes: &[u8]) -> bool {
        self.finish(id, WorkerReport::Threw(bytes.to_vec()))
    }
}

impl WorkerPort {
    fn finish(&self, id: f64, report: WorkerReport) -> bool {
        self.hub
            .finish(self.seat, self.generation, id as u64, report)
    }
}
