/** tinypool 2: the tasks module's exports picked by `name`; minThreads = maxThreads. */
import Tinypool from 'tinypool'

export async function open({ threads, tasksUrl }) {
  const pool = new Tinypool({ filename: tasksUrl, minThreads: threads, maxThreads: threads })
  return {
    run: (name, arg) => pool.run(arg, { name }),
    close: () => pool.destroy(),
  }
}
