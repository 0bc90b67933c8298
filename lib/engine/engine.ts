/**
 * `Engine`: what is behind the `Executor` facade. It owns the native pool and wires the
 * task table, the submission batch, readiness and the runners together: submit, cancel,
 * the pool's events, shutdown and statistics.
 */
import { NativeExecutor, type EventBatch, type NativeStats } from '../binding.js'
import { CancelledError, ExecutorShutdownError, QueueFullError } from '../errors.js'
import type { Canceller, Future } from '../future.js'
import type { MapHost, Mappable } from '../mapping.js'
import type { ResolvedOptions } from '../options.js'
import { KernelRunner } from '../runners/kernel.js'
import { MainThreadRunner, MainThreadTask } from '../runners/main-thread.js'
import type { Failure, Runner } from '../runners/runner.js'
import { IsolateTask, WorkerRunner, type WorkerEvents } from '../runners/worker.js'
import { buildStats, type ExecutorStats } from '../stats.js'
import { SLICE_MS } from '../slices.js'
import { after, type Timer } from '../timers.js'
import { Refused } from '../wire/codes.js'
import { EventReader, type EventSink } from '../wire/events.js'
import { SubmitBatch } from '../wire/submit.js'
import { Readiness } from './readiness.js'
import { TaskTable } from './task-table.js'
import type { Task } from './task.js'
import type { Transferable } from '../worker/transfer.js'

/** The pool's largest queue capacity (its queued count is a 32-bit counter). */
const MAX_QUEUE_CAPACITY = 2 ** 31 - 1

/** What the engine tells its facade. */
export interface EngineEvents extends WorkerEvents {
  /** The queue has room again after it was found full. */
  drain(): void
  /** Every accepted task has settled. */
  idle(): void
}

export class Engine implements MapHost, EventSink {
  readonly maxWorkers: number
  readonly queueCapacity: number
  readonly #events: EngineEvents
  readonly #native: NativeExecutor
  readonly #table: TaskTable
  readonly #batch: SubmitBatch
  readonly #readiness: Readiness
  readonly #mainThread: MainThreadRunner
  readonly #workers: WorkerRunner
  /** The worker isolates' termination, once the executor is disposed. */
  #workersClosed: Promise<void> | undefined
  /** Every runner, asked in order which one takes a submitted function or kernel. */
  readonly #runners: readonly Runner[]
  #closed = false
  #disposed = false
  /** `destroy()` was called: everything is being stopped. */
  #destroyed = false
  /** `shutdown({ timeout })`'s deadline, past which it destroys. */
  #deadline: Timer | undefined
  /** Every worker isolate has exited, after the executor was disposed: no deadline is needed any more. */
  #workersGone = false
  /** The pool's statistics as they were when it was disposed. */
  #finalStats: NativeStats | undefined
  #idleWaiters: Array<() => void> = []
  /** The pool's events not read yet, and whether a turn of the event loop is due to read more. */
  readonly #reader: EventReader
  #readingLater = false

  /** Starts the pool's threads; throws `RangeError` if they cannot start. */
  constructor(options: ResolvedOptions, events: EngineEvents) {
    this.#events = events
    const { maxWorkers, queueCapacity, threadStackSize, scheduler, agingMs, memoryLimit, jsWorkers, workerOptions, idleTimeout, maxTasksPerWorker } = options
    this.maxWorkers = maxWorkers
    this.queueCapacity = queueCapacity
    try {
      // The pool queues what the free slots have yet to take too (see `Readiness`).
      const poolCapacity = Math.min(queueCapacity + maxWorkers, MAX_QUEUE_CAPACITY)
      this.#native = new NativeExecutor(
        { maxWorkers, queueCapacity: poolCapacity, threadStackSize, scheduler: scheduler.kind, agingMs },
        (delivery) => this.#onEvents(delivery),
      )
    } catch (error) {
      throw new RangeError(`cannot start the executor: ${(error as Error).message}`, { cause: error })
    }
    let queued: Int32Array
    try {
      queued = new Int32Array(this.#native.queueGauge())
      this.#reader = new EventReader(new Float64Array(this.#native.eventArea()))
    } catch (error) {
      this.#native.dispose()
      throw error
    }
    this.#table = new TaskTable({
      busy: () => this.#native.keepAlive(true),
      settled: () => {
        if (this.#readiness.watching) this.#readiness.check()
      },
      idle: () => this.#becameIdle(),
      aborted: (task, error) => this.#abort(task, error),
    })
    this.#readiness = new Readiness({
      queueCapacity,
      maxWorkers,
      memoryLimit,
      queued,
      batched: () => this.#batch.live,
      pending: () => this.#table.pending,
      closed: () => this.#closed,
      emitDrain: () => this.#events.drain(),
    })
    const canceller: Canceller = {
      cancel: (future) => this.#cancel(future),
      started: (future) => {
        const task = this.#table.get(future._id)
        return task !== undefined && task.runner.started(task)
      },
    }
    this.#mainThread = new MainThreadRunner(
      {
        finishExternal: (runTimes, finished, abandoned, handedOut) =>
          this.#native.finishExternal(runTimes, finished, abandoned, handedOut),
        task: (id) => this.#table.get(id),
        settle: (task, outcome, value) => this.#table.settle(task, outcome, value),
      },
      canceller,
      maxWorkers,
    )
    this.#workers = new WorkerRunner(
      this.#native,
      {
        task: (id) => this.#table.get(id),
        settle: (task, outcome, value) => this.#table.settle(task, outcome, value),
        takeBack: (task) => this.#takeBack(task),
      },
      canceller,
      { max: jsWorkers, worker: workerOptions, idleTimeout, maxTasksPerWorker },
      events,
    )
    this.#runners = [new KernelRunner(this.#native, canceller), this.#workers, this.#mainThread]
    this.#batch = new SubmitBatch(this.#native, {
      refused: (task, reason, message) => this.#refused(task, reason, message),
      // Fail the batch's tasks rather than leave their futures pending or throw into a microtask.
      broken: (tasks, error) => {
        for (const task of tasks) this.#table.settle(task, 'failed', error)
      },
      handedOut: this.#mainThread.handedOut,
      received: (n) => this.#mainThread.received(n),
      slotFree: () => this.#table.pending <= maxWorkers,
    })
  }

  /** The runner of `fn`, or `undefined` if `fn` is neither a function nor a kernel. */
  runnerFor(fn: unknown): Runner | undefined {
    for (const runner of this.#runners) if (runner.accepts(fn)) return runner
    return undefined
  }

  /**
   * Accepts `fn(...args)` (checked by the caller) into the submission batch. The queue's room
   * is checked here, so a full queue is refused synchronously.
   */
  submit(
    runner: Runner,
    fn: unknown,
    args: readonly unknown[],
    level: number,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    transfer: readonly Transferable[] | undefined,
    onProgress?: (value: unknown) => void,
  ): Future<unknown> {
    if (signal?.aborted) {
      this.#table.refuse()
      throw new CancelledError('the signal was already aborted', { cause: signal.reason })
    }
    this.#checkAccepting()
    const task = runner.create(this.#table.nextId(), level, timeout, fn, args, transfer)
    if (onProgress !== undefined && task instanceof IsolateTask) task.onProgress = onProgress
    this.#accept(task)
    if (signal !== undefined) this.#table.listen(task, signal)
    return task
  }

  /** Spawns every worker isolate now (see `Executor.startWorkers`). */
  async startWorkers(): Promise<void> {
    if (this.#closed) throw new ExecutorShutdownError()
    return this.#workers.isolates.start()
  }

  /** One task over a chunk of `map` items; `undefined` when the queue has no room now. */
  submitChunk(fn: Mappable, items: unknown[], level: number): Future<unknown[]> | undefined {
    if (!this.#closed && !this.#readiness.hasRoom()) return undefined
    const runner = this.runnerFor(fn)!
    const chunk = runner.createChunk(this.#table.nextId(), level, fn, items)
    this.#checkAccepting()
    this.#accept(chunk)
    return chunk as Future<unknown> as Future<unknown[]>
  }

  halt(chunk: Future<unknown[]>): void {
    const task = this.#table.get(chunk._id)
    if (task !== undefined) this.#abort(task, new CancelledError('the map or imap it belongs to was stopped'))
  }

  isReady(): boolean {
    return this.#readiness.isReady()
  }

  whenReady(): Promise<void> {
    return this.#readiness.whenReady()
  }

  ready(signal: AbortSignal | undefined, timeout: number | undefined): Promise<void> {
    return this.#readiness.ready(signal, timeout)
  }

  #checkAccepting(): void {
    if (this.#closed) {
      this.#table.refuse()
      throw new ExecutorShutdownError()
    }
    if (!this.#readiness.hasRoom()) {
      this.#table.refuse()
      this.#readiness.expectDrain()
      throw new QueueFullError(this.queueCapacity)
    }
  }

  #accept(task: Task): void {
    this.#table.add(task)
    this.#batch.add(task)
  }

  #refused(task: Task, reason: number, message: string | null | undefined): void {
    // The checks at submission keep refusals from getting here, unless a caller bypasses
    // them (or a bug).
    if (reason === Refused.Invalid) {
      this.#table.settle(task, 'failed', new TypeError(message ?? 'invalid kernel arguments'))
      return
    }
    const error = reason === Refused.QueueFull ? new QueueFullError(this.queueCapacity) : new ExecutorShutdownError()
    this.#table.settle(task, 'refused', error)
  }

  /** Cancels a task that has not started; true if it is cancelled. */
  #cancel(future: Future<unknown>, error = new CancelledError()): boolean {
    const task = this.#table.get(future._id)
    if (task !== future || future.running()) return future.cancelled()
    const cancelled = this.#takeBack(task)
    if (cancelled) this.#table.settle(task, 'cancelled', error)
    return cancelled
  }

  /** Takes `task` back from wherever it waits to start; true if it will never run. */
  #takeBack(task: Task): boolean {
    return this.#batch.remove(task) || this.#native.cancel(task._id) || task.runner.abandon(task)
  }

  /** `task`'s signal aborted: cancels it if it has not started, else stops it if its runner can. */
  #abort(task: Task, error: CancelledError): void {
    if (!this.#cancel(task, error) && task.running()) task.runner.interrupt?.(task, error)
  }

  /** A delivery of the pool's events, from its threadsafe function. */
  #onEvents(delivery: unknown[] | EventBatch): void {
    this.#reader.add(delivery)
    if (!this.#readingLater) this.#readEvents()
  }

  /**
   * Reads the pool's events for at most `SLICE_MS`, then leaves the rest to the next turn of
   * the event loop (see `EventReader`), so that settling a large batch never stalls timers and
   * I/O for long.
   */
  readonly #readEvents = (): void => {
    this.#readingLater = false
    try {
      this.#reader.read(this, performance.now() + SLICE_MS)
      this.#mainThread.drain()
    } finally {
      if (this.#reader.pending && !this.#readingLater) {
        this.#readingLater = true
        setImmediate(this.#readEvents)
      }
    }
  }

  runExternal(id: number): void {
    const task = this.#table.get(id)
    this.#mainThread.run(task instanceof MainThreadTask ? task : undefined)
  }

  returned(id: number, value: unknown): void {
    const task = this.#table.get(id)
    if (task !== undefined) this.#table.settle(task, 'completed', value)
  }

  failed(id: number, failure: Failure, message: string): void {
    const task = this.#table.get(id)
    if (task !== undefined) this.#table.settle(task, 'failed', task.runner.error(task, failure, message))
  }

  worker(kind: number, id: number, seat: number, payload: unknown): void {
    this.#workers.report(kind, id, seat, payload)
  }

  #becameIdle(): void {
    if (this.#disposed) return
    this.#native.keepAlive(false)
    if (this.#closed) this.#dispose()
    for (const wake of this.#idleWaiters.splice(0)) wake()
    this.#events.idle()
  }

  get pending(): number {
    return this.#table.pending
  }

  /** Replaces every worker isolate once its current task ends; see `Executor.recycleWorkers`. */
  recycleWorkers(): Promise<void> {
    return this.#workers.isolates.recycle()
  }

  /** Stops accepting work. */
  #close(): void {
    if (this.#closed) return
    this.#batch.flush() // accepted submissions still run
    this.#closed = true
    this.#native.close()
    if (this.#readiness.watching) this.#readiness.check() // ready() waiters learn of the shutdown
  }

  /** Stops accepting work; see `Executor.shutdown`. */
  async shutdown(wait: boolean, cancelPending: boolean, timeout: number | undefined): Promise<void> {
    this.#close()
    if (cancelPending) {
      for (const task of this.#table.all()) task.cancel()
    }
    if (timeout !== undefined && !this.#destroyed && !this.#workersGone && this.#deadline === undefined) {
      this.#deadline = after(timeout, () => void this.destroy())
    }
    if (this.#table.pending === 0) this.#dispose()
    else if (wait) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    if (wait) await this.#workersClosed
  }

  /**
   * Stops everything now; see `Executor.destroy`. Protocol: queued tasks are cancelled;
   * running ones settle with `ExecutorShutdownError` at once, worker tasks' workers being
   * terminated; the last settlement disposes of the pool, which asks running kernels to stop
   * (their cancellation flag) and joins its threads; every worker isolate is terminated, and
   * this resolves once they have exited.
   */
  async destroy(): Promise<void> {
    this.#close()
    if (!this.#destroyed) {
      this.#destroyed = true
      const error = new ExecutorShutdownError('the executor was destroyed while the task was running')
      for (const task of this.#table.all()) {
        if (this.#cancel(task)) continue
        task.runner.interrupt?.(task, error)
        this.#table.settle(task, 'failed', error) // if the runner could not: a kernel, a main-thread function
      }
    }
    this.#dispose()
    await this.#workers.isolates.close(false)
  }

  #dispose(): void {
    if (this.#disposed) return
    this.#mainThread.stop() // its last slots and run times, for the final statistics
    this.#finalStats = this.#native.stats() ?? undefined
    this.#disposed = true
    // Workers with teardown hooks run them, unless the executor is destroyed.
    this.#workersClosed = this.#workers.isolates.close(!this.#destroyed).finally(() => {
      this.#workersGone = true
      this.#deadline?.clear()
    })
    this.#native.dispose()
  }

  stats(): ExecutorStats {
    if (!this.#disposed) this.#batch.flush()
    const native = (this.#disposed ? undefined : this.#native.stats()) ?? this.#finalStats
    if (native === undefined) throw new Error('unreachable: no native statistics')
    let running = 0
    let oldestRunningMs = 0
    for (const runner of this.#runners) {
      const share = runner.share(native)
      running += share.running
      oldestRunningMs = Math.max(oldestRunningMs, share.oldestRunningMs)
    }
    const workers = { ...this.#workers.isolates.stats(), busy: native.workerRunning }
    return buildStats(native, this.#table.counts, running, oldestRunningMs, workers)
  }
}
