//! Fork-join inside running tasks: [`TaskContext::join`] and [`TaskContext::scope`].
//!
//! Protocol:
//! * A forked job (the second half of a `join`, or a closure spawned in a scope) goes on the
//!   forking worker's own LIFO deque, where idle workers may steal it. Forking then wakes a
//!   parked worker unless one is searching, with the same handshake as a submission (publish,
//!   then `Sleep::notify_work`); a worker about to park re-checks its siblings' deques.
//! * The forking call returns only once every job it forked has finished, even when a half
//!   panics, so forked jobs may borrow from the forking stack frame. A panic is caught where the
//!   job runs and resumed in the forking task once everything has finished.
//! * While it waits, the forking worker runs jobs from its own deque and steals forked jobs from
//!   siblings; it never starts queued tasks, which could be long and unrelated (and would make
//!   a join's latency depend on them). With nothing to help with it parks, for 50 us at first
//!   and doubling up to 1 ms so that it still notices new stealable jobs; whoever finishes the
//!   last job it waits for unparks it.
//! * Nothing here is counted as a task: only `stolen` counts forked jobs run by a thief.
//!
//! Nested fork-join cannot deadlock, even with one worker: a job nobody stole is still on top of
//! its forker's deque when the forker comes back for it, and runs inline.
use std::any::Any;
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crossbeam_utils::Backoff;

use crate::config::Priority;
use crate::context::{CurrentWorker, JobRef, TaskContext};
use crate::unwind::{caught, drop_payload};

/// Priority and deadline of the task a job was forked from: the job runs under both.
#[derive(Clone, Copy)]
struct Origin {
    priority: Priority,
    deadline: Option<Instant>,
}

impl Origin {
    fn of(ctx: &TaskContext<'_>) -> Self {
        Origin {
            priority: ctx.priority,
            deadline: ctx.deadline,
        }
    }

    fn context<'a>(self, worker: &'a CurrentWorker<'a>) -> TaskContext<'a> {
        TaskContext {
            worker,
            priority: self.priority,
            deadline: self.deadline,
        }
    }
}

impl<'a> TaskContext<'a> {
    /// Runs `a` and `b`, potentially in parallel, and returns both results: `b` is pushed on
    /// this worker's deque for an idle worker to steal, `a` runs here, then `b` runs here too
    /// unless it was stolen meanwhile. While a stolen `b` runs, this worker helps with other
    /// forked jobs instead of blocking, so nested joins never deadlock, even with one worker.
    /// Both halves run under this task's priority and time limit. If either panics, the panic
    /// is resumed here once both have finished.
    ///
    /// ```
    /// # use ferris_pool::TaskContext;
    /// fn sum(ctx: &TaskContext<'_>, data: &[u64]) -> u64 {
    ///     if data.len() <= 1024 {
    ///         return data.iter().sum();
    ///     }
    ///     let (left, right) = data.split_at(data.len() / 2);
    ///     let (a, b) = ctx.join(|ctx| sum(ctx, left), |ctx| sum(ctx, right));
    ///     a + b
    /// }
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce(&TaskContext<'_>) -> RA + Send,
        B: FnOnce(&TaskContext<'_>) -> RB + Send,
        RA: Send,
        RB: Send,
    {
        join(self, a, b)
    }

    /// Calls `body` with a [`Scope`] whose `spawn` forks jobs that may borrow from the caller,
    /// and returns once every spawned job has finished (helping with forked jobs meanwhile,
    /// as [`join`](Self::join) does). A panic in `body` or in a job is resumed here after that.
    ///
    /// ```
    /// # use ferris_pool::TaskContext;
    /// fn double_all(ctx: &TaskContext<'_>, data: &mut [f64]) {
    ///     ctx.scope(|s| {
    ///         for chunk in data.chunks_mut(4096) {
    ///             s.spawn(move |_| chunk.iter_mut().for_each(|x| *x *= 2.0));
    ///         }
    ///     });
    /// }
    /// ```
    pub fn scope<R>(&'a self, body: impl FnOnce(&Scope<'a>) -> R) -> R {
        scope(self, body)
    }
}

/// The second half of a `join`, on the forking worker's stack.
struct StackJob<'a, F, R> {
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<thread::Result<R>>>,
    done: AtomicBool,
    forker: &'a Thread,
    origin: Origin,
}

impl<'a, F, R> StackJob<'a, F, R>
where
    F: FnOnce(&TaskContext<'_>) -> R + Send,
    R: Send,
{
    fn as_job_ref(&self) -> JobRef {
        // SAFETY: `join` keeps the job on its stack until it has run (popped back, or `done`),
        // and `F` and `R` are `Send`.
        unsafe { JobRef::new((self as *const Self).cast(), Self::execute) }
    }

    /// Runs the job on a thief.
    ///
    /// # Safety
    /// `data` points at a live `StackJob<F, R>` that has not run (see [`JobRef::run`]).
    unsafe fn execute(data: *const (), worker: &CurrentWorker<'_>) {
        // SAFETY: guaranteed by the caller; the forker does not touch `func` or `result` again
        // until `done` is set, so this thread has them to itself.
        let job = unsafe { &*data.cast::<Self>() };
        let func = unsafe { (*job.func.get()).take() };
        let result = func.map(|func| caught(|| func(&job.origin.context(worker))));
        unsafe { *job.result.get() = result };
        // The forker may return (and free the job) as soon as `done` is set: take what is
        // needed to wake it first.
        let forker = job.forker.clone();
        job.done.store(true, Ordering::Release);
        forker.unpark();
    }
}

/// Runs `a` here and `b` on whichever worker gets to it first; see [`TaskContext::join`].
fn join<A, B, RA, RB>(ctx: &TaskContext<'_>, a: A, b: B) -> (RA, RB)
where
    A: FnOnce(&TaskContext<'_>) -> RA + Send,
    B: FnOnce(&TaskContext<'_>) -> RB + Send,
    RA: Send,
    RB: Send,
{
    let worker = ctx.worker;
    let job = StackJob {
        func: UnsafeCell::new(Some(b)),
        result: UnsafeCell::new(None),
        done: AtomicBool::new(false),
        forker: worker.thread,
        origin: Origin::of(ctx),
    };
    let job_ref = job.as_job_ref();
    worker.local.push(job_ref);
    worker.pool.forked();
    let result_a = caught(|| a(ctx));
    // Everything `a` forked has finished, so `b` is on top of the deque unless it was stolen.
    let result_b = match worker.local.pop() {
        Some(top) if top.is(&job_ref) => {
            // SAFETY: popped back, so no thief has it; `func` is ours again.
            let b = unsafe { (*job.func.get()).take() };
            b.map(|b| caught(|| b(ctx)))
        }
        other => {
            if let Some(other) = other {
                // SAFETY: a job forked by an enclosing join or scope of this worker, still alive
                // because that forker is below us on this very stack.
                unsafe { other.run(worker) };
            }
            help_until(worker, || job.done.load(Ordering::Acquire));
            // SAFETY: `done` is set (Acquire): the thief has written the result and let go.
            unsafe { (*job.result.get()).take() }
        }
    };
    let result_b = result_b.expect("a forked job runs exactly once");
    match (result_a, result_b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(panic), other) => {
            if let Err(second) = other {
                drop_payload(second);
            }
            resume_unwind(panic)
        }
        (Ok(_), Err(panic)) => resume_unwind(panic),
    }
}

const FIRST_NAP: Duration = Duration::from_micros(50);
const LONGEST_NAP: Duration = Duration::from_millis(1);

/// Runs forked jobs (own deque first, then siblings') until `done`, parking when there are none.
fn help_until(worker: &CurrentWorker<'_>, done: impl Fn() -> bool) {
    let backoff = Backoff::new();
    let mut nap = FIRST_NAP;
    while !done() {
        let found = worker
            .local
            .pop()
            .or_else(|| worker.pool.steal_forked(worker.index));
        if let Some(job) = found {
            // SAFETY: every job in a deque is alive until it has run: its forker is waiting
            // for it (this protocol), and it was handed to this thread only.
            unsafe { job.run(worker) };
            backoff.reset();
            nap = FIRST_NAP;
        } else if !backoff.is_completed() {
            backoff.snooze();
        } else {
            thread::park_timeout(nap);
            nap = (nap * 2).min(LONGEST_NAP);
        }
    }
}

/// State shared by a scope and the jobs spawned in it.
struct ScopeState<'a> {
    pending: AtomicUsize,
    /// The first panic of a spawned job, resumed by the scope.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    forker: &'a Thread,
    origin: Origin,
}

impl ScopeState<'_> {
    /// One spawned job is over.
    ///
    /// # Safety
    /// `this` points at a live scope state. The scope may return, and free it, as soon as
    /// `pending` reaches zero: so this takes a raw pointer rather than `&self` (a reference
    /// argument must stay valid until the function returns) and touches nothing after the
    /// decrement.
    unsafe fn job_done(this: *const Self) {
        // SAFETY: the state is alive until the decrement below.
        let (forker, pending) = unsafe { ((*this).forker.clone(), &(*this).pending) };
        if pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            forker.unpark();
        }
    }
}

/// Spawns jobs that may borrow anything that outlives the scope; see [`TaskContext::scope`].
///
/// Not `Sync`: jobs are spawned from the task that opened the scope (a job forks further with
/// its own context's `join` or `scope`).
pub struct Scope<'scope> {
    state: ScopeState<'scope>,
    worker: &'scope CurrentWorker<'scope>,
    /// Invariant in `'scope`: otherwise a job could borrow something that dies inside the
    /// scope's body, before the scope waits for it.
    _invariant: PhantomData<fn(&'scope ()) -> &'scope ()>,
    _not_sync: PhantomData<*const ()>,
}

/// A spawned job, boxed because a scope spawns any number of them.
struct HeapJob<'scope, F> {
    func: F,
    scope: *const ScopeState<'scope>,
}

impl<'scope, F> HeapJob<'scope, F>
where
    F: FnOnce(&TaskContext<'_>) + Send + 'scope,
{
    /// # Safety
    /// `data` comes from `Box::into_raw` of this type in [`Scope::spawn`], runs once, and its
    /// scope is alive (the scope waits for `pending` to reach zero).
    unsafe fn execute(data: *const (), worker: &CurrentWorker<'_>) {
        // SAFETY: see above.
        let job = unsafe { Box::from_raw(data.cast::<Self>().cast_mut()) };
        let state = job.scope;
        let scope = unsafe { &*state };
        let func = job.func;
        if let Err(panic) = caught(|| func(&scope.origin.context(worker))) {
            let mut first = scope.panic.lock().unwrap_or_else(|e| e.into_inner());
            match *first {
                None => *first = Some(panic),
                Some(_) => drop_payload(panic),
            }
        }
        // SAFETY: the scope waits for this call; `scope` is not used after it.
        unsafe { ScopeState::job_done(state) };
    }
}

impl<'scope> Scope<'scope> {
    /// Queues `job` on this worker's deque, where an idle worker may steal it. It runs under
    /// the priority and time limit of the task that opened the scope.
    pub fn spawn<F>(&self, job: F)
    where
        F: FnOnce(&TaskContext<'_>) + Send + 'scope,
    {
        self.state.pending.fetch_add(1, Ordering::Relaxed);
        let job = Box::new(HeapJob {
            func: job,
            scope: &self.state,
        });
        // SAFETY: the box is freed by `execute`, which runs once; the scope waits for it, and
        // `F` is `Send`.
        let job_ref = unsafe {
            JobRef::new(
                Box::into_raw(job).cast_const().cast(),
                HeapJob::<'scope, F>::execute,
            )
        };
        self.worker.local.push(job_ref);
        self.worker.pool.forked();
    }
}

/// Runs `body` with a scope, then helps until every job it spawned has finished.
fn scope<'a, R>(ctx: &'a TaskContext<'a>, body: impl FnOnce(&Scope<'a>) -> R) -> R {
    let scope = Scope {
        state: ScopeState {
            pending: AtomicUsize::new(0),
            panic: Mutex::new(None),
            forker: ctx.worker.thread,
            origin: Origin::of(ctx),
        },
        worker: ctx.worker,
        _invariant: PhantomData,
        _not_sync: PhantomData,
    };
    let result = caught(|| body(&scope));
    help_until(ctx.worker, || {
        scope.state.pending.load(Ordering::Acquire) == 0
    });
    let panic = scope
        .state
        .panic
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match (result, panic) {
        (Ok(result), None) => result,
        (Err(panic), job_panic) => {
            if let Some(second) = job_panic {
                drop_payload(second);
            }
            resume_unwind(panic)
        }
        (Ok(_), Some(panic)) => resume_unwind(panic),
    }
}
