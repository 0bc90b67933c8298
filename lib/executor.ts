/** `Executor`: submission, the event dispatcher, JS task running, cancellation and shutdown. */
import {
  EventKind,
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
import { checkKernelArgs, checkKernelItem, isKernel, type Kernel } from './kernels.js'
import { imapAll, mapAll, type ImapOptions, type MapHost, type MapOptions } from './mapping.js'
import { resolveOptions, type ExecutorOptions } from './options.js'
import { priorityLevel, type TaskPriority } from './scheduling.js'
import { buildStats, type Counts, type ExecutorStats } from './stats.js'
import { after, type Timer } from './timers.js'
import { asCompleted, waitFor, type WaitForOptions, type WaitResult } from './waiting.js'

/** Options of one submission. */
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function'
  } catch {
    return true // a throwing `then` getter: let Promise.resolve report it as a rejection
  }
}

/**
 * Appends one kernel call's arguments: numbers to `numbers`, anything else to `objects`; a
 * Float64Array is preceded in `numbers` by 1 if its buffer is shared (read in place) or 0
 * (copied at submission, see src/kernel_args.rs).
 */
function splitArgs(kernel: Kernel, args: readonly unknown[], numbers: number[], objects: unknown[]): void {
  for (let i = 0; i < args.length; i++) splitArg(kernel, i, args[i], numbers, objects)
}

/** Appends argument `i` of a kernel call (see `splitArgs`). */
function splitArg(kernel: Kernel, i: number, arg: unknown, numbers: number[], objects: unknown[]): void {
  if (kernel.numeric[i]) {
    numbers.push(arg as number)
    return
  }
  if (arg instanceof Float64Array) numbers.push(arg.buffer instanceof SharedArrayBuffer ? 1 : 0)
  objects.push(arg)
}

/**
 * Bytes from which `snapshot` copies into a SharedArrayBuffer: allocating one costs about
 * 10 us more than an ordinary buffer (measured here), which a second copy of 64 KiB or more
 * costs too.
 */
const SHARED_COPY_FROM = 64 * 1024

/**
 * A kernel argument as it is at submission. A Float64Array over an ordinary buffer is copied
 * now: the batch reaches the pool only at the end of the microtask, and reading the caller's
 * array then would let writes made after `submit` returned, or a detach (which empties the
 * array), reach the kernel. A large one is copied into shared memory, which the pool reads in
 * place; a small one into an ordinary buffer, which the pool copies again off the JS heap.
 */
function snapshot(arg: unknown): unknown {
  if (!(arg instanceof Float64Array) || arg.buffer instanceof SharedArrayBuffer) return arg
  if (arg.byteLength < SHARED_COPY_FROM) return arg.slice()
  const copy = new Float64Array(new SharedArrayBuffer(arg.byteLength))
  copy.set(arg)
  return copy
}

/** A `map` item of `kernel` as it is at submission (see `snapshot`). */
function snapshotItem(kernel: Kernel, item: unknown): unknown {
  return kernel.params.length === 1 ? snapshot(item) : (item as unknown[]).map(snapshot)
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
export class Executor {
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
  #settledWaiters: Array<() => void> = []
  /** Start times (`performance.now()`) of the JS tasks whose promise is pending, oldest first (a Map keeps insertion order). */
  readonly #runningJs = new Map<number, number>()
  /** Accepted submissions not yet handed to the pool. */
  #batch: Task[] = []
  /** The pool's queued-task count, live (see `NativeExecutor.queueGauge`). */
  readonly #queued: Int32Array
  #idleWaiters: Array<() => void> = []

  constructor(options?: ExecutorOptions) {
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
      whenSettled: () => new Promise((resolve) => this.#settledWaiters.push(resolve)),
    }
  }

  /** Worker threads, and the most tasks running at once. */
  get maxWorkers(): number {
    return this.#options.maxWorkers
  }

  /** Most tasks that may wait to start. */
  get queueCapacity(): number {
    return this.#options.queueCapacity
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
  submit<A extends unknown[], R>(kernel: Kernel<A, R>, args: A, options?: SubmitOptions): Future<R>
  submit<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: SubmitOptions): Future<Awaited<R>>
  submit(fn: AnyFunction | Kernel, args: unknown[] = [], options: SubmitOptions = {}): Future<unknown> {
    const kernel = isKernel(fn) ? fn : undefined
    if (kernel === undefined && typeof fn !== 'function') throw new TypeError('submit takes a function or a kernel')
    if (!Array.isArray(args)) throw new TypeError('submit: args must be an array')
    if (typeof options !== 'object' || options === null) throw new TypeError('submit: options must be an object')
    const { signal } = options
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('submit: signal must be an AbortSignal')
    let timeout = checkTimeout(options.timeout)
    if (timeout === Infinity) timeout = undefined
    const level = priorityLevel(options.priority)
    if (kernel !== undefined) {
      checkKernelArgs(kernel, args)
      if (kernel.hasArrays) args = args.map(snapshot)
    }
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
      if (kernel.hasArrays) for (let i = 0; i < items.length; i++) items[i] = snapshotItem(kernel, items[i])
      const meta = level | (TaskKind.CHUNK << 2) | (kernel.index << KERNEL_SHIFT)
      return this.#enqueue(undefined, items, kernel, meta, undefined) as Future<unknown[]>
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
      // Only a race with subtasks can fill the queue past the check in #enqueue; invalid
      // arguments are caught before batching unless a caller bypasses the checks.
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
    if (this.#settledWaiters.length > 0) for (const wake of this.#settledWaiters.splice(0)) wake()
    if (--this.#pending === 0) this.#becameIdle()
  }

  #becameIdle(): void {
    if (this.#disposed) return
    this.#native.keepAlive(false)
    if (this.#closed) this.#dispose()
    for (const wake of this.#idleWaiters.splice(0)) wake()
  }

  /** Receives one batch of pool events (see src/events.rs for the encoding). */
  #dispatch(kinds: Uint8Array, ids: Float64Array, numbers: Float64Array, payloads: Array<string | Array<number | null | undefined>>): void {
    let p = 0
    for (let i = 0; i < kinds.length; i++) {
      const id = ids[i]!
      const kind = kinds[i]
      if (kind === EventKind.RUN_JS) {
        this.#runJs(id)
        continue
      }
      const task = this.#tasks.get(id)
      const payload = kind === EventKind.VALUES || kind === EventKind.FAILED || kind === EventKind.PANICKED ? payloads[p++] : undefined
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
   * the queue has room, so any number of them can be mapped. Rejects with the first error.
   */
  map<T, R>(kernel: Kernel<[T], R>, iterable: Iterable<T>, options?: MapOptions): Promise<R[]>
  map<A extends unknown[], R>(kernel: Kernel<A, R>, iterable: Iterable<A>, options?: MapOptions): Promise<R[]>
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>, options?: MapOptions): Promise<Awaited<R>[]>
  map(fn: ((item: never) => unknown) | Kernel, iterable: Iterable<unknown>, options?: MapOptions): Promise<unknown[]> {
    return mapAll(this.#host, fn, iterable, options)
  }

  /**
   * Like `map`, but yields results in input order as they are ready, pulling from `source`
   * (sync or async) only as results are consumed: memory stays bounded for endless sources.
   */
  imap<T, R>(kernel: Kernel<[T], R>, source: Iterable<T> | AsyncIterable<T>, options?: ImapOptions): AsyncIterableIterator<R>
  imap<A extends unknown[], R>(kernel: Kernel<A, R>, source: Iterable<A> | AsyncIterable<A>, options?: ImapOptions): AsyncIterableIterator<R>
  imap<T, R>(fn: (item: T) => R, source: Iterable<T> | AsyncIterable<T>, options?: ImapOptions): AsyncIterableIterator<Awaited<R>>
  imap(
    fn: ((item: never) => unknown) | Kernel,
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ImapOptions,
  ): AsyncIterableIterator<unknown> {
    return imapAll(this.#host, fn, source, options)
  }

  /** Waits for futures like `concurrent.futures.wait`: resolves with the done and not-done ones. */
  wait<T>(futures: Iterable<Future<T>>, options?: WaitForOptions): Promise<WaitResult<T>> {
    return waitFor(futures, options)
  }

  /**
   * Yields each future as it completes (finished ones first); throws `TimeoutError` once
   * `timeout` ms have passed. TypeScript types a `for await` element as the future's result
   * (it treats those elements as awaited), but the value is the `Future` itself; `next()` is
   * typed exactly.
   */
  asCompleted<T>(futures: Iterable<Future<T>>, options?: { timeout?: number }): AsyncIterableIterator<Future<T>> {
    return asCompleted(futures, options)
  }

  /**
   * Stops accepting work (`ExecutorShutdownError`). With `wait` (default), resolves once the
   * running and queued tasks are done; `cancelPending` cancels the queued ones first.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new TypeError('shutdown options must be an object')
    const { wait = true, cancelPending = false } = options
    if (!this.#closed) {
      this.#flushBatch() // accepted submissions still run
      this.#closed = true
      this.#native.close()
    }
    if (cancelPending) {
      for (const task of [...this.#tasks.values()]) task.cancel()
    }
    if (this.#pending === 0) this.#dispose()
    else if (wait) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Shuts down and waits, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown()
  }

  /** Shuts down without waiting, for `using`: queued and running tasks still finish. */
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

  /** A snapshot of the executor's counters, queue and timings. */
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

  /** CPU used by this process since the previous reading, in percent of one core (sysinfo; readings under 200 ms apart repeat the last one). */
  getCpuUsage(): number {
    return cpuUsage()
  }

  /** Resident set size of this process, in bytes. */
  getMemoryUsage(): number {
    return memoryUsage()
  }
}
