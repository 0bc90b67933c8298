/**
 * `ferris-executor/bullmq`: the executor's tasks over a BullMQ queue on Redis, for work that
 * outgrows one machine. Every machine runs `serve` (its jobs on all its cores); callers
 * anywhere use a `QueueExecutor`, with the executor's API and the same `Future`s.
 *
 * Needs the optional peer dependency `bullmq` (and its Redis client, `ioredis`).
 *
 * ```ts
 * import { Executor, kernels } from 'ferris-executor'
 * import { QueueExecutor, serve } from 'ferris-executor/bullmq'
 *
 * const connection = { host: '127.0.0.1', port: 6379 }
 * const tasks = { spin: kernels.spin }
 * const server = serve(new Executor(), { queue: 'cpu', connection, tasks })
 * await using client = new QueueExecutor<typeof tasks>({ queue: 'cpu', connection })
 * console.log(await client.submit('spin', [1_000_000]))
 * ```
 *
 * @module ferris-executor/bullmq
 */
export { serve, type Server, type ServeOptions, type ServeWorkerOptions, type ServedTask, type TaskMap } from './serve.js'
export {
  type QueueExecutorOptions,
  type QueueSubmitOptions,
  type QueueCloseOptions,
  type QueueStats,
  type TaskArgs,
  type TaskResult,
} from './options.js'
export { QueueExecutor } from './queue-executor.js'
export { UnknownTaskError, BadJobError, JobFailedError } from './errors.js'
