/**
 * The options of one submission (`executor.submit`): their type, and the checks that turn what
 * a user passed into what the engine takes.
 */

import { checkTimeout } from './future.js'
import { priorityLevel, type TaskPriority } from './scheduling.js'
import type { Transferable } from './worker/transfer.js'
import { workerThreads } from './worker-threads.js'

/**
 * Options of one submission; an unknown key is refused with `TypeError` (naming the closest valid one).
 *
 * ```ts
 * const controller = new AbortController()
 * const future = executor.submit(kernels.spin, [1e9], { priority: TaskPriority.HIGH, signal: controller.signal, timeout: 1_000 })
 * ```
 */
export interface SubmitOptions {
  /** Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority
  /**
   * Aborting cancels the task if it has not started (a worker task that runs is stopped, its
   * worker terminated and replaced); an already-aborted signal refuses the submission.
   */
  signal?: AbortSignal
  /**
   * Worker tasks and kernels: `ArrayBuffer`s in the arguments to move to the task instead of
   * copying them; they are detached (unusable) in the caller from `submit` on. (A kernel reads
   * arrays over a `SharedArrayBuffer` in place and copies other ones at `submit`.) A worker
   * task also takes `MessagePort`s (a port lets it stream to the caller), and moves its result
   * back with `transfer(value, list)`.
   */
  transfer?: readonly Transferable[]
  /**
   * Most milliseconds the task may run, counted from its start (time spent queued does not
   * count); past it, the future rejects with `TimeoutError`. A worker task is stopped by
   * terminating its worker thread, which is replaced. A kernel is asked to stop
   * through its cancellation flag (the built-in kernels poll it); its future rejects and its
   * slot is freed when it does. A JS function on the main thread cannot be interrupted: an
   * async one's future rejects at the limit and its slot is freed then (its eventual result
   * is ignored); a synchronous one's future rejects when it returns, if it ran too long (its
   * result is dropped).
   */
  timeout?: number
  /**
   * Worker tasks only: called on the main thread with each value the task passes to
   * `progress()` (from `ferris-executor/worker`), in order, before its future settles and
   * never after. A listener that throws is an uncaught exception, as an event listener's is.
   */
  onProgress?: (value: unknown) => void
}

function checkTransfer(transfer: unknown, runner: string): readonly Transferable[] | undefined {
  if (transfer === undefined) return undefined
  if (runner !== 'worker' && runner !== 'kernel') throw new TypeError('submit: transfer applies to worker tasks and kernels only')
  const ports = runner === 'worker' // a port means nothing to a kernel
  if (!Array.isArray(transfer) || !transfer.every((item) => item instanceof ArrayBuffer || (ports && item instanceof workerThreads().MessagePort))) {
    throw new TypeError(`submit: transfer must be an array of ArrayBuffers${ports ? ' and MessagePorts' : ''}`)
  }
  return transfer
}

function checkOnProgress(onProgress: unknown, runner: string): ((value: unknown) => void) | undefined {
  if (onProgress === undefined) return undefined
  if (typeof onProgress !== 'function') throw new TypeError('submit: onProgress must be a function')
  if (runner !== 'worker') throw new TypeError('submit: onProgress applies to worker tasks only (they report with progress() from ferris-executor/worker)')
  return onProgress as (value: unknown) => void
}

/** What `readSubmitOptions` gives the engine. */
export interface SubmitSettings {
  level: number
  timeout: number | undefined
  signal: AbortSignal | undefined
  transfer: readonly Transferable[] | undefined
  onProgress: ((value: unknown) => void) | undefined
}

/**
 * Checks `options` (known keys already checked by the caller) for a task of `runner` (its
 * runner's name): `TypeError`/`RangeError` on a bad value, in the order of the fields below.
 */
export function readSubmitOptions(options: SubmitOptions, runner: string): SubmitSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('submit: options must be an object')
  const { signal } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('submit: signal must be an AbortSignal')
  let timeout = checkTimeout(options.timeout)
  if (timeout === Infinity) timeout = undefined
  const level = priorityLevel(options.priority)
  const transfer = checkTransfer(options.transfer, runner)
  const onProgress = checkOnProgress(options.onProgress, runner)
  return { level, timeout, signal, transfer, onProgress }
}
