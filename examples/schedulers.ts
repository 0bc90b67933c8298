/**
 * Schedulers: a mix of quick (urgent) and slow (background) tasks under the default
 * `WorkStealingScheduler` and under `FifoScheduler`, one shared first-in first-out queue.
 *
 * The work-stealing scheduler keeps one queue per priority, so the quick tasks overtake the
 * slow ones queued before them; FIFO runs everything in submission order, so each quick task
 * waits for the slow ones ahead of it. Both finish the whole batch in about the same time.
 * (Both let idle workers steal the forked halves of kernels such as `sort`; here, the
 * difference you see comes from the priority queues.)
 *
 *   npm run build:examples && node examples/schedulers.js
 */
import { Executor, FifoScheduler, TaskPriority, WorkStealingScheduler, kernels, type Future, type Scheduler } from 'ferris-executor'

async function run(scheduler: Scheduler): Promise<{ quickMs: number; totalMs: number }> {
  const executor = new Executor({ maxWorkers: 2, scheduler })
  try {
    const start = performance.now()
    const quickLatencies: Promise<number>[] = []
    const all: Future<unknown>[] = []
    for (let i = 0; i < 12; i++) {
      // A slow background job (30 ms), then a quick urgent one (about 0.1 ms of CPU).
      all.push(executor.submit(kernels.sleep, [30], { priority: TaskPriority.LOW }))
      const submitted = performance.now()
      const quick = executor.submit(kernels.spin, [100_000], { priority: TaskPriority.HIGH })
      quickLatencies.push(quick.then(() => performance.now() - submitted))
      all.push(quick)
    }
    const latencies = await Promise.all(quickLatencies)
    await Promise.all(all)
    return { quickMs: latencies.reduce((a, b) => a + b, 0) / latencies.length, totalMs: performance.now() - start }
  } finally {
    await executor.shutdown()
  }
}

const stealing = await run(new WorkStealingScheduler())
const fifo = await run(new FifoScheduler())
for (const [name, r] of [['WorkStealingScheduler', stealing], ['FifoScheduler', fifo]] as const) {
  console.log(`${name.padEnd(22)} quick tasks wait ${r.quickMs.toFixed(1).padStart(6)} ms on average, batch done in ${r.totalMs.toFixed(0)} ms`)
}
console.log(`quick tasks finish ${(fifo.quickMs / stealing.quickMs).toFixed(1)}x sooner with priorities`)
