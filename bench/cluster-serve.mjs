/**
 * One serving process of `bench/cluster.mjs`: `node cluster-serve.mjs <config JSON>`, config
 * `{ port, queue, kind }`. `kind` 'ferris': `serve` on an executor of one worker (so
 * concurrency 1); 'plain': a plain BullMQ `Worker` of concurrency 1 running `echo`, the same
 * JS function the 'ferris' side serves as its trivial task. Prints `ready`, serves until killed.
 */
import { Worker } from 'bullmq'

import { Executor, kernels } from '../dist/index.js'
import { serve } from '../dist/lib/bullmq/index.js'

/** The trivial job of both sides. */
const echo = (x) => x

const { port, queue, kind } = JSON.parse(process.argv[2])
const connection = { host: '127.0.0.1', port }
if (kind === 'ferris') {
  const server = serve(new Executor({ maxWorkers: 1 }), { queue, connection, tasks: { spin: kernels.spin, echo } })
  await server.ready()
} else {
  const worker = new Worker(queue, async (job) => echo(job.data.x), { connection, concurrency: 1 })
  await worker.waitUntilReady()
}
process.stdout.write('ready\n')
