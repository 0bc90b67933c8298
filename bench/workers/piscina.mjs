/** piscina 5: the tasks module's exports picked by `name`; minThreads = maxThreads. */
import { Piscina } from 'piscina'

export async function open({ threads, tasksUrl }) {
  const pool = new Piscina({ filename: tasksUrl.href, minThreads: threads, maxThreads: threads })
  return {
    run: (name, arg) => pool.run(arg, { name }),
    close: () => pool.destroy(),
  }
}
