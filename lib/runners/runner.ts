/**
 * `Runner`: one kind of task (a JS function on the main thread or on a worker isolate, a native kernel), and
 * everything the executor needs to know of it. The engine treats every task through its
 * runner; adding a kind of task is adding a runner and registering it in `Engine`.
 */
import type { NativeStats } from '../binding.js'
import type { Task } from '../engine/task.js'
import type { CancelledError, ExecutorShutdownError } from '../errors.js'
import type { NumberBuffer } from '../wire/number-buffer.js'
import type { Transferable } from '../worker/transfer.js'

/** A failure the pool reports for a native task (see `EventKind`). */
export type Failure = 'failed' | 'panicked' | 'timed-out'

export interface Runner<T extends Task = Task> {
  /** Names the runner in messages. */
  readonly name: string
  /** Whether `fn` (what `submit` and `map` were given) is a task of this runner. */
  accepts(fn: unknown): boolean
  /** Throws `TypeError`/`RangeError` unless `args` fit `fn`. */
  check(fn: unknown, args: readonly unknown[]): void
  /**
   * Task `id` calling `fn(...args)` (already checked) at priority `level`, with a run-time
   * limit of `timeout` ms; `transfer`: buffers to move rather than copy (worker tasks and kernels).
   */
  create(id: number, level: number, timeout: number | undefined, fn: unknown, args: readonly unknown[], transfer?: readonly Transferable[]): T
  /** Task `id` calling `fn` on each of `items` in order and resolving with the results (a `map` chunk); checks the items. */
  createChunk(id: number, level: number, fn: unknown, items: readonly unknown[]): T
  /** The submission batch must reach the pool now, not at the end of the microtask: the pool copies `task`'s arguments then. */
  urgent(task: T): boolean
  /** The native call that took `task`'s batch has returned: the pool holds its arguments (refused or not). */
  handedOver?(task: T): void
  /**
   * Appends what the pool needs of `task` to the batch (`lib/wire/submit.ts`) and returns
   * its meta word's task kind and flags (shifted into place, without the priority level).
   */
  encode(task: T, numbers: NumberBuffer, objects: unknown[]): number
  /** Whether `task`, queued in the pool, has been taken by a pool thread. */
  started(task: T): boolean
  /**
   * The pool handed `task` out (it is no longer in the queue) but it has not started: give
   * it up, if this runner can, so that it can be cancelled. The slot comes back when the
   * runner meets the task again.
   */
  abandon(task: T): boolean
  /** Stops `task` while it runs (its signal aborted, the executor destroyed), if this runner can; true if it stopped (and settled). */
  interrupt?(task: T, error: CancelledError | ExecutorShutdownError): boolean
  /** `task` settled (once, however it ended). */
  settled?(task: T): void
  /** The error for a failure the pool reported for `task`. */
  error(task: T, failure: Failure, message: string): unknown
  /** This runner's share of `getStats()`, given the pool's statistics read now. */
  share(native: NativeStats): RunnerShare
}

export interface RunnerShare {
  /** Tasks of this runner running now. */
  running: number
  /** How long the longest-running of them has been running, in ms (0 if none runs). */
  oldestRunningMs: number
}
