//! Decoding a submission batch (`lib/wire/submit.ts` encodes it) into pool jobs.
//!
//! Task `i` of a batch has id `ids[i]` and `meta[i]` = priority level (bits 0-1) | task kind
//! (a [`TaskKind`], from bit [`META_KIND_SHIFT`]) | [`META_TIMED`] | kernel index <<
//! [`META_KERNEL_SHIFT`]. Its numbers come in order from the batch's `numbers`: first the
//! run-time limit (ms) of a timed task, then the call count of a chunk, then the kernel
//! arguments, whose non-numeric ones come from `objects` (see [`BatchArgs`]). A worker task
//! is laid out as `worker_job` reads it.
use std::time::Duration;

use ferris_kernels::abi::RawArg;
use ferris_kernels::Kernel;
use ferris_pool::{Job, Priority};
use napi::{Error, Result, Status};

use crate::kernels::kernel;
use crate::wire::args::{BatchArgs, OwnedArg};
use crate::wire::codes::{
    TaskKind, META_KERNEL_SHIFT, META_KIND_SHIFT, META_TIMED, WORKER_ARGS_ON_PORT, WORKER_NUMBERS,
};
use crate::wire::events::Completion;
use crate::workers::{WorkerArgs, WorkerJob};

/// One decoded submission.
pub(crate) struct Submission {
    pub priority: Priority,
    pub job: Job<Completion>,
    pub time_limit: Option<Duration>,
}

fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

fn priority(meta: u32) -> Result<Priority> {
    let level = meta & ((1 << META_KIND_SHIFT) - 1);
    Priority::ALL
        .get(level as usize)
        .copied()
        .ok_or_else(|| invalid(format!("unknown priority {level}")))
}

fn task_kind(meta: u32) -> Result<TaskKind> {
    match (meta >> META_KIND_SHIFT) & 3 {
        kind if kind == TaskKind::External as u32 => Ok(TaskKind::External),
        kind if kind == TaskKind::Kernel as u32 => Ok(TaskKind::Kernel),
        kind if kind == TaskKind::Chunk as u32 => Ok(TaskKind::Chunk),
        kind if kind == TaskKind::Worker as u32 => Ok(TaskKind::Worker),
        other => Err(invalid(format!("unknown task kind {other}"))),
    }
}

/// Decodes task `id`, described by `meta`, taking its numbers and objects from `args`.
pub(crate) fn decode(id: u64, meta: u32, args: &mut BatchArgs<'_>) -> Result<Submission> {
    let priority = priority(meta)?;
    let kind = task_kind(meta)?;
    let external = |job| Submission {
        priority,
        job,
        time_limit: None,
    };
    match kind {
        TaskKind::External => return Ok(external(Job::external())),
        TaskKind::Worker => return Ok(external(Job::External(Box::new(worker_job(id, args)?)))),
        TaskKind::Kernel | TaskKind::Chunk => {}
    }
    let time_limit = if meta & META_TIMED != 0 {
        args.time_limit_ms()?
    } else {
        None
    };
    let kernel = kernel(meta >> META_KERNEL_SHIFT)?;
    let chunk = matches!(kind, TaskKind::Chunk);
    let calls = if chunk { args.count()? } else { 1 };
    // Reserve for the common case only: `calls` comes from JavaScript.
    let mut owned = Vec::with_capacity(calls.saturating_mul(kernel.params.len()).min(1 << 16));
    for _ in 0..calls {
        args.read_call(kernel, &mut owned)?;
    }
    Ok(Submission {
        priority,
        job: kernel_job(kernel, owned, calls, chunk),
        time_limit,
    })
}

/// A worker task: its function's id, its flags (`WORKER_*`), then its arguments: numbers
/// after their count, serialized bytes, or nothing (they come by `postMessage`).
fn worker_job(id: u64, args: &mut BatchArgs<'_>) -> Result<WorkerJob> {
    let function = args.count()? as u32;
    let flags = args.count()? as u32;
    let args = if flags & WORKER_NUMBERS != 0 {
        let n = args.count()?;
        WorkerArgs::Numbers(args.take_numbers(n)?)
    } else if flags & WORKER_ARGS_ON_PORT != 0 {
        WorkerArgs::OnPort
    } else {
        WorkerArgs::Bytes(args.bytes()?)
    };
    Ok(WorkerJob {
        id,
        function,
        flags,
        args,
    })
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
        let mut borrowed: Vec<RawArg> = Vec::with_capacity(arity);
        let result = (0..calls)
            .map(|call| {
                borrowed.clear();
                borrowed.extend(args[call * arity..][..arity].iter().map(OwnedArg::raw));
                kernel.call(&borrowed, ctx)
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
