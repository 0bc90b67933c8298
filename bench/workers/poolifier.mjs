/** poolifier 5: a FixedThreadPool over a worker script exporting the tasks by name. */
import { fileURLToPath } from 'node:url'

import { FixedThreadPool, PoolEvents } from 'poolifier'

export async function open({ threads }) {
  const pool = new FixedThreadPool(threads, fileURLToPath(new URL('./poolifier-worker.mjs', import.meta.url)))
  if (!pool.info.ready) await new Promise((resolve) => pool.emitter.once(PoolEvents.ready, resolve))
  return {
    run: (name, arg) => pool.execute(arg, name),
    close: () => pool.destroy(),
  }
}
