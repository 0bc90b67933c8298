/**
 * Worker tasks: JavaScript functions run on worker threads, in parallel, with the executor's
 * priorities, queue, timeouts and statistics. A module's export and an inline function; a
 * buffer moved to a worker instead of copied, and one shared with two workers; a timeout that
 * stops a task stuck in a loop; a task that kills its worker, which fails that task only;
 * progress reports; recycling the workers; and `destroy()`, the last resort.
 *
 *   npm run build:examples && node examples/worker-tasks.js
 */
import { Executor, ExecutorShutdownError, TaskPriority, TimeoutError, WorkerExitError, workerTask } from 'ferris-executor'

// Types only: the module itself is imported by each worker, never by the main thread.
import type * as Work from './work.mjs'

const WORK = new URL('./work.mjs', import.meta.url)
// `typeof Work.digest` gives the task its argument and result types, checked by submit and map.
const digest = workerTask<typeof Work.digest>(WORK, 'digest')
const invert = workerTask<typeof Work.invert>(WORK, 'invert')
const squaresInto = workerTask<typeof Work.squaresInto>(WORK, 'squaresInto')
const countPrimes = workerTask<typeof Work.countPrimes>(WORK, 'countPrimes')
const runsHere = workerTask<typeof Work.runsHere>(WORK, 'runsHere')

// An inline function travels as source text: it may use its arguments and globals only.
const collatzSteps = workerTask((n: number) => {
  let steps = 0
  for (; n !== 1; steps++) n = n % 2 === 0 ? n / 2 : 3 * n + 1
  return steps
})

const executor = new Executor({ maxWorkers: 2 }) // jsWorkers defaults to maxWorkers
try {
  await executor.startWorkers()

  const hex = await executor.submit(digest, ['ferris', 100_000], { priority: TaskPriority.HIGH })
  console.log(`module export: sha256 of "ferris" x 100000 = ${hex.slice(0, 16)}...`)

  const starts = Array.from({ length: 9_999 }, (_, i) => i + 1)
  const steps = await executor.map(collatzSteps, starts, { chunkSize: 500 })
  const longest = steps.indexOf(Math.max(...steps))
  console.log(`inline function: below 10000, the longest Collatz chain starts at ${starts[longest]} (${steps[longest]} steps)`)

  // The closure rule: `limit` exists here, not in the worker.
  const limit = 10
  const belowLimit = workerTask((n: number) => n < limit)
  const outside = await executor.submit(belowLimit, [5]).catch((error: unknown) => error)
  if (outside instanceof ReferenceError) console.log(`outer variable: ReferenceError: ${outside.message.slice(0, outside.message.indexOf(':'))}`)

  // Transfer: the buffer moves to the worker and back without a copy; the caller's view is detached.
  const pixels = new Uint8Array(640 * 480).fill(200)
  const inverted = await executor.submit(invert, [pixels], { transfer: [pixels.buffer] })
  console.log(`transfer: ${inverted.length} pixels inverted to ${inverted[0]}; the caller's array now has ${pixels.length} elements`)

  // Shared memory: both workers write into the caller's SharedArrayBuffer, nothing is copied.
  const squares = new Float64Array(new SharedArrayBuffer(8 * 1_000))
  const written = await Promise.all([executor.submit(squaresInto, [squares, 0, 500]), executor.submit(squaresInto, [squares, 500, 1_000])])
  console.log(`shared memory: ${written[0] + written[1]} squares written in place, squares[999] = ${squares[999]}`)

  // A run-time limit stops a worker task for real: its worker is terminated and replaced.
  const stuck = workerTask(() => {
    for (;;);
  })
  const late = await executor.submit(stuck, [], { timeout: 100 }).catch((error: unknown) => error)
  if (late instanceof TimeoutError) console.log(`timeout: ${late.code}: ${late.message}`)

  // A task that ends its worker fails alone, with WorkerExitError; the executor goes on.
  const exit = workerTask((code: number) => process.exit(code))
  const crash = await executor.submit(exit, [3]).catch((error: unknown) => error)
  if (crash instanceof WorkerExitError) console.log(`crash: ${crash.code}, exit code ${crash.exitCode}`)
  console.log(`after the crash: ${(await executor.map(collatzSteps, [27, 97, 871])).join(' ')}`)

  // Progress: the task calls progress() (from 'ferris-executor/worker'); every report reaches
  // onProgress, in order, before the result does.
  const reports: number[] = []
  const primes = await executor.submit(countPrimes, [200_000], { onProgress: (percent) => reports.push(percent as number) })
  console.log(`progress: ${primes} primes below 200000, reported at ${reports.join(' ')} %`)

  // Recycling: each worker is replaced once its current task ends, with fresh module state
  // (for modules that leak); `maxTasksPerWorker` does the same after so many tasks.
  await executor.submit(runsHere, [])
  await executor.recycleWorkers()
  console.log(`recycling: after recycleWorkers(), the module has run ${await executor.submit(runsHere, [])} task in its new worker`)

  const { completedTasks, failedTasks, workers } = executor.getStats()
  console.log(`tasks: ${completedTasks} completed, ${failedTasks} failed; workers: ${workers.alive} alive, ${workers.started} started, ${workers.retired} retired`)

  // destroy(): the last resort. It stops what runs (here a task that would loop forever, which
  // no signal or timeout guards), rejects it with ExecutorShutdownError and ends every thread.
  const running = new Int32Array(new SharedArrayBuffer(4))
  const endless = executor.submit(workerTask((flag: Int32Array) => {
    Atomics.store(flag, 0, 1)
    for (;;);
  }), [running])
  while (Atomics.load(running, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 1))
  await executor.destroy()
  const stopped = await endless.catch((error: unknown) => error)
  if (stopped instanceof ExecutorShutdownError) console.log(`destroy: the endless task rejected with ${stopped.code}; ${executor.getStats().workers.alive} workers alive`)
} finally {
  await executor.shutdown() // harmless after destroy()
}
