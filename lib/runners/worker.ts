/**
 * The worker runner: `workerTask` functions, run on the executor's worker isolates
 * (`lib/workers`). The pool orders and throttles them with every other task; it hands each to
 * an idle worker natively, and the worker reports back natively too, so the main thread only
 * encodes tasks and settles futures.
 *
 * Protocol, for what does need the main thread:
 * - Arguments are encoded at submission (structured clone: later changes by the caller are not
 *   seen): numbers travel as numbers, anything else as `v8.serialize`d bytes, typed arrays over
 *   shared memory as references (`lib/workers/shared.ts`). Arguments with a `transfer` list, or
 *   holding a bare SharedArrayBuffer, stay here (transferred buffers are moved at once) until
 *   the worker that took the task asks for them (`WorkerNeedsArgs`), and go by `postMessage`:
 *   those tasks need the main thread to start.
 * - A task with a `timeout` reports its start (`WorkerStarted`); at the limit, or when its
 *   signal aborts while it runs, the hub marks it stopped and its worker is terminated and
 *   replaced. Its future rejects at once; its slot returns when the worker has exited.
 * - A task handed out but not yet taken by a worker can be withdrawn (cancelled).
 */
import type { Worker } from 'node:worker_threads'

import type { NativeExecutor, NativeStats } from '../binding.js'
import { Task, type Outcome } from '../engine/task.js'
import { CancelledError, type ExecutorShutdownError, TimeoutError, type WorkerExitError } from '../errors.js'
import type { Canceller } from '../future.js'
import { after, type Timer } from '../timers.js'
import { EventKind, TaskKind, META_KIND_SHIFT, WORKER_ARGS_ON_PORT, WORKER_CHUNK, WORKER_NUMBERS, WORKER_PROGRESS, WORKER_TIMED } from '../wire/codes.js'
import type { NumberBuffer } from '../wire/number-buffer.js'
import { exactArray } from '../wire/numbers.js'
import { decode, decodeError, encode, type SharedBuffers } from '../workers/codec.js'
import { Isolates, type IsolatesOptions } from '../workers/isolates.js'
import { refuseUnsendable } from '../workers/unsendable.js'
import { isWorkerTask, type WorkerTask } from '../workers/worker-task.js'
import type { Failure, Runner, RunnerShare } from './runner.js'
import type { Transferable } from '../worker/transfer.js'

/** Arguments at most this many numbers long travel as numbers. */
const MAX_NUMBER_ARGS = 1 << 16

/** How a task's arguments travel (see the protocol above). */
type Encoded = Float64Array | Uint8Array | OnPort

/** Arguments that go by `postMessage`, when the worker that took the task asks for them. */
class OnPort {
  constructor(
    readonly values: readonly unknown[],
    readonly transfer: readonly Transferable[] | undefined,
  ) {}
}

/** A call of a worker function, or a `map` chunk of calls. */
export class IsolateTask extends Task {
  readonly #definition: WorkerTask
  readonly #chunk: boolean
  #encoded: Encoded | undefined
  #timer: Timer | undefined = undefined
  #onProgress: ((value: unknown) => void) | undefined = undefined

  constructor(
    canceller: Canceller,
    id: number,
    runner: WorkerRunner,
    level: number,
    timeout: number | undefined,
    definition: WorkerTask,
    chunk: boolean,
    encoded: Encoded,
  ) {
    super(canceller, id, runner, level, timeout)
    this.#definition = definition
    this.#chunk = chunk
    this.#encoded = encoded
  }

  get definition(): WorkerTask {
    return this.#definition
  }

  get chunk(): boolean {
    return this.#chunk
  }

  /** How its arguments travel; dropped once they have left. */
  get encoded(): Encoded | undefined {
    return this.#encoded
  }

  set encoded(value: Encoded | undefined) {
    this.#encoded = value
  }

  get timer(): Timer | undefined {
    return this.#timer
  }

  set timer(timer: Timer | undefined) {
    this.#timer = timer
  }

  /** Its caller's listener of its `progress()` reports. */
  get onProgress(): ((value: unknown) => void) | undefined {
    return this.#onProgress
  }

  set onProgress(listener: ((value: unknown) => void) | undefined) {
    this.#onProgress = listener
  }
}

function numeric(values: readonly unknown[]): values is readonly number[] {
  if (values.length > MAX_NUMBER_ARGS) return false
  for (const value of values) if (typeof value !== 'number') return false
  return true
}

function cloneError(error: unknown): TypeError {
  return new TypeError('a worker task takes structured-cloneable arguments (no functions, symbols or class instances with private state)', {
    cause: error,
  })
}

/** Encodes `values` (see `Encoded`), moving `transfer`'s buffers out of the caller's hands. */
function encodeArgs(values: readonly unknown[], transfer: readonly Transferable[] | undefined, shared: SharedBuffers, chunk: boolean): Encoded {
  const numbers = numeric(values)
  if (!numbers) refuseUnsendable(values, chunk ? 'item' : 'args')
  if (transfer !== undefined && transfer.length > 0) {
    try {
      // Moved now, without a copy (the caller's buffers are detached); cloned together so that
      // the list names the moved buffers, which the worker gets the same way.
      const moved = structuredClone({ values, transfer }, { transfer: transfer as Transferable[] })
      return new OnPort(moved.values, moved.transfer)
    } catch (error) {
      throw cloneError(error)
    }
  }
  if (numbers) return new Float64Array(values) // a snapshot: the caller may reuse its array before the batch leaves
  let bytes: Uint8Array | undefined
  try {
    bytes = encode(values, shared)
  } catch (error) {
    throw cloneError(error)
  }
  return bytes ?? new OnPort(values, undefined)
}

/** What the runner needs of its executor. */
export interface WorkerHost {
  settle(task: Task, outcome: Outcome, value: unknown): void
  /** Takes `task` back if it has not started (from the batch, the queue or the hand-off); true if it will not run. */
  takeBack(task: Task): boolean
  task(id: number): Task | undefined
}

/** What the worker isolates tell the executor's user (its events). */
export interface WorkerEvents {
  workerStart(id: number, worker: Worker): void
  workerExit(id: number, exitCode: number): void
  error(error: unknown): void
}

export class WorkerRunner implements Runner<IsolateTask> {
  readonly name = 'worker'
  readonly #native: NativeExecutor
  readonly #host: WorkerHost
  readonly #canceller: Canceller
  readonly isolates: Isolates
  /** Worker tasks accepted and not settled. */
  readonly #pending = new Set<IsolateTask>()
  /** The task being settled (no longer in the executor's table), while its last reports are read. */
  #settling: IsolateTask | undefined

  constructor(native: NativeExecutor, host: WorkerHost, canceller: Canceller, options: IsolatesOptions, events: WorkerEvents) {
    this.#native = native
    this.#host = host
    this.#canceller = canceller
    this.isolates = new Isolates(native, options, {
      lost: (id, error) => this.#lost(id, error),
      cannotStart: (error) => this.#cannotStart(error),
      demand: () => this.#pending.size,
      awaits: (id) => this.#host.task(id) !== undefined,
      progress: (id, value) => this.#progress(id, value),
      workerStart: events.workerStart,
      workerExit: events.workerExit,
      error: events.error,
    })
  }

  accepts(fn: unknown): boolean {
    return isWorkerTask(fn)
  }

  check(): void {
    if (this.isolates.max === 0) throw new RangeError('worker tasks need worker threads: this executor has jsWorkers: 0')
  }

  create(id: number, level: number, timeout: number | undefined, fn: unknown, args: readonly unknown[], transfer?: readonly Transferable[]): IsolateTask {
    return this.#created(new IsolateTask(this.#canceller, id, this, level, timeout, fn as WorkerTask, false, encodeArgs(args, transfer, this.isolates.shared, false)))
  }

  createChunk(id: number, level: number, fn: unknown, items: readonly unknown[]): IsolateTask {
    return this.#created(new IsolateTask(this.#canceller, id, this, level, undefined, fn as WorkerTask, true, encodeArgs(items, undefined, this.isolates.shared, true)))
  }

  #created(task: IsolateTask): IsolateTask {
    this.#pending.add(task)
    this.isolates.grow()
    return task
  }

  settled(task: IsolateTask): void {
    this.#pending.delete(task)
    task.timer?.clear()
    if (task.onProgress === undefined) return
    // Its last reports were posted before its result: delivered now, before it settles,
    // whichever way its result came.
    this.#settling = task
    try {
      this.isolates.readPosted()
    } finally {
      this.#settling = undefined
    }
  }

  urgent(): boolean {
    return false // arguments are encoded at submission
  }

  encode(task: IsolateTask, numbers: NumberBuffer, objects: unknown[]): number {
    const encoded = task.encoded!
    let flags = (task.chunk ? WORKER_CHUNK : 0) | (task.timeout === undefined ? 0 : WORKER_TIMED) | (task.onProgress === undefined ? 0 : WORKER_PROGRESS)
    numbers.push(task.definition.id)
    if (encoded instanceof OnPort) {
      numbers.push(flags | WORKER_ARGS_ON_PORT)
    } else if (encoded instanceof Uint8Array) {
      numbers.push(flags)
      objects.push(encoded)
      task.encoded = undefined
    } else {
      numbers.push(flags | WORKER_NUMBERS)
      numbers.push(encoded.length)
      numbers.append(encoded)
      task.encoded = undefined
    }
    return TaskKind.Worker << META_KIND_SHIFT
  }

  started(task: IsolateTask): boolean {
    return !task.batched && this.#native.workerTaskRunning(task._id)
  }

  abandon(task: IsolateTask): boolean {
    return this.#native.withdrawWorkerTask(task._id)
  }

  /** Stops `task` while it runs (its signal aborted, the executor destroyed): terminates its worker. */
  interrupt(task: IsolateTask, error: CancelledError | ExecutorShutdownError): boolean {
    return this.#stop(task, error)
  }

  error(_task: IsolateTask, failure: Failure, message: string): unknown {
    return new Error(`unexpected ${failure} event for a worker task: ${message}`)
  }

  share(native: NativeStats): RunnerShare {
    // A task waiting for a free worker holds its slot too: it counts as running, not idle.
    return { running: native.workerRunning + native.workerWaiting, oldestRunningMs: native.oldestWorkerRunningMs }
  }

  /** A worker's report about task `id` (an `EventKind.Worker*` event). */
  report(kind: number, id: number, seat: number, payload: unknown): void {
    const task = this.#host.task(id)
    switch (kind) {
      case EventKind.WorkerNeedsArgs: {
        const encoded = task instanceof IsolateTask ? task.encoded : undefined
        const args = encoded instanceof OnPort ? encoded : undefined
        this.isolates.sendArgs(seat, id, args?.values, args?.transfer)
        if (task instanceof IsolateTask) task.encoded = undefined
        return
      }
      case EventKind.WorkerPosted: {
        const posted = this.isolates.takePosted(seat, id)
        if (task === undefined) return
        if (posted !== undefined) this.#host.settle(task, 'completed', posted.value)
        else this.#host.settle(task, 'failed', new Error(`the result of worker task ${id} was lost: it was not on its worker's port`))
        return
      }
      case EventKind.WorkerStarted:
        if (task instanceof IsolateTask && task.timeout !== undefined) {
          const limit = task.timeout
          task.timer = after(limit, () => this.#stop(task, new TimeoutError(`the worker task ran longer than its ${limit} ms limit`)))
        }
        return
    }
    if (task === undefined) return
    switch (kind) {
      case EventKind.WorkerValue:
        this.#host.settle(task, 'completed', decode(payload as Uint8Array, this.isolates.shared))
        return
      case EventKind.WorkerNumbers:
        this.#host.settle(task, 'completed', exactArray(payload as Float64Array))
        return
      case EventKind.WorkerThrew:
        this.#host.settle(task, 'failed', decodeError(payload as Uint8Array))
        return
    }
  }

  /** Stops running `task` with `error`; false if no worker runs it (it finished meanwhile, or has not started). */
  #stop(task: IsolateTask, error: TimeoutError | CancelledError | ExecutorShutdownError): boolean {
    const seat = this.#native.stopWorkerTask(task._id)
    if (seat < 0) return false
    this.#host.settle(task, error instanceof CancelledError ? 'cancelled' : 'failed', error)
    this.isolates.stop(seat)
    return true
  }

  /** Fails every waiting worker task that can still be taken back. */
  #cannotStart(error: WorkerExitError): void {
    for (const task of [...this.#pending]) {
      if (this.#host.takeBack(task)) this.#host.settle(task, 'failed', error)
    }
  }

  /**
   * Task `id` reported `value`: its listener is called now, while it is pending (never after
   * it settled). A listener that throws is an uncaught exception, as an event listener's is.
   */
  #progress(id: number, value: unknown): void {
    const task = this.#settling?._id === id ? this.#settling : this.#host.task(id)
    const listener = task instanceof IsolateTask ? task.onProgress : undefined
    if (listener === undefined) return
    try {
      listener(value)
    } catch (error) {
      queueMicrotask(() => {
        throw error
      })
    }
  }

  #lost(id: number, error: WorkerExitError): void {
    const task = this.#host.task(id)
    if (task !== undefined) this.#host.settle(task, 'failed', error)
  }
}
