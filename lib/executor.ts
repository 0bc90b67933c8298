/** `Executor`: the public API. It checks what users pass and delegates to its `Engine`. */
import { EventEmitter } from 'node:events'
import type { Worker } from 'node:worker_threads'

import { cpuUsage, memoryUsage } from './binding.js'
import { Engine } from './engine/engine.js'
import { checkTimeout, type Future } from './future.js'
import { Imap } from './imap.js'
import type { Kernel, KernelItem } from './kernels.js'
import { mapAll, type ImapOptions, type MapOptions, type Mappable } from './mapping.js'
import { READY_OPTIONS, SHUTDOWN_OPTIONS, SUBMIT_OPTIONS, checkOptions, resolveOptions, type ExecutorOptions } from './options.js'
import type { ExecutorStats } from './stats.js'
import type { WorkerTask } from './workers/worker-task.js'
import { asCompleted, waitFor, type CompletedFuture, type WaitForOptions, type WaitResult } from './waiting.js'
import { readSubmitOptions, type SubmitOptions } from './submit-options.js'

export type { SubmitOptions } from './submit-options.js'

/**
 * Options of `executor.ready()`; an unknown key is refused with `TypeError`.
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
  /**
   * An exception killed a worker thread outside any task (a timer a task left behind threw,
   * or a teardown hook did); the worker is replaced. An exception during a task fails that
   * task instead. As for any `EventEmitter`, an `'error'` with no listener is thrown: an
   * uncaught exception, as the same throw on the main thread would be.
   */
  error: [error: unknown]
  /**
   * A worker thread of worker tasks is running: its `threadId`, and the `Worker` (for its
   * `stdout` and `stderr` streams with `workerOptions.stdout`/`stderr`; terminating it fails
   * its task as a crash would).
   */
  workerStart: [id: number, worker: Worker]
  /**
   * A worker thread exited: its `threadId` and exit code. It is replaced when tasks need it;
   * see `getStats().workers` for why it left (`replaced`: crashed or stopped; `retired`:
   * recycled or idle).
   */
  workerExit: [id: number, exitCode: number]
}

/**
 * Options of `executor.shutdown()`; an unknown key is refused with `TypeError` (so a misspelt
 * `cancelPending` cannot silently run everything).
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
  /**
   * Milliseconds to let the work finish (and workers run their teardown hooks); past them,
   * the executor is destroyed (`executor.destroy()`): what still runs is stopped and rejects
   * with `ExecutorShutdownError`. Default: no limit.
   */
  timeout?: number
}

type AnyFunction = (...args: never[]) => unknown

/**
 * What `submit` runs: a kernel, a worker task or a function. `submit`, `map` and `imap` take
 * the task's type whole and derive its arguments from it (`TaskArgs`), rather than having
 * one overload per kind: a wrong argument is then reported on the argument, not as a task
 * that matches no overload.
 *
 * ```ts
 * const submitAll = <F extends Submittable>(fn: F, calls: Array<SubmitRest<F>>): Array<Future<TaskResult<F>>> =>
 *   calls.map((rest) => executor.submit(fn, ...rest))
 * ```
 */
export type Submittable = Kernel | WorkerTask | ((...args: never[]) => unknown)

/**
 * The argument list of task `F`.
 *
 * ```ts
 * type SpinArgs = TaskArgs<typeof kernels.spin> // [n: number]
 * ```
 */
export type TaskArgs<F> =
  F extends Kernel<infer A, infer _R> ? A : F extends WorkerTask<infer A, infer _R> ? A : F extends (...args: infer A) => unknown ? A : never

/**
 * What task `F`'s future resolves to (a function's promise unwrapped).
 *
 * ```ts
 * type Status = TaskResult<(url: string) => Promise<number>> // number
 * ```
 */
export type TaskResult<F> =
  F extends Kernel<infer _A, infer R> ? R : F extends WorkerTask<infer _A, infer R> ? R : F extends (...args: never[]) => infer R ? Awaited<R> : never

/**
 * One `map` item of task `F`: for a kernel, see `KernelItem`; for a worker task or a function,
 * its one argument (a task of two or more required parameters cannot be mapped).
 *
 * ```ts
 * type Item = TaskItem<typeof kernels.sumOfSquares> // Float64Array
 * ```
 */
export type TaskItem<F> =
  F extends Kernel<infer A, infer _R>
    ? KernelItem<A>
    : F extends WorkerTask<infer A, infer _R>
      ? A extends [infer Only]
        ? Only
        : number extends A['length']
          ? A[0]
          : never
      : F extends (item: infer T) => unknown
        ? T
        : never

/**
 * `submit`'s arguments after the task: `args` may be left out when the task needs none.
 *
 * ```ts
 * const rest: SubmitRest<typeof kernels.spin> = [[1_000], { priority: TaskPriority.HIGH }]
 * executor.submit(kernels.spin, ...rest)
 * ```
 */
export type SubmitRest<F> = [] extends TaskArgs<F>
  ? [args?: Readonly<TaskArgs<F>>, options?: SubmitOptions]
  : [args: Readonly<TaskArgs<F>>, options?: SubmitOptions]

/** The defaults of `submit`'s arguments, shared: a new object per call would be garbage per task. */
const NO_ARGS: readonly unknown[] = Object.freeze([])
const NO_OPTIONS: SubmitOptions = Object.freeze({})

/**
 * Runs JavaScript functions and native kernels on a Rust thread pool, with priorities, a
 * bounded queue, cancellation and statistics, in the shape of Python's
 * `concurrent.futures.Executor`.
 *
 * Three kinds of task share its queue, priorities and `maxWorkers` slots: plain JS functions
 * run on the JS thread (for async work to throttle and prioritise), `workerTask` functions on
 * worker threads (CPU-bound JavaScript, in parallel), native kernels on the pool's threads.
 *
 * ```ts
 * await using executor = new Executor({ maxWorkers: 4 })
 * const a = executor.submit(kernels.spin, [1_000_000], { priority: TaskPriority.HIGH })
 * const b = executor.submit(async (url: string) => (await fetch(url)).status, ['https://example.com'])
 * const c = executor.submit(workerTask((n: number) => n * n), [12])
 * console.log(await a, await b, await c)
 * ```
 */
export class Executor extends EventEmitter<ExecutorEvents> {
  readonly #options: ReturnType<typeof resolveOptions>
  readonly #engine: Engine

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
    this.#engine = new Engine(this.#options, {
      drain: () => this.emit('drain'),
      idle: () => {
        if (this.listenerCount('idle') > 0) queueMicrotask(this.#emitIdle)
      },
      workerStart: (id, worker) => queueMicrotask(() => this.emit('workerStart', id, worker)),
      workerExit: (id, exitCode) => queueMicrotask(() => this.emit('workerExit', id, exitCode)),
      error: (error) => queueMicrotask(() => this.emit('error', error)),
    })
  }

  readonly #emitIdle = (): void => {
    if (this.#engine.pending === 0) this.emit('idle')
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
   * Most tasks that may wait to start beyond those the free slots take (see the option).
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
   * Queues `fn(...args)` (a JS function, a worker task or a native kernel) and returns its
   * future; with a slot free, a worker task or kernel starts while the caller goes on. Throws
   * `QueueFullError` when the queue is full, `ExecutorShutdownError` after `shutdown`, and
   * `TypeError`/`RangeError` for bad arguments. After `fn` come `args` (which may be left out
   * when `fn` needs none) and the options (`SubmitRest`); TypeScript checks `args` against the
   * task's parameters and reports a mismatch on the argument that is wrong.
   *
   * ```ts
   * const future = executor.submit((a: number, b: number) => a + b, [1, 2])
   * const native = executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])])
   * const parallel = executor.submit(workerTask((a: number, b: number) => a + b), [1, 2])
   * ```
   *
   * @typeParam F - the task's type, inferred: its arguments and result follow from it.
   */
  submit<F extends Submittable>(fn: F, ...rest: SubmitRest<F>): Future<TaskResult<F>>
  // `args: unknown`: the array check below is what the implementation relies on.
  submit(fn: AnyFunction | Kernel | WorkerTask, args: unknown = NO_ARGS, options: SubmitOptions = NO_OPTIONS): Future<unknown> {
    checkOptions('submit', options, SUBMIT_OPTIONS)
    const runner = this.#engine.runnerFor(fn)
    if (runner === undefined) throw new TypeError('submit takes a function, a worker task or a kernel')
    if (!Array.isArray(args)) throw new TypeError('submit: args must be an array')
    const { level, timeout, signal, transfer, onProgress } = readSubmitOptions(options, runner.name)
    runner.check(fn, args)
    return this.#engine.submit(runner, fn, args, level, timeout, signal, transfer, onProgress)
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
   *
   * @typeParam T - the items' type, inferred from `iterable` (it types a function's parameter).
   * @typeParam F - the task's type, inferred: the items must be its argument (`TaskItem`).
   */
  map<T, F extends ((item: T) => unknown) | Kernel | WorkerTask>(fn: F, iterable: Iterable<T> & Iterable<TaskItem<F>>, options?: MapOptions): Promise<TaskResult<F>[]>
  map(fn: Mappable, iterable: Iterable<unknown>, options?: MapOptions): Promise<unknown[]> {
    return mapAll(this.#engine, fn, iterable, options)
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
   *
   * @typeParam T - the items' type, inferred from `source` (it types a function's parameter).
   * @typeParam F - the task's type, inferred: the items must be its argument (`TaskItem`).
   */
  imap<T, F extends ((item: T) => unknown) | Kernel | WorkerTask>(
    fn: F,
    source: (Iterable<T> | AsyncIterable<T>) & (Iterable<TaskItem<F>> | AsyncIterable<TaskItem<F>>),
    options?: ImapOptions,
  ): AsyncIterableIterator<TaskResult<F>>
  imap(
    fn: Mappable,
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ImapOptions,
  ): AsyncIterableIterator<unknown> {
    return new Imap(this.#engine, fn, source, options)
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
   * Spawns every worker thread of `workerTask` functions now (up to `jsWorkers`), rather than
   * as tasks need them, and resolves once they are running: the first tasks then start
   * without waiting for a thread to boot (about 20 ms each). Rejects with
   * `ExecutorShutdownError` after `shutdown`.
   *
   * ```ts
   * await using executor = new Executor({ jsWorkers: 4 })
   * await executor.startWorkers()
   * ```
   */
  startWorkers(): Promise<void> {
    return this.#engine.startWorkers()
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
    return this.#engine.ready(signal, checkTimeout(options.timeout))
  }

  /**
   * Stops accepting work (`ExecutorShutdownError`). With `wait` (default), resolves once the
   * running and queued tasks are done (and the worker threads gone); `cancelPending` cancels
   * the queued ones first; past `timeout` ms, it stops what still runs as `destroy()` does.
   *
   * ```ts
   * await executor.shutdown() // or: await executor.shutdown({ cancelPending: true, timeout: 5_000 })
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    checkOptions('shutdown', options, SHUTDOWN_OPTIONS)
    if (typeof options !== 'object' || options === null) throw new TypeError('shutdown options must be an object')
    const { wait = true, cancelPending = false } = options
    let timeout = checkTimeout(options.timeout)
    if (timeout === Infinity) timeout = undefined
    return this.#engine.shutdown(wait, cancelPending, timeout)
  }

  /**
   * Stops everything now: cancels the queued tasks (`CancelledError`), stops the running ones
   * of every kind and rejects their futures with `ExecutorShutdownError` (worker tasks' threads
   * are terminated, kernels are asked to stop through their cancellation flag, main-thread
   * functions are abandoned: their futures reject, what they do goes on but is ignored), and
   * resolves once every thread of the executor is gone. No teardown hook runs. Afterwards the
   * executor keeps the process alive no more. Calling it again, or after `shutdown`, is harmless.
   *
   * ```ts
   * process.once('SIGTERM', () => void executor.destroy())
   * ```
   */
  destroy(): Promise<void> {
    return this.#engine.destroy()
  }

  /**
   * Replaces every worker thread of worker tasks once its current task ends (after its
   * `onTeardown` hooks), so that task modules start again from fresh state: for modules that
   * leak. Queued tasks wait for the replacements, which start as tasks need them. Resolves
   * once every worker running at the call has exited.
   *
   * ```ts
   * await executor.recycleWorkers()
   * ```
   */
  recycleWorkers(): Promise<void> {
    return this.#engine.recycleWorkers()
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

  /**
   * A snapshot of the executor's counters, queue and timings.
   *
   * ```ts
   * const { completedTasks, queuedTasks, runTime } = executor.getStats()
   * ```
   */
  getStats(): ExecutorStats {
    return this.#engine.stats()
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
