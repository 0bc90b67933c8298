/** `progress()`: a worker task's reports to its caller's `onProgress`. */
import { workerHooks } from './hooks.js'

/**
 * Reports `value` (structured-cloned) to the `onProgress` callback the running worker task
 * was submitted with. Reports arrive in order, before the task's future settles; none arrives
 * after it. A task submitted without `onProgress`, and code outside a worker task (a unit test
 * calling the task function on the main thread), report to nobody: the call does nothing.
 * Throws `DataCloneError` for a value that cannot be cloned.
 *
 * One task runs at a time on a worker, and a report goes to the task running when it is made:
 * a callback an earlier task left behind (a timer) reports to whichever task runs then.
 *
 * ```ts
 * import { progress } from 'ferris-executor/worker'
 *
 * export function resize(images: string[]): number {
 *   images.forEach((image, i) => {
 *     // ... work on image ...
 *     progress((i + 1) / images.length)
 *   })
 *   return images.length
 * }
 * ```
 */
export function progress(value: unknown): void {
  workerHooks()?.progress(value)
}
