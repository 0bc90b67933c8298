/**
 * ferris-executor: worker tasks from the tasks module (`workerTask(url, name)`), an inline
 * `workerTask(x => x + 1)`, and `map` over a worker task with its default chunk sizes (they
 * follow the items' measured cost). The API is the one of issue 14 (js-workers); the package
 * is loaded from the build in dist/.
 */
import { Executor, workerTask } from '../../dist/index.js'

export async function open({ threads, tasksUrl, maxTasksAtOnce }) {
  // The default queue bound (10 000) is below the bursts submitted at once.
  const executor = new Executor({ maxWorkers: threads, jsWorkers: threads, queueCapacity: maxTasksAtOnce })
  await executor.startWorkers()
  const tasks = {}
  for (const name of ['inc', 'square', 'cpu', 'small', 'modulo']) tasks[name] = workerTask(tasksUrl, name)
  const inc = workerTask((x) => x + 1)
  return {
    run: (name, arg) => executor.submit(tasks[name], [arg]),
    /** Awaits `futures` without a promise per future (the figure next to Promise.all's). */
    settled: (futures) =>
      new Promise((done) => {
        let left = futures.length
        for (const future of futures) future.addDoneCallback(() => --left === 0 && done(futures.map((f) => f._value())))
      }),
    openInline: async () => ({ run: (arg) => executor.submit(inc, [arg]), close: async () => {} }),
    map: (items, name = 'square') => executor.map(tasks[name], items),
    close: () => executor.shutdown(),
  }
}
