/**
 * One serving process of `bench/cluster.mjs`: `node cluster-serve.mjs <config JSON>`, config
 * `{ port, queue, kind }`. `kind` 'ferris': `serve` on an executor of one worker and one
 * worker thread (so concurrency 1), serving `spin` (a kernel), `fib` (a worker task: the JS
 * twin from twins.mjs, loaded on the worker thread) and `echo`; 'plain': a plain BullMQ `Worker` of concurrency 1 running `echo`, the same
 * JS function the 'ferris' side serves as its trivial task; 'plain-executor': the same plain
 * worker calling `executor.submit(echo, [x])` on an executor of one worker (where the cost of
 * the executor itself shows); 'local': no queue, the same executor and tasks, running task
 * `name(arg)` `n` times for each line `name n arg` on stdin and answering `done` (the ceiling
 * of the CPU-bound figures). Prints `ready`, serves until killed.
 */
import { createInterface } from 'node:readline'

import { Worker } from 'bullmq'

import { Executor, kernels, workerTask } from '../dist/index.js'
import { serve } from '../dist/lib/bullmq/index.js'

/** The trivial job of both sides. */
const echo = (x) => x

/** What the 'ferris' and 'local' processes run. */
const tasks = { spin: kernels.spin, fib: workerTask(new URL('./twins.mjs', import.meta.url), 'fib'), echo }

const { port, queue, kind } = JSON.parse(process.argv[2])
const connection = { host: '127.0.0.1', port }
if (kind === 'local') {
  const executor = new Executor({ maxWorkers: 1 })
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const [name, n, arg] = line.split(' ')
    for (let i = 0; i < Number(n); i++) await executor.submit(tasks[name], [Number(arg)])
    process.stdout.write('done\n')
  })
} else if (kind === 'ferris') {
  const server = serve(new Executor({ maxWorkers: 1 }), { queue, connection, tasks })
  await server.ready()
} else {
  const executor = kind === 'plain-executor' ? new Executor({ maxWorkers: 1 }) : undefined
  const run = executor ? (job) => executor.submit(echo, [job.data.x]) : async (job) => echo(job.data.x)
  const worker = new Worker(queue, run, { connection, concurrency: 1 })
  await worker.waitUntilReady()
}
process.stdout.write('ready\n')
