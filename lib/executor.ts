/** `Executor`: submission, the event dispatcher, JS task running, readiness, cancellation and shutdown. */
import { EventEmitter } from 'node:events'

import {
  EventKind,
  type DispatchPayload,
  KERNEL_SHIFT,
  NativeExecutor,
  Refused,
  TIMED,
  TaskKind,
  cpuUsage,
  memoryUsage,
  type NativeStats,
} from './binding.js'
import {
  CancelledError,
  ExecutorShutdownError,
  KernelError,
  KernelPanicError,
  QueueFullError,
  TimeoutError,
} from './errors.js'
import { Future, checkTimeout, type Canceller } from './future.js'
import { Imap } from './imap.js'
import { checkKernelArgs, checkKernelItem, isKernel, type Kernel, type KernelItem } from './kernels.js'
import { mapAll, type ImapOptions, type MapHost, type MapOptions } from './mapping.js'
import { READY_OPTIONS, SHUTDOWN_OPTIONS, SUBMIT_OPTIONS, checkOptions, resolveOptions, type ExecutorOptions } from './options.js'
import { priorityLevel, type TaskPriority } from './scheduling.js'
import { buildStats, type Counts, type ExecutorStats } from './stats.js'
import { Stop } from './stop.js'
import { after, type Timer } from './timers.js'
import { asCompleted, waitFor, type CompletedFuture, type WaitForOptions, type WaitResult } from './waiting.js'

/**
 * Options of one submission.
 *
 * ```ts
 * const controller = new AbortController()
 * const future = executor.submit(kernels.spin, [1e9], { priority: TaskPriority.HIGH, signal: controller.signal, timeout: 1_000 })
 * ```
 */
export interface SubmitOptions {
  /** Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority
  /** Aborting cancels the task if it has not started; an already-aborted signal refuses the submission. */
  signal?: AbortSignal
  /**
   * Most milliseconds the task may run, counted from its start (time spent queued does not
   * count). Then its future rejects with `TimeoutError` and its slot is freed. A kernel is
   * asked to stop through its cancellation flag (the built-in kernels poll it) and its future
   * rejects when it does; a JS function cannot be stopped: its eventual result is ignored.
   */
  timeout?: number
}

/**
 * Options of `executor.ready()`.
 *
 * ```ts
 * await executor.ready({ timeout: 1_000 })
 * ```
 */
export interface ReadyOptions {
  /** Aborting rejects the wait with `CancelledError` (`cause`: the abort reason). */
  signal?: AbortSignal
  /** Milliseconds to wait before rejecting with `TimeoutError`. */
  timeout?: number
}

/**
 * The events of an `Executor`, with their listener arguments (Node `EventEmitter`
 * conventions). Listeners run in a microtask after the change, never inside the executor's
 * own bookkeeping; a listener that throws is an uncaught exception, as with any emitter.
 *
 * ```ts
 * executor.on('drain', () => resumeProducer())
 * executor.once('idle', () => console.log('all done'))
 * ```
 */
export interface ExecutorEvents {
  /**
   * The queue has room again after it was found full: a submission was refused with
   * `QueueFullError`, or `ready()`, `map` or `imap` had to wait for room. Like a stream's
   * `'drain'` after `write()` returned false. Not emitted after `shutdown`.
   */
  drain: []
  /** Nothing is queued or running any more: every accepted task has settled. */
  idle: []
}

/**
 * Options of `executor.shutdown()`.
 *
 * ```ts
 * await executor.shutdown({ cancelPending: true }) // drop what has not started, wait for the rest
 * ```
 */
export interface ShutdownOptions {
  /** Resolve only once every running (and, unless cancelled, queued) task is done. Default true. */
  wait?: boolean
  /** Cancel the tasks that have not started. Default false. */
  cancelPending?: boolean
}

type AnyFunction = (...args: never[]) => unknown

/**
 * A submitted task: the future its caller holds, plus what the executor needs to run and
 * settle it (one object per task instead of two keeps the garbage collector out of the way).
 */
class Task extends Future<unknown> {
  constructor(
    canceller: Canceller,
    id: number,
    /** The function of a JS task; undefined for a kernel. */
    readonly fn: AnyFunction | undefined,
    /** Arguments of the function or kernel call; the items of a kernel chunk. */
    readonly args: readonly unknown[],
    readonly kernel: Kernel | undefined,
    /** Priority level, task kind, TIMED flag and kernel index, as `submitBatch` takes them. */
    readonly meta: number,
    /** Run-time limit in ms. */
    readonly timeout: number | undefined,
  ) {
    super(canceller, id)
  }

  /** Fires the run-time limit of a running JS task. */
  timer: Timer | undefined = undefined

  /** Still in the executor's submission batch, not yet in the pool. */
  batched = true
  /** Removes the abort listener, if any. */
  unlisten: (() => void) | undefined = undefined
}

/** Submissions per native call at most: bounds the delay before the first ones can start. */
const MAX_BATCH = 1024

/**
 * How long the JS thread keeps running JS tasks it took itself before it lets the event loop
 * turn (I/O, timers, native completions). Long enough to amortise the turn, short enough not
 * to be noticed.
 */
const SLICE_MS = 4

/**
 * How often a waiting `ready()` looks again, besides at each settle: for the resident set size
 * to fall below `memoryLimit`, and for room that appeared just after a settle was looked at (a
 * worker takes its next task a moment after reporting the last one).
 */
const READY_POLL_MS = 25

/**
 * How long a reading of the resident set size is reused by `ready()` checks: a reading costs
 * about 35 us (sysinfo), and `map` checks before each chunk.
 */
const MEMORY_READING_MS = 10

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function'
  } catch {
    return true // a throwing `then` getter: let Promise.resolve report it as a rejection
  }
}

/**
 * Appends one kernel call's arguments: numbers to `numbers`, anything else to `objects`. A
 * typed array is preceded in `numbers` by 1 if its buffer is shared (read in place) or 0
 * (copied at submission); a left-out optional argument is NaN (see src/kernel_args.rs).
 */
function splitArgs(kernel: Kernel, args: readonly unknown[], numbers: number[], objects: unknown[]): void {
  for (let i = 0; i < kernel.params.length; i++) splitArg(kernel, i, args[i], numbers, objects)
}

/** Appends argument `i` of a kernel call (see `splitArgs`). */
function splitArg(kernel: Kernel, i: number, arg: unknown, numbers: number[], objects: unknown[]): void {
  if (kernel.numeric[i]) {
    numbers.push(arg === undefined ? NaN : (arg as number))
    return
  }
  if (ArrayBuffer.isView(arg)) numbers.push(arg.buffer instanceof SharedArrayBuffer ? 1 : 0)
  objects.push(arg)
}

/**
 * A typed array the pool must copy: over an ordinary buffer, which could be written to,
 * transferred or detached once `submit` has returned. (One over a SharedArrayBuffer is read in
 * place and cannot be detached.)
 */
function isPrivateArray(arg: unknown): boolean {
  return ArrayBuffer.isView(arg) && !(arg.buffer instanceof SharedArrayBuffer)
}

/** Whether a `map` item of `kernel` holds a typed array the pool must copy. */
function itemHasPrivateArray(kernel: Kernel, item: unknown): boolean {
  return kernel.params.length === 1 ? isPrivateArray(item) : (item as unknown[]).some(isPrivateArray)
}

/** Runs `fn` over `items` in order, synchronously while results are plain values. */
function runChunk(fn: (item: unknown) => unknown, items: readonly unknown[]): unknown[] | Promise<unknown[]> {
  const out = new Array<unknown>(items.length)
  for (let i = 0; i < items.length; i++) {
    const result = fn(items[i])
    if (isThenable(result)) return finishChunk(fn, items, out, i, result)
    out[i] = result
  }
  return out
}

async function finishChunk(
  fn: (item: unknown) => unknown,
  items: readonly unknown[],
  out: unknown[],
  from: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  out[from] = await pending
  for (let i = from + 1; i < items.length; i++) out[i] = await fn(items[i])
  return out
}

/**
 * Runs JavaScript functions and native kernels on a Rust thread pool, with priorities, a
 * bounded queue, cancellation and statistics, in the shape of Python's
 * `concurrent.futures.Executor`.
 *
 * JS functions run on the JS thread (their concurrency is bounded by `maxWorkers`, and
 * priorities order them); native kernels run on the pool's threads, in parallel.
 *
 * ```ts
 * await using executor = new Executor({ maxWorkers: 4 })
 * const a = executor.submit(kernels.spin, [1_000_000], { priority: TaskPriority.HIGH })
 * const b = executor.submit(async (url: string) => (await fetch(url)).status, ['https://example.com'])
 * console.log(await a, await b)
 * ```
 */
export class Executor extends EventEmitter<ExecutorEvents> {
  readonly #native: NativeExecutor
  readonly #options: ReturnType<typeof resolveOptions>
  readonly #tasks = new Map<number, Task>()
  readonly #counts: Counts = { submitted: 0, completed: 0, failed: 0, cancelled: 0, rejected: 0 }
  readonly #canceller: Canceller
  #nextId = 1
  #pending = 0
  #closed = false
  #disposed = false
  #lastStats: NativeStats | undefined
  /** Run times (ms) of the `#finished` JS tasks finished since the last report to the pool
   * (at most one per slot, so `maxWorkers` entries suffice). */
  readonly #runTimes: Float64Array
  #finished = 0
  /** JS tasks handed to us but cancelled before they ran, not yet reported. */
  #abandoned = 0
  /** A microtask will report finished JS tasks. */
  #flushQueued = false
  /** The JS thread used up a time slice running JS tasks and lets the event loop turn. */
  #yielding = false
  /** Accepted submissions in `#batch` not cancelled since. */
  #batchLive = 0
  /** Start times (`performance.now()`) of the JS tasks whose promise is pending, oldest first (a Map keeps insertion order). */
  readonly #runningJs = new Map<number, number>()
  /** Accepted submissions not yet handed to the pool. */
  #batch: Task[] = []
  /** The pool's queued-task count, live (see `NativeExecutor.queueGauge`). */
  readonly #queued: Int32Array
  #idleWaiters: Array<() => void> = []
  /** Resolved (and cleared) once the executor is ready or shut down; exists while someone waits. */
  #readyWait: { promise: Promise<void>; resolve: () => void } | undefined
  /** Looks again every READY_POLL_MS while someone waits. */
  #readyPoll: ReturnType<typeof setInterval> | undefined
  /** The queue was found full, and 'drain' was not emitted since. */
  #needsDrain = false
  /** `#needsDrain || #readyWait !== undefined`: each settle must look at the queue's room. */
  #watchRoom = false
  /** The last resident set size read, and when (performance.now()). */
  #rss = 0
  #rssAt = -Infinity

  /**
   * Starts the pool's threads. Throws `TypeError`/`RangeError` for bad options.
   *
   * ```ts
   * const executor = new Executor({ maxWorkers: 4, queueCapacity: 1_000 })
   * ```
   */
  constructor(options?: ExecutorOptions) {
    super()
    this.#options = resolveOptions(options)
    const { maxWorkers, queueCapacity, threadStackSize, scheduler, agingMs } = this.#options
    try {
      this.#native = new NativeExecutor(
        { maxWorkers, queueCapacity, threadStackSize, scheduler: scheduler.kind, agingMs },
        (kinds, ids, numbers, payloads) => this.#dispatch(kinds, ids, numbers, payloads),
      )
    } catch (error) {
      throw new RangeError(`cannot start the executor: ${(error as Error).message}`, { cause: error })
    }
    this.#canceller = {
      cancel: (future) => this.#cancel(future),
      started: (future) => {
        const task = this.#tasks.get(future._id)
        return task !== undefined && task.fn === undefined && !task.batched && this.#native.started(task._id)
      },
    }
    try {
      this.#queued = new Int32Array(this.#native.queueGauge())
    } catch (error) {
      this.#native.dispose()
      throw error
    }
    this.#runTimes = new Float64Array(maxWorkers)
    this.#host = {
      maxWorkers,
      queueCapacity,
      submitChunk: (fn, items, level) => this.#submitChunk(fn, items, level),
      isReady: () => this.#isReady(),
      whenReady: () => this.#whenReady(),
    }
  }

  /**
   * Worker threads, and the most tasks running at once.
   *
   * ```ts
   * new Executor({ maxWorkers: 3 }).maxWorkers // 3
   * ```
   */
  get maxWorkers(): number {
    return this.#options.maxWorkers
  }

  /**
   * Most tasks that may wait to start.
   *
   * ```ts
   * new Executor().queueCapacity // 10_000
   * ```
   */
  get queueCapacity(): number {
    return this.#options.queueCapacity
  }

  /**
   * The `memoryLimit` option, in bytes, or `undefined`.
   *
   * ```ts
   * new Executor({ memoryLimit: 512 * 2 ** 20 }).memoryLimit // 536870912
   * ```
   */
  get memoryLimit(): number | undefined {
    return this.#options.memoryLimit
  }

  /**
   * Queues `fn(...args)` (a JS function or a native kernel) and returns its future. Throws
   * `QueueFullError` when the queue is full, `ExecutorShutdownError` after `shutdown`, and
   * `TypeError`/`RangeError` for bad arguments.
   *
   * ```ts
   * const future = executor.submit((a: number, b: number) => a + b, [1, 2])
   * const native = executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])])
   * ```
   */
  submit<A extends unknown[], R>(kernel: Kernel<A, R>, args: NoInfer<Readonly<A>>, options?: SubmitOptions): Future<R>
  submit<R>(fn: () => R, args?: readonly [], options?: SubmitOptions): Future<Awaited<R>>
  submit<A extends unknown[], R>(fn: (...args: A) => R, args: NoInfer<Readonly<A>>, options?: SubmitOptions): Future<Awaited<R>>
  // `args: unknown`: TypeScript finds the overloads' `Readonly<A>` incompatible with any array
  // type here; the array check below is what the implementation relies on.
  submit(fn: AnyFunction | Kernel, args: unknown = [], options: SubmitOptions = {}): Future<unknown> {
    checkOptions('submit', options, SUBMIT_OPTIONS)
    const kernel = isKernel(fn) ? fn : undefined
    if (kernel === undefined && typeof fn !== 'function') throw new TypeError('submit takes a function or a kernel')
    if (!Array.isArray(args)) throw new TypeError('submit: args must be an array')
    if (typeof options !== 'object' || options === null) throw new TypeError('submit: options must be an object')
    const { signal } = options
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('submit: signal must be an AbortSignal')
    let timeout = checkTimeout(options.timeout)
    if (timeout === Infinity) timeout = undefined
    const level = priorityLevel(options.priority)
    if (kernel !== undefined) checkKernelArgs(kernel, args)
    if (signal?.aborted) {
      this.#counts.rejected++
      throw new CancelledError('the signal was already aborted', { cause: signal.reason })
    }
    const future = kernel
      ? this.#enqueue(
          undefined,
          args,
          kernel,
          level | (TaskKind.KERNEL << 2) | (timeout === undefined ? 0 : TIMED) | (kernel.index << KERNEL_SHIFT),
          timeout,
        )
      : this.#enqueue(fn as AnyFunction, args, undefined, level | (TaskKind.JS << 2), timeout)
    // The pool copies ordinary typed arrays when it receives the batch: hand it over now, so
    // that the kernel sees the values as they are at this call, whatever happens to the
    // array afterwards (one native call per such submission; the copy dominates anyway).
    if (kernel?.hasArrays && args.some(isPrivateArray)) this.#flushBatch()
    if (signal !== undefined) this.#listen(future, signal)
    return future
  }

  /** What `map` and `imap` use of this executor. */
  readonly #host: MapHost

  /** One task over a chunk of `map` items. */
  #submitChunk(fn: ((item: never) => unknown) | Kernel, items: unknown[], level: number): Future<unknown[]> | undefined {
    if (!this.#closed && !this.#hasRoom()) return undefined
    if (isKernel(fn)) {
      const kernel = fn
      for (const item of items) checkKernelItem(kernel, item)
      const meta = level | (TaskKind.CHUNK << 2) | (kernel.index << KERNEL_SHIFT)
      const chunk = this.#enqueue(undefined, items, kernel, meta, undefined) as Future<unknown[]>
      // As in `submit`: the items' arrays are copied now.
      if (kernel.hasArrays && items.some((item) => itemHasPrivateArray(kernel, item))) this.#flushBatch()
      return chunk
    }
    const chunk = (): unknown[] | Promise<unknown[]> => runChunk(fn as (item: unknown) => unknown, items)
    return this.#enqueue(chunk, [], undefined, level | (TaskKind.JS << 2), undefined) as Future<unknown[]>
  }

  /**
   * Accepts a task into the submission batch. The queue's room is checked here, against the
   * pool's live queued count (shared memory) plus what is batched, so a full queue is refused
   * synchronously; the batch reaches the pool in one native call at the end of the current
   * microtask (or every MAX_BATCH tasks).
   */
  #enqueue(
    fn: AnyFunction | undefined,
    args: readonly unknown[],
    kernel: Kernel | undefined,
    meta: number,
    timeout: number | undefined,
  ): Task {
    if (this.#closed) {
      this.#counts.rejected++
      throw new ExecutorShutdownError()
    }
    if (!this.#hasRoom()) {
      this.#counts.rejected++
      this.#expectDrain()
      throw new QueueFullError(this.#options.queueCapacity)
    }
    const id = this.#nextId++
    const task = new Task(this.#canceller, id, fn, args, kernel, meta, timeout)
    this.#tasks.set(id, task)
    this.#counts.submitted++
    if (this.#pending++ === 0) this.#native.keepAlive(true)
    this.#batchLive++
    if (this.#batch.push(task) === 1) queueMicrotask(this.#flushBatch)
    else if (this.#batch.length >= MAX_BATCH) this.#flushBatch()
    return task
  }

  /** Room for one more queued task: the pool's live count plus what waits in the batch. */
  #hasRoom(): boolean {
    return Atomics.load(this.#queued, 0) + this.#batchLive < this.#options.queueCapacity
  }

  /** Hands the batched submissions to the pool (the encoding is `submitBatch`'s, src/executor.rs). */
  readonly #flushBatch = (): void => {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    this.#batchLive = 0
    const ids = new Float64Array(batch.length)
    const meta = new Uint32Array(batch.length)
    const numbers: number[] = []
    const objects: unknown[] = []
    let n = 0
    for (const task of batch) {
      if (!task.batched) continue // cancelled while batched
      task.batched = false
      ids[n] = task._id
      meta[n++] = task.meta
      const kernel = task.kernel
      if (kernel === undefined) continue
      if (task.meta & TIMED) numbers.push(task.timeout!)
      if (((task.meta >> 2) & 3) === TaskKind.CHUNK) {
        numbers.push(task.args.length)
        const single = kernel.params.length === 1
        for (const item of task.args) {
          if (single) splitArg(kernel, 0, item, numbers, objects)
          else splitArgs(kernel, item as unknown[], numbers, objects)
        }
      } else {
        splitArgs(kernel, task.args, numbers, objects)
      }
    }
    if (n === 0) return
    let refusals: ReturnType<NativeExecutor['submitBatch']>
    try {
      refusals = this.#native.submitBatch(ids.subarray(0, n), meta.subarray(0, n), new Float64Array(numbers), objects)
    } catch (error) {
      // Only a bug can get here (the batch is built from checked input): fail the batch's
      // tasks rather than leave their futures pending or throw into a microtask.
      for (const task of batch) if (this.#tasks.get(task._id) === task) this.#settle(task._id, task, 'failed', error)
      return
    }
    for (const { id, reason, message } of refusals) {
      const task = this.#tasks.get(id)
      if (task === undefined) continue
      // The checks in #enqueue and submit keep refusals from getting here, unless a caller
      // bypasses them (or a bug).
      if (reason !== Refused.INVALID) {
        this.#counts.submitted--
        this.#counts.rejected++
      }
      const error =
        reason === Refused.QUEUE_FULL
          ? new QueueFullError(this.#options.queueCapacity)
          : reason === Refused.CLOSED
            ? new ExecutorShutdownError()
            : new TypeError(message ?? 'invalid kernel arguments')
      this.#settle(id, task, reason === Refused.INVALID ? 'failed' : 'refused', error)
    }
  }

  #listen(task: Task, signal: AbortSignal): void {
    const onAbort = (): void => {
      this.#cancel(task, new CancelledError('the task was aborted', { cause: signal.reason }))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    task.unlisten = () => signal.removeEventListener('abort', onAbort)
  }

  /** Cancels a task that has not started; true if it is cancelled. */
  #cancel(future: Future<unknown>, error = new CancelledError()): boolean {
    const id = future._id
    const task = this.#tasks.get(id)
    if (task !== future || future.running()) return future.cancelled()
    // A batched task never reaches the pool. A JS task that the pool already handed to us
    // but that was not called yet is cancelled here: its run order finds no task and gives
    // the slot back.
    const cancelled = task.batched || this.#native.cancel(id) || task.fn !== undefined
    if (task.batched) this.#batchLive--
    task.batched = false
    if (cancelled) this.#settle(id, task, 'cancelled', error)
    return cancelled
  }

  /** Settles a task's future and does the bookkeeping every outcome shares. */
  #settle(id: number, task: Task, outcome: 'completed' | 'failed' | 'cancelled' | 'refused', value: unknown): void {
    this.#tasks.delete(id)
    task.unlisten?.()
    if (outcome !== 'refused') this.#counts[outcome]++
    if (outcome === 'completed') task._resolve(value)
    else if (outcome === 'cancelled') task._cancel(value as CancelledError)
    else task._reject(value)
    if (this.#watchRoom) this.#checkReady()
    if (--this.#pending === 0) this.#becameIdle()
  }

  #becameIdle(): void {
    if (this.#disposed) return
    this.#native.keepAlive(false)
    if (this.#closed) this.#dispose()
    for (const wake of this.#idleWaiters.splice(0)) wake()
    if (this.listenerCount('idle') > 0) queueMicrotask(this.#emitIdle)
  }

  readonly #emitIdle = (): void => {
    if (this.#pending === 0) this.emit('idle')
  }

  readonly #emitDrain = (): void => {
    if (this.#closed) return
    if (this.#hasRoom()) this.emit('drain')
    else this.#expectDrain() // full again already: wait for the next room
  }

  /** The queue was found full: emit 'drain' once it has room. */
  #expectDrain(): void {
    this.#needsDrain = true
    this.#watchRoom = true
  }

  /** Room in the queue and, with `memoryLimit`, the resident set size below it. */
  #isReady(): boolean {
    if (!this.#hasRoom()) {
      this.#expectDrain()
      return false
    }
    const limit = this.#options.memoryLimit
    if (limit === undefined) return true
    const now = performance.now()
    if (now - this.#rssAt >= MEMORY_READING_MS) {
      this.#rss = memoryUsage()
      this.#rssAt = now
    }
    return this.#rss < limit
  }

  /**
   * Resolves once the executor may be ready, or is shut down; callers check `#isReady()`
   * again. Room is looked for at each settle (a task leaves the queue when a worker takes
   * it, which is when the worker has finished another one) and every READY_POLL_MS, only
   * while someone waits.
   */
  #whenReady(): Promise<void> {
    if (this.#closed || this.#isReady()) return Promise.resolve()
    if (this.#readyWait === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.#readyWait = { promise, resolve }
      this.#watchRoom = true
      this.#readyPoll = setInterval(() => this.#checkReady(), READY_POLL_MS)
    }
    return this.#readyWait.promise
  }

  /** Wakes the `ready()` waiters and emits 'drain' when their conditions hold. */
  #checkReady(): void {
    if (this.#needsDrain && (this.#closed || this.#hasRoom())) {
      this.#needsDrain = false
      if (!this.#closed) queueMicrotask(this.#emitDrain)
    }
    const wait = this.#readyWait
    if (wait !== undefined && (this.#closed || this.#isReady())) {
      this.#readyWait = undefined
      clearInterval(this.#readyPoll)
      this.#readyPoll = undefined
      wait.resolve()
    }
    this.#watchRoom = this.#needsDrain || this.#readyWait !== undefined
  }

  /**
   * Resolves when the executor can take more work without waiting: its queue has room and,
   * with the `memoryLimit` option, this process's resident set size is below the limit.
   * Rejects with `ExecutorShutdownError` once the executor is shut down, `CancelledError`
   * when `signal` aborts, `TimeoutError` after `timeout` ms. `map` and `imap` wait on the
   * same condition before each chunk; a loop that submits can too:
   *
   * ```ts
   * for await (const record of source) {
   *   await executor.ready()
   *   executor.submit(processRecord, [record])
   * }
   * ```
   */
  async ready(options: ReadyOptions = {}): Promise<void> {
    checkOptions('ready', options, READY_OPTIONS)
    if (typeof options !== 'object' || options === null) throw new TypeError('ready options must be an object')
    const { signal } = options
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('ready: signal must be an AbortSignal')
    const timeout = checkTimeout(options.timeout)
    if (signal?.aborted) throw new CancelledError('ready() was aborted', { cause: signal.reason })
    if (this.#closed) throw new ExecutorShutdownError()
    if (this.#isReady()) return
    const stop = new Stop('ready()', { timeout, signal })
    try {
      for (;;) {
        await Promise.race([this.#whenReady(), stop.next()])
        if (stop.error !== undefined) throw stop.error.reason
        if (this.#closed) throw new ExecutorShutdownError()
        if (this.#isReady()) return
      }
    } finally {
      stop.dispose()
    }
  }

  /** Receives one batch of pool events (see src/events.rs for the encoding). */
  #dispatch(kinds: Uint8Array, ids: Float64Array, numbers: Float64Array, payloads: DispatchPayload[]): void {
    let p = 0
    for (let i = 0; i < kinds.length; i++) {
      const id = ids[i]!
      const kind = kinds[i]
      if (kind === EventKind.RUN_JS) {
        this.#runJs(id)
        continue
      }
      const task = this.#tasks.get(id)
      const carriesPayload =
        kind === EventKind.VALUES || kind === EventKind.ARRAY || kind === EventKind.FAILED || kind === EventKind.PANICKED
      const payload = carriesPayload ? payloads[p++] : undefined
      if (task === undefined) continue
      const name = task.kernel?.name ?? 'kernel'
      switch (kind) {
        case EventKind.NUMBER:
          this.#settle(id, task, 'completed', numbers[i])
          break
        case EventKind.NULL:
          this.#settle(id, task, 'completed', null)
          break
        case EventKind.VALUES:
        case EventKind.ARRAY:
          this.#settle(id, task, 'completed', payload)
          break
        case EventKind.FAILED:
          this.#settle(id, task, 'failed', new KernelError(name, payload as string))
          break
        case EventKind.PANICKED:
          this.#settle(id, task, 'failed', new KernelPanicError(name, payload as string))
          break
        case EventKind.TIMED_OUT:
          this.#settle(id, task, 'failed', new TimeoutError(`${name} ran longer than its ${task.timeout} ms limit`))
          break
      }
    }
    this.#flushJs()
  }

  /** Calls a JS task's function; its slot is returned (in a batch) once its result settles. */
  #runJs(id: number): void {
    const task = this.#tasks.get(id)
    if (task === undefined || task.fn === undefined) {
      this.#abandoned++ // cancelled after the pool handed it out
      return
    }
    task._markRunning()
    const start = performance.now()
    let result: unknown
    try {
      result = (task.fn as (...args: unknown[]) => unknown)(...task.args)
    } catch (error) {
      this.#runTimes[this.#finished++] = performance.now() - start
      this.#settle(id, task, 'failed', error)
      return
    }
    if (!isThenable(result)) {
      this.#runTimes[this.#finished++] = performance.now() - start
      this.#settle(id, task, 'completed', result)
      return
    }
    this.#runningJs.set(id, start)
    if (task.timeout !== undefined) {
      const limit = task.timeout
      task.timer = after(limit, () => {
        const error = new TimeoutError(`the task ran longer than its ${limit} ms limit`)
        this.#finishAsync(id, task, start, 'failed', error)
      })
    }
    Promise.resolve(result).then(
      (value) => this.#finishAsync(id, task, start, 'completed', value),
      (error: unknown) => this.#finishAsync(id, task, start, 'failed', error),
    )
  }

  /** An async JS task settled, or ran out of time: whichever comes first counts, once. */
  #finishAsync(id: number, task: Task, start: number, outcome: 'completed' | 'failed', value: unknown): void {
    if (task.done()) return
    task.timer?.clear()
    this.#runningJs.delete(id)
    this.#runTimes[this.#finished++] = performance.now() - start
    // Queued before the future settles, so the slot and run time reach the pool before any
    // code awaiting this future runs (and reads the statistics, say).
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(() => {
        this.#flushQueued = false
        this.#flushJs()
      })
    }
    this.#settle(id, task, outcome, value)
  }

  /**
   * Returns the slots of finished JS tasks to the pool and runs the JS tasks it hands back in
   * exchange, until none finish synchronously or the time slice is used up; then the rest
   * waits for the next turn of the event loop (while it waits, a call does one round only).
   */
  #flushJs(): void {
    if (this.#disposed) return
    const deadline = performance.now() + SLICE_MS
    while (this.#finished > 0 || this.#abandoned > 0) {
      const taken = this.#native.finishJs(this.#runTimes, this.#finished, this.#abandoned)
      this.#finished = 0
      this.#abandoned = 0
      for (const id of taken) this.#runJs(id)
      if (this.#yielding) return
      if (performance.now() > deadline) {
        this.#yielding = true
        setImmediate(() => {
          this.#yielding = false
          this.#flushJs()
        })
        return
      }
    }
  }

  /**
   * Runs `fn` over every item (one argument each; for a kernel with several parameters, each
   * item is an array of them) and resolves with the results in input order. Items are fed as
   * the executor is `ready()` (room in the queue, memory below `memoryLimit`), so any number
   * of them can be mapped. Rejects with the first error. `onProgress(done, total)` reports
   * progress at most every 100 ms and once at the end (see `MapOptions`).
   *
   * ```ts
   * const squares = await executor.map((n: number) => n * n, [1, 2, 3]) // [1, 4, 9]
   * const sums = await executor.map(kernels.sumOfSquares, [a, b]) // one Float64Array per item
   * ```
   */
  map<A extends unknown[], R>(kernel: Kernel<A, R>, iterable: Iterable<NoInfer<KernelItem<A>>>, options?: MapOptions): Promise<R[]>
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>, options?: MapOptions): Promise<Awaited<R>[]>
  map(fn: ((item: never) => unknown) | Kernel, iterable: Iterable<unknown>, options?: MapOptions): Promise<unknown[]> {
    return mapAll(this.#host, fn, iterable, options)
  }

  /**
   * Like `map`, but an async iterator of the results: in input order, or as they complete with
   * `ordered: false`. It pulls from `source` (sync or async) only as results are consumed and
   * room frees (`concurrency` tasks outstanding), so memory stays bounded for endless sources,
   * and it applies backpressure inside `stream.pipeline(Readable.from(executor.imap(...)), ...)`.
   * Leaving a `for await` early cancels the tasks not started and closes the source.
   *
   * ```ts
   * for await (const status of executor.imap(async (url: string) => (await fetch(url)).status, urls, { concurrency: 4 })) {
   *   console.log(status)
   * }
   * ```
   */
  imap<A extends unknown[], R>(
    kernel: Kernel<A, R>,
    source: Iterable<NoInfer<KernelItem<A>>> | AsyncIterable<NoInfer<KernelItem<A>>>,
    options?: ImapOptions,
  ): AsyncIterableIterator<R>
  imap<T, R>(fn: (item: T) => R, source: Iterable<T> | AsyncIterable<T>, options?: ImapOptions): AsyncIterableIterator<Awaited<R>>
  imap(
    fn: ((item: never) => unknown) | Kernel,
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ImapOptions,
  ): AsyncIterableIterator<unknown> {
    return new Imap(this.#host, fn, source, options)
  }

  /**
   * Waits for futures like `concurrent.futures.wait`: resolves with the done and not-done ones.
   *
   * ```ts
   * const { done, notDone } = await executor.wait(futures, { returnWhen: 'FIRST_COMPLETED' })
   * ```
   */
  wait<T>(futures: Iterable<Future<T>>, options?: WaitForOptions): Promise<WaitResult<T>> {
    return waitFor(futures, options)
  }

  /**
   * Yields each future as it completes (finished ones first); throws `TimeoutError` once
   * `timeout` ms have passed. Each element is the `Future` itself, typed as a
   * `CompletedFuture` (a future without `then`) so that `for await` does not type it as the
   * result.
   *
   * ```ts
   * for await (const future of executor.asCompleted(futures, { timeout: 5_000 })) {
   *   console.log(await future.result())
   * }
   * ```
   */
  asCompleted<T>(futures: Iterable<Future<T>>, options?: { timeout?: number }): AsyncIterableIterator<CompletedFuture<T>> {
    return asCompleted(futures, options)
  }

  /**
   * Stops accepting work (`ExecutorShutdownError`). With `wait` (default), resolves once the
   * running and queued tasks are done; `cancelPending` cancels the queued ones first.
   *
   * ```ts
   * await executor.shutdown() // or: await executor.shutdown({ cancelPending: true })
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    checkOptions('shutdown', options, SHUTDOWN_OPTIONS)
    if (typeof options !== 'object' || options === null) throw new TypeError('shutdown options must be an object')
    const { wait = true, cancelPending = false } = options
    if (!this.#closed) {
      this.#flushBatch() // accepted submissions still run
      this.#closed = true
      this.#native.close()
      if (this.#watchRoom) this.#checkReady() // ready() waiters learn of the shutdown
    }
    if (cancelPending) {
      for (const task of [...this.#tasks.values()]) task.cancel()
    }
    if (this.#pending === 0) this.#dispose()
    else if (wait) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  /**
   * Shuts down and waits, for `await using`.
   *
   * ```ts
   * await using executor = new Executor() // shut down at the end of the block
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown()
  }

  /**
   * Shuts down without waiting, for `using`: queued and running tasks still finish.
   *
   * ```ts
   * using executor = new Executor()
   * ```
   */
  [Symbol.dispose](): void {
    void this.shutdown({ wait: false })
  }

  #dispose(): void {
    if (this.#disposed) return
    // Report the last JS tasks' slots and run times first, so the final statistics have them.
    if (this.#finished > 0 || this.#abandoned > 0) this.#native.finishJs(this.#runTimes, this.#finished, this.#abandoned)
    this.#finished = 0
    this.#abandoned = 0
    this.#lastStats = this.#native.stats() ?? undefined
    this.#disposed = true
    this.#native.dispose()
  }

  /**
   * A snapshot of the executor's counters, queue and timings.
   *
   * ```ts
   * const { completedTasks, queuedTasks, runTime } = executor.getStats()
   * ```
   */
  getStats(): ExecutorStats {
    if (!this.#disposed) this.#flushBatch()
    const native = (this.#disposed ? this.#lastStats : this.#native.stats()) ?? this.#lastStats
    if (native === undefined) throw new Error('unreachable: no native statistics')
    let oldestJsStart: number | undefined
    for (const start of this.#runningJs.values()) {
      oldestJsStart = start
      break
    }
    const oldestJsMs = oldestJsStart === undefined ? 0 : performance.now() - oldestJsStart
    return buildStats(native, this.#counts, oldestJsMs)
  }

  /**
   * CPU used by this process since the previous reading, in percent of one core (sysinfo;
   * readings under 200 ms apart repeat the last one; the first reading is 0).
   *
   * ```ts
   * executor.getCpuUsage()
   * await executor.map(kernels.spin, [1e8, 1e8])
   * console.log(`${executor.getCpuUsage().toFixed(0)} % of one core`)
   * ```
   */
  getCpuUsage(): number {
    return cpuUsage()
  }

  /**
   * Resident set size of this process, in bytes.
   *
   * ```ts
   * console.log(`${(executor.getMemoryUsage() / 2 ** 20).toFixed(1)} MiB`)
   * ```
   */
  getMemoryUsage(): number {
    return memoryUsage()
  }
}
