/**
 * One serving process of `bench/cluster.mjs`: `node cluster-serve.mjs <config JSON>`, config
 * `{ port, queue, kind }`. `kind` 'ferris': `serve` on an executor of one worker (so
 * concurrency 1); 'plain': a plain BullMQ `Worker` of concurrency 1 running `echo`, the same
 * JS function the 'ferris' side serves as its trivial task; 'plain-executor': the same plain
 * worker calling `executor.submit(echo, [x])` on an executor of one worker (where the cost of
 * the executor itself shows); 'local': no queue, an executor of one worker that runs
 * `spin(iterations)` `n` times for each line `n iterations` on stdin and answers `done` (the
 * ceiling of the CPU-bound figure). Prints `ready`, serves until killed.
 */
import { createInterface } from 'node:readline'

import { Worker } from 'bullmq'

import { Executor, kernels } from '../dist/index.js'
import { serve } from '../dist/lib/bullmq/index.js'

/** The trivial job of both sides. */
const echo = (x) => x

const { port, queue, kind } = JSON.parse(process.argv[2])
const connection = { host: '127.0.0.1', port }
if (kind === 'local') {
  const executor = new Executor({ maxWorkers: 1 })
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const [n, iterations] = line.split(' ').map(Number)
    for (let i = 0; i < n; i++) await executor.submit(kernels.spin, [iterations])
    process.stdout.write('done\n')
  })
} else if (kind === 'ferris') {
  const server = serve(new Executor({ maxWorkers: 1 }), { queue, connection, tasks: { spin: kernels.spin, echo } })
  await server.ready()
} else {
  const executor = kind === 'plain-executor' ? new Executor({ maxWorkers: 1 }) : undefined
  const run = executor ? (job) => executor.submit(echo, [job.data.x]) : async (job) => echo(job.data.x)
  const worker = new Worker(queue, run, { connection, concurrency: 1 })
  await worker.waitUntilReady()
}
process.stdout.write('ready\n')
