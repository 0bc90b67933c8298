/**
 * workerpool 10: a dedicated worker script registering the tasks by name (`exec('inc', [x])`);
 * its inline form sends a function as source text (`exec(fn, [x])`) to the default worker.
 */
import { fileURLToPath } from 'node:url'

import workerpool from 'workerpool'

export async function open({ threads }) {
  const options = { minWorkers: threads, maxWorkers: threads, workerType: 'thread' }
  const pool = workerpool.pool(fileURLToPath(new URL('./workerpool-worker.mjs', import.meta.url)), options)
  return {
    run: (name, arg) => pool.exec(name, [arg]),
    // A script's workers run only its registered methods: inline functions need a pool of
    // default workers, opened only while that figure is measured.
    openInline: async () => {
      const inline = workerpool.pool(options)
      return { run: (arg) => inline.exec((x) => x + 1, [arg]), close: () => inline.terminate() }
    },
    close: () => pool.terminate(),
  }
}
