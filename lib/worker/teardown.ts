/** `onTeardown()`: cleaning up before a worker thread exits. */
import { workerHooks } from './hooks.js'

/**
 * Registers `fn` to run (and be awaited) before this worker thread exits normally: recycled
 * (`maxTasksPerWorker`, `executor.recycleWorkers()`), idle (`idleTimeout`), or at a graceful
 * `shutdown()`. Hooks run in registration order, once; an error thrown by one is reported
 * through the executor's `'error'` event after the others ran. They do not run when the worker
 * is terminated: a task stopped (`timeout`, `signal`), `destroy()`, a crash. The worker
 * holds its place among `jsWorkers` until its hooks are done: a hook that never settles keeps
 * it (bound a graceful shutdown with `shutdown({ timeout })`). Outside a worker task's thread
 * the call does nothing.
 *
 * ```ts
 * import { onTeardown } from 'ferris-executor/worker'
 *
 * const db = await openDatabase()
 * onTeardown(() => db.close())
 * ```
 */
export function onTeardown(fn: () => unknown): void {
  if (typeof fn !== 'function') throw new TypeError('onTeardown takes a function')
  workerHooks()?.onTeardown(fn)
}
