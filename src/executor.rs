//! `NativeExecutor`: one pool per `Executor`, driven from the JS thread.
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferris_kernels::{Arg, Args, Kernel, REGISTRY};
use ferris_pool::{
    Job, Pool, PoolConfig, PoolStats, Priority, SchedulerKind, SubmitError, Summary, TaskHandle,
};
use napi::bindgen_prelude::{
    ArrayBuffer, Either3, Either4, Float64Array, FnArgs, Function, Uint32Array, Uint8Array, Unknown,
};
use napi::CleanupEnvHook;
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use rustc_hash::FxHashMap;

use crate::events::{Completion, Outbox};
use crate::kernel_args::{BatchArgs, OwnedArg};

/// Handles of tasks that may still be cancelled, by id. Touched only on the JS thread (by
/// submit, cancel and the event callback), so its lock is never contended.
pub(crate) type Handles = FxHashMap<u64, TaskHandle>;

/// Flag of a batch's `meta` (bit 4): the task has a run-time limit. Mirrored in `lib/binding.ts`.
const TIMED: u32 = 1 << 4;

/// Task kinds in a batch's `meta` (bits 2-3), mirrored in `lib/binding.ts`.
const KIND_JS: u32 = 0;
const KIND_KERNEL: u32 = 1;
const KIND_CHUNK: u32 = 2;

/// Reasons of a [`Refusal`], mirrored in `lib/binding.ts`.
const REFUSED_FULL: u32 = 1;
const REFUSED_CLOSED: u32 = 2;
const REFUSED_INVALID: u32 = 3;

/// A batched task the pool did not accept.
#[napi(object)]
pub struct Refusal {
    pub id: f64,
    /// 1: the queue is full, 2: the executor is closed, 3: invalid arguments (see `message`).
    pub reason: u32,
    pub message: Option<String>,
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

#[napi(object)]
pub struct NativeSummary {
    pub count: f64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub total: f64,
}

#[napi(object)]
pub struct NativeStats {
    pub workers: u32,
    pub running: u32,
    pub external_running: u32,
    pub sleeping: u32,
    pub queued: f64,
    pub queued_high: f64,
    pub queued_normal: f64,
    pub queued_low: f64,
    pub started: f64,
    pub stolen: f64,
    pub panicked: f64,
    /// Milliseconds from enqueue to start.
    pub wait: NativeSummary,
    /// Milliseconds from start to finish.
    pub run: NativeSummary,
    /// Milliseconds the longest-running native task running now has been running (0: none).
    pub oldest_native_running_ms: f64,
    pub uptime_ms: f64,
}

#[napi(object)]
pub struct KernelInfo {
    pub name: String,
    /// Index to pass to `submitKernel`.
    pub index: u32,
    /// One of "count", "number", "Float64Array", "Uint8Array", "string" per parameter.
    pub params: Vec<String>,
    /// How many arguments a call must pass; the rest of `params` are optional.
    pub required: u32,
}

fn ms(ns: f64) -> f64 {
    ns / 1e6
}

impl From<Summary> for NativeSummary {
    fn from(s: Summary) -> Self {
        NativeSummary {
            count: s.count as f64,
            min: ms(s.min as f64),
            mean: ms(s.mean),
            p50: ms(s.p50 as f64),
            p90: ms(s.p90 as f64),
            p99: ms(s.p99 as f64),
            max: ms(s.max as f64),
            total: ms(s.total as f64),
        }
    }
}

impl From<PoolStats> for NativeStats {
    fn from(s: PoolStats) -> Self {
        let [high, normal, low] = s.queued_by_priority.map(|n| n as f64);
        NativeStats {
            workers: s.workers as u32,
            running: s.running as u32,
            external_running: s.external_running as u32,
            sleeping: s.sleeping as u32,
            queued: s.queued as f64,
            queued_high: high,
            queued_normal: normal,
            queued_low: low,
            started: s.started as f64,
            stolen: s.stolen as f64,
            panicked: s.panicked as f64,
            wait: s.wait.into(),
            run: s.run.into(),
            oldest_native_running_ms: s.oldest_native_running.as_secs_f64() * 1e3,
            uptime_ms: s.uptime.as_secs_f64() * 1e3,
        }
    }
}

#[napi(catch_unwind)]
pub fn list_kernels() -> Vec<KernelInfo> {
    REGISTRY
        .iter()
        .enumerate()
        .map(|(index, kernel)| KernelInfo {
            name: kernel.name.to_string(),
            index: index as u32,
            params: kernel.params.iter().map(|p| p.name().to_string()).collect(),
            required: kernel.required() as u32,
        })
        .collect()
}

fn priority(level: u32) -> Result<Priority> {
    Priority::ALL
        .get(level as usize)
        .copied()
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown priority {level}")))
}

fn kernel(index: u32) -> Result<&'static Kernel> {
    REGISTRY
        .get(index as usize)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown kernel #{index}")))
}

/// The pool, shared with the env cleanup hook that aborts it if the JS environment goes
/// away first (a terminated worker thread, process exit).
type PoolCell = Arc<Mutex<Option<Pool<Completion>>>>;

#[napi]
pub struct NativeExecutor {
    pool: PoolCell,
    outbox: Arc<Outbox>,
    handles: Arc<Mutex<Handles>>,
    cleanup: Option<CleanupEnvHook<PoolCell>>,
    taken: Vec<u64>,
}

impl NativeExecutor {
    fn lock_pool(&self) -> MutexGuard<'_, Option<Pool<Completion>>> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_handles(&self) -> MutexGuard<'_, Handles> {
        self.handles.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds the job of one batched task, and its run-time limit, taking its arguments from
    /// `args`.
    fn job(meta: u32, args: &mut BatchArgs<'_>) -> Result<(Job<Completion>, Option<Duration>)> {
        let kind = (meta >> 2) & 3;
        if kind == KIND_JS {
            return Ok((Job::External, None));
        }
        let limit = if meta & TIMED != 0 {
            args.time_limit_ms()?
        } else {
            None
        };
        let kernel = kernel(meta >> 5)?;
        let calls = match kind {
            KIND_KERNEL => 1,
            KIND_CHUNK => args.count()?,
            _ => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown task kind {kind}"),
                ))
            }
        };
        // Reserve for the common case only: `calls` comes from JavaScript.
        let mut owned = Vec::with_capacity(calls.saturating_mul(kernel.params.len()).min(1 << 16));
        for _ in 0..calls {
            args.read_call(kernel, &mut owned)?;
        }
        let job = NativeExecutor::kernel_job(kernel, owned, calls, kind == KIND_CHUNK);
        Ok((job, limit))
    }

    /// A job that runs `kernel` `calls` times, over consecutive argument lists of `args`, and
    /// returns the values (or the first error).
    fn kernel_job(
        kernel: &'static Kernel,
        args: Vec<OwnedArg>,
        calls: usize,
        chunk: bool,
    ) -> Job<Completion> {
        Job::Native(Box::new(move |ctx| {
            let arity = kernel.params.len();
            let mut borrowed: Vec<Arg> = Vec::with_capacity(arity);
            let result = (0..calls)
                .map(|call| {
                    borrowed.clear();
                    borrowed.extend(args[call * arity..][..arity].iter().map(OwnedArg::borrow));
                    (kernel.run)(&Args(&borrowed), ctx)
                })
                .collect();
            drop(borrowed);
            Completion {
                result,
                chunk,
                timed_out: ctx.timed_out(),
                args,
            }
        }))
    }
}

#[napi]
impl NativeExecutor {
    #[napi(constructor, catch_unwind)]
    // The dispatcher's type is spelled out because the .d.ts generator does not expand aliases.
    #[allow(clippy::type_complexity)]
    pub fn new(
        env: Env,
        options: NativeOptions,
        dispatcher: Function<
            '_,
            FnArgs<(
                Uint8Array,
                Float64Array,
                Float64Array,
                Vec<
                    Either3<
                        String,
                        Vec<Option<Either4<f64, Float64Array, Uint32Array, Uint8Array>>>,
                        Either3<Float64Array, Uint32Array, Uint8Array>,
                    >,
                >,
            )>,
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
            // Too long to represent is as good as no aging at all.
            aging: Duration::try_from_secs_f64(options.aging_ms.max(0.0) / 1e3)
                .unwrap_or(Duration::MAX),
            thread_name: "ferris-worker".to_string(),
        };
        let handles: Arc<Mutex<Handles>> = Arc::default();
        let outbox = Arc::new(Outbox::new(dispatcher, handles.clone())?);
        let pool = Pool::new(config, outbox.clone()).map_err(|e| {
            Error::new(
                Status::GenericFailure,
                format!("cannot start the pool: {e}"),
            )
        })?;
        let pool: PoolCell = Arc::new(Mutex::new(Some(pool)));
        let cleanup = env.add_env_cleanup_hook(pool.clone(), |pool| {
            let pool = pool.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(pool); // aborts and joins the workers
        })?;
        Ok(NativeExecutor {
            pool,
            outbox,
            handles,
            cleanup: Some(cleanup),
            taken: Vec::new(),
        })
    }

    /// Queues a batch of tasks in one call: task `i` has id `ids[i]` and `meta[i]` = priority
    /// level (bits 0-1) | kind (bits 2-3: 0 JS function, 1 kernel call, 2 chunk of kernel calls)
    /// | TIMED (bit 4) | kernel index << 5. Kernel arguments come in order, numbers from
    /// `numbers` and the rest from `objects`; a timed task first takes its run-time limit (ms)
    /// from `numbers`, a chunk then its number of calls. Returns the
    /// tasks that were refused (normally none: the JS layer checks the queue's room through
    /// the gauge before it batches a task).
    #[napi(catch_unwind)]
    pub fn submit_batch(
        &self,
        ids: &[f64],
        meta: &[u32],
        numbers: &[f64],
        objects: Vec<Unknown>,
    ) -> Result<Vec<Refusal>> {
        let pool = self.lock_pool();
        let mut handles = self.lock_handles();
        let mut args = BatchArgs::new(numbers, objects);
        let mut refusals = Vec::new();
        let mut broken: Option<String> = None;
        for (&id, &meta) in ids.iter().zip(meta) {
            let refuse = |reason, message| Refusal {
                id,
                reason,
                message,
            };
            if let Some(reason) = &broken {
                refusals.push(refuse(REFUSED_INVALID, Some(reason.clone())));
                continue;
            }
            let (job, limit) = match NativeExecutor::job(meta, &mut args) {
                Ok(job) => job,
                Err(error) => {
                    // The arguments of the tasks after this one can no longer be located:
                    // refuse them too rather than run them with their neighbours' values.
                    broken = Some(error.reason.clone());
                    refusals.push(refuse(REFUSED_INVALID, broken.clone()));
                    continue;
                }
            };
            let Some(pool) = pool.as_ref() else {
                refusals.push(refuse(REFUSED_CLOSED, None));
                continue;
            };
            match pool.submit_with_limit(priority(meta & 3)?, id as u64, job, limit) {
                Ok(handle) => {
                    handles.insert(id as u64, handle);
                }
                Err(SubmitError::QueueFull { .. }) => refusals.push(refuse(REFUSED_FULL, None)),
                Err(SubmitError::Closed) => refusals.push(refuse(REFUSED_CLOSED, None)),
            }
        }
        Ok(refusals)
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

    /// Whether task `id` has been taken by a pool thread (false once its result is delivered).
    #[napi(catch_unwind)]
    pub fn started(&self, id: f64) -> bool {
        self.lock_handles()
            .get(&(id as u64))
            .is_some_and(TaskHandle::has_started)
    }

    /// Cancels queued task `id`. True if it will never run.
    #[napi(catch_unwind)]
    pub fn cancel(&self, id: f64) -> bool {
        let id = id as u64;
        let Some(handle) = self.lock_handles().remove(&id) else {
            return false;
        };
        let pool = self.lock_pool();
        let cancelled = pool.as_ref().is_some_and(|pool| pool.cancel(&handle));
        if !cancelled {
            self.lock_handles().insert(id, handle);
        }
        cancelled
    }

    /// Reports `finished` JS tasks, which ran for `run_times_ms[..finished]`, and `abandoned`
    /// handed-out JS tasks that were cancelled before they ran; their slots go to the next
    /// queued JS tasks (see `Pool::finish_external`). Returns, in hand-out order, every JS task
    /// handed out and not yet dispatched, these included, for the caller to run at once: the
    /// ones workers handed out earlier come first, so the order holds. Called once or twice
    /// per JS task, so the run times come in a reused typed array rather than a fresh JS array.
    #[napi(catch_unwind)]
    pub fn finish_js(
        &mut self,
        run_times_ms: &[f64],
        finished: u32,
        abandoned: u32,
    ) -> Result<Vec<f64>> {
        let times = run_times_ms
            .get(..finished as usize)
            .ok_or_else(|| Error::new(Status::InvalidArg, "finishJs: more tasks than run times"))?;
        let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(pool) = pool.as_ref() else {
            return Ok(Vec::new());
        };
        let times: Vec<Duration> = times
            .iter()
            .map(|&t| Duration::try_from_secs_f64(t.max(0.0) / 1e3).unwrap_or(Duration::MAX))
            .collect();
        pool.finish_external(&times, abandoned as usize);
        self.taken.clear();
        self.outbox.take_run_js(&mut self.taken);
        let mut handles = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(self
            .taken
            .iter()
            .map(|id| {
                handles.remove(id);
                *id as f64
            })
            .collect())
    }

    /// Whether pending work keeps the process alive (the event channel is weak otherwise).
    #[napi(catch_unwind)]
    pub fn keep_alive(&self, env: Env, keep: bool) -> Result<()> {
        let raw = self.outbox.notifier().raw();
        // SAFETY: called on the JS thread that owns `env`, with a threadsafe function this
        // object keeps alive; ref/unref only toggle whether it holds the event loop open.
        let status = unsafe {
            if keep {
                napi::sys::napi_ref_threadsafe_function(env.raw(), raw)
            } else {
                napi::sys::napi_unref_threadsafe_function(env.raw(), raw)
            }
        };
        match status {
            napi::sys::Status::napi_ok => Ok(()),
            status => Err(Error::new(
                Status::from(status),
                "cannot ref/unref the event channel",
            )),
        }
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
        let pool = self.lock_pool().take();
        drop(pool);
        if let Some(hook) = self.cleanup.take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> Option<NativeStats> {
        self.lock_pool().as_ref().map(|pool| pool.stats().into())
    }
}
