//! `NativeExecutor`: one pool per `Executor`, driven from the JS thread.
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use ferris_pool::{Job, Pool, PoolConfig, SchedulerKind, SubmitError};
use napi::bindgen_prelude::{ArrayBuffer, Float64ArraySlice, Function, Unknown};
use napi::CleanupEnvHook;
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::event_loop::hold_event_loop;
use crate::handles::Handles;
use crate::stats::NativeStats;
use crate::wire::args::BatchArgs;
use crate::wire::codes::Refused;
use crate::wire::events::{Completion, Delivery, Outbox};
use crate::wire::submit::{decode, Submission};
use crate::workers::hub::Hub;

/// A batched task the pool did not accept.
#[napi(object)]
pub struct Refusal {
    pub id: f64,
    /// A [`Refused`] code.
    pub reason: u32,
    pub message: Option<String>,
}

/// What `submitBatch` did besides queueing.
#[napi(object)]
pub struct Submitted {
    /// How many ids of main-thread tasks handed out it wrote to `handedOut`.
    pub handed_out: u32,
    /// The tasks it refused (normally none: the JS layer checks the queue's room through the
    /// gauge before it batches a task).
    pub refusals: Vec<Refusal>,
}

#[napi(object)]
pub struct NativeOptions {
    pub max_workers: u32,
    pub queue_capacity: f64,
    pub thread_stack_size: Option<f64>,
    /// "work-stealing" or "fifo".
    pub scheduler: String,
    pub aging_ms: f64,
}

/// A duration given in (possibly fractional) milliseconds; one too long to represent is
/// as good as none.
fn duration_ms(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms.max(0.0) / 1e3).unwrap_or(Duration::MAX)
}

/// The pool, shared with the env cleanup hook that aborts it if the JS environment goes
/// away first (a terminated worker thread, process exit), and with the worker isolates'
/// hub. Everything but disposal reads it (the pool's methods take `&self`), so the JS
/// thread's submissions and the isolates' completions do not wait on each other.
pub(crate) type PoolCell = Arc<RwLock<Option<Pool<Completion>>>>;

#[napi]
pub struct NativeExecutor {
    pool: PoolCell,
    outbox: Arc<Outbox>,
    handles: Arc<Handles>,
    hub: Arc<Hub>,
    cleanup: Option<CleanupEnvHook<(PoolCell, Arc<Hub>)>>,
    run_times: Vec<Duration>,
}

impl NativeExecutor {
    fn lock_pool(&self) -> RwLockReadGuard<'_, Option<Pool<Completion>>> {
        self.pool.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where this executor's pool meets its worker isolates (`src/workers`).
    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn handles(&self) -> &Handles {
        &self.handles
    }
}

#[napi]
impl NativeExecutor {
    /// Starts the pool; `dispatcher` receives its events (see `wire/events.rs`): the payloads
    /// of a batch whose events are in the event area (`eventArea`), or a batch of its own.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        options: NativeOptions,
        #[napi(ts_arg_type = "(delivery: unknown[] | EventBatch) => void")] dispatcher: Function<
            '_,
            Delivery,
            (),
        >,
    ) -> Result<Self> {
        let scheduler = match options.scheduler.as_str() {
            "work-stealing" => SchedulerKind::WorkStealing,
            "fifo" => SchedulerKind::Fifo,
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown scheduler {other:?}"),
                ))
            }
        };
        let config = PoolConfig {
            workers: options.max_workers as usize,
            queue_capacity: options.queue_capacity as usize,
            stack_size: options.thread_stack_size.map(|s| s as usize),
            scheduler,
            aging: duration_ms(options.aging_ms),
            thread_name: "ferris-worker".to_string(),
        };
        let handles: Arc<Handles> = Arc::default();
        let outbox = Arc::new(Outbox::new(dispatcher, handles.clone())?);
        let pool = Pool::new(config, outbox.clone()).map_err(|e| {
            Error::new(
                Status::GenericFailure,
                format!("cannot start the pool: {e}"),
            )
        })?;
        let pool: PoolCell = Arc::new(RwLock::new(Some(pool)));
        let hub = Hub::new(pool.clone(), outbox.clone());
        let cleanup = env.add_env_cleanup_hook((pool.clone(), hub.clone()), |(pool, hub)| {
            hub.close(); // worker isolates waiting for tasks return
            let pool = pool.write().unwrap_or_else(PoisonError::into_inner).take();
            drop(pool); // aborts and joins the workers
        })?;
        Ok(NativeExecutor {
            pool,
            outbox,
            handles,
            hub,
            cleanup: Some(cleanup),
            run_times: Vec::new(),
        })
    }

    /// Queues a batch of tasks in one call (the encoding is in `wire/submit.rs`), then hands
    /// queued external tasks out to free slots on this thread (see `Pool::hand_out_queued`).
    /// Main-thread tasks handed out come back here, as from `finishExternal`: their ids, with
    /// those of every hand-out pending by then, are written to `handed_out` in order, so the
    /// first hop of a JS function on an idle executor is neither a threadsafe-function call
    /// nor an event-loop turn.
    #[napi(catch_unwind)]
    pub fn submit_batch(
        &self,
        ids: &[f64],
        meta: &[u32],
        numbers: &[f64],
        objects: Vec<Unknown>,
        mut handed_out: Float64ArraySlice<'_>,
    ) -> Result<Submitted> {
        let pool = self.lock_pool();
        let mut handles = self.handles.lock();
        let mut args = BatchArgs::new(numbers, objects);
        let mut refusals = Vec::new();
        let mut broken: Option<String> = None;
        let mut external = false;
        for (&id, &meta) in ids.iter().zip(meta) {
            let refuse = |reason: Refused, message| Refusal {
                id,
                reason: reason as u32,
                message,
            };
            if let Some(reason) = &broken {
                refusals.push(refuse(Refused::Invalid, Some(reason.clone())));
                continue;
            }
            let Submission {
                priority,
                job,
                time_limit,
            } = match decode(id as u64, meta, &mut args) {
                Ok(submission) => submission,
                Err(error) => {
                    // The arguments of the tasks after this one can no longer be located:
                    // refuse them too rather than run them with their neighbours' values.
                    broken = Some(error.reason.clone());
                    refusals.push(refuse(Refused::Invalid, broken.clone()));
                    continue;
                }
            };
            let Some(pool) = pool.as_ref() else {
                refusals.push(refuse(Refused::Closed, None));
                continue;
            };
            let submitted = match job {
                Job::External(job) => {
                    external = true;
                    pool.submit_external(priority, id as u64, job)
                }
                job => pool.submit_with_limit(priority, id as u64, job, time_limit),
            };
            match submitted {
                Ok(handle) => {
                    handles.insert(id as u64, handle);
                }
                Err(SubmitError::QueueFull { .. }) => {
                    refusals.push(refuse(Refused::QueueFull, None))
                }
                Err(SubmitError::Closed) => refusals.push(refuse(Refused::Closed, None)),
            }
        }
        let mut taken = 0;
        if let (true, Some(pool)) = (external, pool.as_ref()) {
            // Taking the hand-outs locks the handles.
            drop(handles);
            // SAFETY: as in `finish_external`: the runner's own array, untouched by JavaScript
            // while this call runs on its thread.
            let ids = unsafe { handed_out.as_mut() };
            taken = self.outbox.take_hand_outs(|| pool.hand_out_queued(), ids);
        }
        Ok(Submitted {
            handed_out: taken as u32,
            refusals,
        })
    }

    /// The pool's queued-task count as a 4-byte buffer that stays current (read it with
    /// `Atomics.load(new Int32Array(buffer), 0)`).
    #[napi(catch_unwind)]
    pub fn queue_gauge<'env>(&self, env: &'env Env) -> Result<ArrayBuffer<'env>> {
        let gauge = self
            .lock_pool()
            .as_ref()
            .map(Pool::queue_gauge)
            .ok_or_else(|| Error::new(Status::GenericFailure, "the executor is disposed"))?;
        let data = gauge.as_ptr() as *mut u8;
        // SAFETY: `data` points at the gauge's 4-byte atomic counter, which lives as long as
        // the `gauge` clone moved into the finalizer, i.e. as long as the JS buffer. JavaScript
        // only reads it (with Atomics.load); Rust only writes it atomically.
        let buffer =
            unsafe { ArrayBuffer::from_external(env, data, 4, gauge, |_, gauge| drop(gauge)) }?;
        if buffer.as_ptr() != data.cast_const() {
            // The runtime copied the bytes instead (no external buffers): the copy would never change.
            return Err(Error::new(
                Status::GenericFailure,
                "this JavaScript runtime does not support external array buffers",
            ));
        }
        Ok(buffer)
    }

    /// The event area (see `wire/events.rs`), read as a `Float64Array` by the dispatcher.
    #[napi(catch_unwind)]
    pub fn event_area<'env>(&self, env: &'env Env) -> Result<ArrayBuffer<'env>> {
        self.outbox.area().buffer(env)
    }

    /// Whether task `id` has been taken by a pool thread (false once its result is delivered).
    #[napi(catch_unwind)]
    pub fn started(&self, id: f64) -> bool {
        self.handles.started(id as u64)
    }

    /// Cancels queued task `id`. True if it will never run.
    #[napi(catch_unwind)]
    pub fn cancel(&self, id: f64) -> bool {
        let id = id as u64;
        let Some(handle) = self.handles.lock().remove(&id) else {
            return false;
        };
        let cancelled = self
            .lock_pool()
            .as_ref()
            .is_some_and(|pool| pool.cancel(&handle));
        if !cancelled {
            self.handles.lock().insert(id, handle);
        }
        cancelled
    }

    /// Reports `finished` external tasks, which ran for `run_times_ms[..finished]`, and
    /// `abandoned` handed-out ones that were cancelled before they ran. Their slots go to the
    /// next queued external tasks (see `Pool::finish_external`); the ids of every hand-out
    /// pending by then, those included, are written to `handed_out` in order, and their count
    /// returned. Called once or twice per external task, so the numbers travel in typed
    /// arrays the caller reuses (`handed_out` needs one entry per slot).
    #[napi(catch_unwind)]
    pub fn finish_external(
        &mut self,
        run_times_ms: &[f64],
        finished: u32,
        abandoned: u32,
        mut handed_out: Float64ArraySlice<'_>,
    ) -> Result<u32> {
        let times = run_times_ms.get(..finished as usize).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                "finishExternal: more tasks than run times",
            )
        })?;
        self.run_times.clear();
        self.run_times.extend(times.iter().map(|&t| duration_ms(t)));
        let pool = self.lock_pool();
        let run_times = &self.run_times;
        // SAFETY: the array is the executor's own (`lib/runners/main-thread.ts`), not shared
        // with any other thread, and JavaScript cannot touch it while this call runs on its
        // thread.
        let ids = unsafe { handed_out.as_mut() };
        let taken = self.outbox.take_hand_outs(
            || {
                if let Some(pool) = pool.as_ref() {
                    pool.finish_external(run_times, abandoned as usize);
                }
            },
            ids,
        );
        Ok(taken as u32)
    }

    /// Whether pending work keeps the process alive (the event channel is weak otherwise).
    #[napi(catch_unwind)]
    pub fn keep_alive(&self, env: Env, keep: bool) -> Result<()> {
        hold_event_loop(env, self.outbox.notifier().raw(), keep)
    }

    /// Refuses new submissions; queued and running tasks go on.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        if let Some(pool) = self.lock_pool().as_ref() {
            pool.close();
        }
    }

    /// Stops the workers for good (after `close` and once nothing is pending).
    #[napi(catch_unwind)]
    pub fn dispose(&mut self, env: Env) -> Result<()> {
        self.hub.close();
        let pool = self
            .pool
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(pool);
        if let Some(hook) = self.cleanup.take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> Option<NativeStats> {
        let mut stats: NativeStats = self.lock_pool().as_ref()?.stats().into();
        let (running, oldest) = self.hub.running();
        stats.worker_running = running as u32;
        stats.worker_waiting = self.hub.queue.handoff.len() as u32;
        stats.oldest_worker_running_ms = oldest.as_secs_f64() * 1e3;
        Some(stats)
    }
}
