/**
 * Churn: executors and whole JavaScript environments created and destroyed while they work.
 *
 * 1. `workers` worker_threads, `parallel` at a time: each loads the addon, creates an
 *    executor, submits native kernels (some sleeping far longer than the test) and JS tasks,
 *    reports that a kernel is running, and is terminated right then, mid-task. Its pool must
 *    stop (running kernels are asked to stop, queued tasks dropped) without touching the dead
 *    environment.
 * 2. The main thread's own executor still works afterwards.
 * 3. `executors` executors created, given a little work, and shut down, one after another.
 *
 *   npm run churn                                  # 200 workers, 1 000 executors
 *   node bench/churn.mjs --workers 20 --executors 100
 *
 * Prints its figures; exits 0 only if everything checked out and nothing keeps the process
 * alive (the exit itself is part of the test).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

import { Executor, kernels } from '../dist/index.js'
import { option } from './options.mjs'

const WORKERS = option('workers', 200)
const PARALLEL = option('parallel', 8)
const EXECUTORS = option('executors', 1000)

const PACKAGE = new URL('../dist/index.js', import.meta.url).href
const WORKER_SOURCE = `
import { parentPort } from 'node:worker_threads'
const { Executor, kernels } = await import(${JSON.stringify(PACKAGE)})
const executor = new Executor({ maxWorkers: 2, queueCapacity: 64 })
const futures = []
futures.push(executor.submit(kernels.sleep, [60_000]))
futures.push(executor.submit(kernels.spin, [1e15]))
for (let i = 0; i < 20; i++) futures.push(executor.submit(kernels.spin, [1000]))
for (let i = 0; i < 20; i++) futures.push(executor.submit(async (x) => x * 2, [i]))
const poll = () => (futures[0].running() || futures[1].running() ? parentPort.postMessage('running') : setTimeout(poll, 1))
poll()
`

function churnOneWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, type: 'module' })
    let terminated = false
    worker.on('message', (message) => {
      if (message === 'running' && !terminated) {
        terminated = true
        worker.terminate().then(() => resolve(), reject)
      }
    })
    worker.on('error', reject)
    worker.on('exit', (code) => {
      if (!terminated) reject(new Error(`worker exited on its own with code ${code} before its task ran`))
    })
  })
}

const started = performance.now()
let rssPeak = 0
const queue = Array.from({ length: WORKERS }, (_, i) => i)
await Promise.all(
  Array.from({ length: PARALLEL }, async () => {
    while (queue.shift() !== undefined) {
      await churnOneWorker()
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
    }
  }),
)
const workerSeconds = (performance.now() - started) / 1000
console.log(`churn: ${WORKERS} worker threads (${PARALLEL} at a time) loaded the addon, started work and were terminated mid-task in ${workerSeconds.toFixed(1)} s; peak RSS ${(rssPeak / 2 ** 20).toFixed(0)} MiB`)

// The main thread's executor still works.
{
  const executor = new Executor({ maxWorkers: availableParallelism() })
  const [native, js] = await Promise.all([executor.submit(kernels.spin, [10]), executor.submit(async () => 'js')])
  await executor.shutdown()
  if (typeof native !== 'number' || js !== 'js') throw new Error(`main thread executor gave ${native}, ${js}`)
  console.log('churn: the main thread executor still works')
}

const loopStarted = performance.now()
for (let i = 0; i < EXECUTORS; i++) {
  const executor = new Executor({ maxWorkers: 2, queueCapacity: 16 })
  const a = executor.submit(kernels.spin, [100])
  const b = executor.submit((x) => x + 1, [i])
  await executor.shutdown()
  if (!a.done() || (await b) !== i + 1) throw new Error(`executor ${i}: its work did not finish before shutdown resolved`)
  if ((i & 63) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
}
const loopSeconds = (performance.now() - loopStarted) / 1000
console.log(`churn: ${EXECUTORS} executors created, used and shut down in ${loopSeconds.toFixed(1)} s (${((loopSeconds / EXECUTORS) * 1000).toFixed(2)} ms each); peak RSS ${(rssPeak / 2 ** 20).toFixed(0)} MiB`)
console.log(JSON.stringify({ workers: WORKERS, workerSeconds, executors: EXECUTORS, loopSeconds, peakRssMiB: Math.round(rssPeak / 2 ** 20) }))
// Nothing else: the process must now exit by itself.
