/**
 * `ferris-executor/worker`: what a worker task's module can import, to talk to its executor
 * from inside the worker thread.
 *
 * ```ts
 * import { onTeardown, progress, transfer } from 'ferris-executor/worker'
 * ```
 *
 * @module ferris-executor/worker
 */
export { progress } from './progress.js'
export { onTeardown } from './teardown.js'
export { transfer, type Transfer, type Transferable } from './transfer.js'
