//! `WorkerPort`: a JS worker isolate's end of its executor's [`Hub`], made by the isolate's
//! own copy of the addon (`lib/workers/isolate.ts` runs the loop). Its calls only convert and
//! forward to the hub.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Float64Array, Function, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::wire::codes::WORKER_TIMED;
use crate::wire::events::WorkerReport;
use crate::workers::hub::{Hub, WorkerArgs};
use crate::workers::queue::WakeUp;

/// Tells ports apart on the parked list.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A task a worker took: call function `function` with the arguments in `numbers` or
/// `bytes` (`v8.serialize`d), or ask for them (`WORKER_ARGS_ON_PORT` in `flags`).
#[napi(object)]
pub struct WorkerTaskInput {
    pub id: f64,
    pub function: u32,
    pub flags: u32,
    pub numbers: Option<Float64Array>,
    pub bytes: Option<Uint8Array>,
}

#[napi]
pub struct WorkerPort {
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
        self.hold_loop(env, true)?;
        Ok(true)
    }

    /// Called by the wake-up function: the loop no longer needs holding open for it.
    #[napi(catch_unwind)]
    pub fn unpark(&self, env: Env) -> Result<()> {
        self.hub.queue.forget(self.key);
        self.hold_loop(env, false)
    }

    /// The next task: at once, after spinning `spin_us` microseconds, or after blocking this
    /// thread up to `wait_ms` milliseconds; null if none came (or the worker is retired).
    #[napi(catch_unwind)]
    pub fn next(&self, spin_us: f64, wait_ms: f64) -> Option<WorkerTaskInput> {
        let spin = Duration::from_secs_f64(spin_us.clamp(0.0, 1e6) / 1e6);
        let wait = Duration::from_secs_f64(wait_ms.clamp(0.0, 1e3) / 1e3);
        let job = self.hub.next(self.seat, self.generation, spin, wait)?;
        if job.flags & WORKER_TIMED != 0 {
            self.hub
                .report(job.id, WorkerReport::Started(self.seat as u32));
        }
        let (numbers, bytes) = match job.args {
            WorkerArgs::Numbers(numbers) => (Some(Float64Array::new(numbers)), None),
            WorkerArgs::Bytes(bytes) => (None, Some(Uint8Array::new(bytes))),
            WorkerArgs::OnPort => (None, None),
        };
        Some(WorkerTaskInput {
            id: job.id as f64,
            function: job.function,
            flags: job.flags,
            numbers,
            bytes,
        })
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
    fn hold_loop(&self, env: Env, hold: bool) -> Result<()> {
        let raw = self.wake_up.raw();
        // SAFETY: called on this worker's JS thread, which owns `env`, with a threadsafe
        // function this port keeps alive; ref/unref only toggle whether it holds the loop open.
        let status = unsafe {
            if hold {
                napi::sys::napi_ref_threadsafe_function(env.raw(), raw)
            } else {
                napi::sys::napi_unref_threadsafe_function(env.raw(), raw)
            }
        };
        match status {
            napi::sys::Status::napi_ok => Ok(()),
            status => Err(Error::new(
                Status::from(status),
                "cannot ref/unref the wake-up call",
            )),
        }
    }

    fn finish(&self, id: f64, report: WorkerReport) -> bool {
        self.hub
            .finish(self.seat, self.generation, id as u64, report)
    }
}
