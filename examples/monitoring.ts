/**
 * Monitoring: while tasks run, a loop prints progress, CPU use and memory every second, from
 * `getStats()`, `getCpuUsage()` and `getMemoryUsage()`; the `'idle'` event ends it.
 *
 *   npm run build:examples && node examples/monitoring.js
 */
import { once } from 'node:events'

import { Executor, kernels } from 'ferris-executor'

const executor = new Executor()
try {
  // Size the work to keep every core busy for a second or two on this machine.
  const t0 = performance.now()
  await executor.submit(kernels.spin, [5_000_000])
  const msPerIteration = (performance.now() - t0) / 5_000_000
  const TASKS = 4 * executor.maxWorkers
  const iterations = Math.round(1200 / msPerIteration / 4)

  const before = executor.getStats().completedTasks
  executor.getCpuUsage() // the first reading only starts the measurement (it returns 0)
  for (let i = 0; i < TASKS; i++) executor.submit(kernels.spin, [iterations])

  const report = (): void => {
    const stats = executor.getStats()
    const cpu = executor.getCpuUsage() // percent of one core: up to 100 x cores
    const mib = executor.getMemoryUsage() / 2 ** 20
    console.log(
      `${stats.completedTasks - before}/${TASKS} done, ${stats.activeThreads} running, ${stats.queuedTasks} queued | ` +
        `CPU ${cpu.toFixed(0)} % | RSS ${mib.toFixed(0)} MiB | utilization ${(stats.utilization * 100).toFixed(0)} %`,
    )
  }
  const timer = setInterval(report, 1000)
  await once(executor, 'idle') // nothing queued or running any more
  clearInterval(timer)
  report()
  const { runTime, waitTime } = executor.getStats()
  console.log(`run time p50 ${runTime.p50.toFixed(1)} ms, wait time p90 ${waitTime.p90.toFixed(1)} ms`)
} finally {
  await executor.shutdown()
}
