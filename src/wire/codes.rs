//! The codes shared by the binding and the TypeScript layer, declared here only: `#[napi]`
//! exports them (as runtime enums and constants in `native.d.ts`, built with
//! `--no-const-enum`), and `lib/wire/codes.ts` re-exports them to the TypeScript side.
use napi_derive::napi;

/// How the pool runs a task (a batch's `meta`, bits `META_KIND_SHIFT..META_TIMED`).
#[napi]
pub enum TaskKind {
    /// Run outside the pool's threads: the pool hands the task, with its slot, to its owner
    /// (a `RunExternal` event) and gets the slot back through `finishExternal`.
    External = 0,
    /// One call of a kernel on a pool thread.
    Kernel = 1,
    /// Consecutive calls of one kernel (the items of a `map` chunk).
    Chunk = 2,
    /// An external task for the JS worker isolates: the pool hands it, with its slot, to
    /// the first idle worker (`src/workers`), not to the JS thread.
    Worker = 3,
}

/// Worker task flag (worker tasks carry flags as their second number in the batch, after
/// their function's id): the task is a `map` chunk, its function called on each item of its
/// argument list.
#[napi]
pub const WORKER_CHUNK: u32 = 1;

/// Worker task flag: its arguments are numbers, in the batch's `numbers` after their count
/// (otherwise they are `v8.serialize`d bytes, one of the batch's `objects`).
#[napi]
pub const WORKER_NUMBERS: u32 = 1 << 1;

/// Worker task flag: its arguments hold shared memory or buffers to transfer, so they travel
/// by `postMessage` to the worker that takes the task (it asks with a `WorkerNeedsArgs` event).
#[napi]
pub const WORKER_ARGS_ON_PORT: u32 = 1 << 2;

/// Worker task flag: it has a run-time limit, so its start is reported (`WorkerStarted`).
#[napi]
pub const WORKER_TIMED: u32 = 1 << 3;

/// Worker task flag: its caller listens to its `progress()` reports (`onProgress`), which its
/// worker posts on its port. Only the worker reads it.
#[napi]
pub const WORKER_PROGRESS: u32 = 1 << 4;

/// Bits of a batch's `meta` word below the task kind: the priority level (0 high, 1 normal,
/// 2 low).
#[napi]
pub const META_KIND_SHIFT: u32 = 2;

/// `meta` flag: the task has a run-time limit, first among its numbers.
#[napi]
pub const META_TIMED: u32 = 1 << 4;

/// `meta` bits below the kernel index.
#[napi]
pub const META_KERNEL_SHIFT: u32 = 5;

/// Why `submitBatch` refused a task.
#[napi]
pub enum Refused {
    QueueFull = 1,
    Closed = 2,
    /// Its arguments did not fit the kernel (the refusal carries a message).
    Invalid = 3,
}

/// What a pool event reports (the `kinds` array the dispatcher receives; see `events.rs`).
#[napi]
pub enum EventKind {
    /// A kernel returned a number (in `numbers`).
    Number = 0,
    /// A kernel returned null.
    Null = 1,
    /// A chunk of kernel calls returned these values (payload: array of number | null |
    /// typed array).
    Values = 2,
    /// A kernel failed (payload: message).
    Failed = 3,
    /// A kernel panicked (payload: message).
    Panicked = 4,
    /// An external task left the queue and holds a slot: its owner runs it now.
    RunExternal = 5,
    /// A kernel ran past its time limit.
    TimedOut = 6,
    /// A kernel returned a typed array (payload: the array).
    Array = 7,
    /// A worker task returned a value (payload: its `v8.serialize`d bytes).
    WorkerValue = 8,
    /// A worker task threw (payload: the error's record, `v8.serialize`d).
    WorkerThrew = 9,
    /// A worker task's result holds shared memory: it waits on its worker's port (number:
    /// the worker's seat).
    WorkerPosted = 10,
    /// A timed worker task started (number: the seat of the worker running it).
    WorkerStarted = 11,
    /// A worker took a task whose arguments travel by `postMessage` (number: its seat).
    WorkerNeedsArgs = 12,
    /// A worker task (a `map` chunk) returned numbers (payload: a Float64Array).
    WorkerNumbers = 13,
}
