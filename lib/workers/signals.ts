/**
 * What a worker isolate and the main thread tell each other outside the native hub: the words
 * of the worker's signal array (shared memory, read without a message) and the notices the
 * worker posts on its port.
 *
 * Rules: the main thread sets `RECYCLE` and then wakes parked workers (`wakeWorkers`); a
 * worker reads it between tasks and when woken, so it retires once its current task ends. A
 * worker sets `HAS_TEARDOWN` when a teardown hook is registered: a worker without one is
 * terminated at shutdown, one with hooks is retired and runs them before it exits. A worker
 * that retires itself posts `{ retired }` before it exits, so that its exit is not taken for
 * a crash.
 */

/** Bumped (and notified) after each message for the worker: it waits on it with `Atomics.wait`. */
export const SIGNAL_MESSAGES = 0
/** Non-zero: retire once the current task ends (`recycleWorkers`). */
export const SIGNAL_RECYCLE = 1
/** Non-zero: the worker has `onTeardown` hooks to run before it exits. */
export const SIGNAL_HAS_TEARDOWN = 2
export const SIGNAL_WORDS = 3

/** Why a worker retired itself. */
export type RetireReason = 'recycled' | 'idle' | 'shutdown'

/** A worker's notice on its port (results holding shared memory travel there too: `{ id, value }`). */
export type WorkerNotice = { progress: number; value: unknown } | { retired: RetireReason }

export function isProgress(message: object): message is { progress: number; value: unknown } {
  return 'progress' in message
}

export function isRetired(message: object): message is { retired: RetireReason } {
  return 'retired' in message
}
