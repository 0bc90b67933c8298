/**
 * `ferris-executor/worker`: what a worker task's module can import, to talk to its executor
 * from inside the worker thread.
 *
 * ```ts
 * import { onTeardown, progress } from 'ferris-executor/worker'
 * ```
 *
 * @module ferris-executor/worker
 */
export { progress } from './progress.js'
export { onTeardown } from './teardown.js'
