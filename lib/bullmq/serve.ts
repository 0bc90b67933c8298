/** `serve`: a BullMQ worker that runs a queue's jobs on a local `Executor`. */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type WorkerOptions } from 'bullmq'

import type { Executor } from '../executor.js'
import { isKernel, type Kernel } from '../kernels.js'
import { isWorkerTask, type WorkerTask } from '../workers/worker-task.js'
import { encodeError, encodeValue } from './codec.js'
import { BadJobError, UnknownTaskError } from './errors.js'
import { readJob, type JobData } from './job-data.js'
import { errorReporter } from './report.js'

/**
 * What a job name can stand for: anything the serving executor's `submit` and `map` run, a
 * native kernel (built-in or from `registerKernels`), a `workerTask` (CPU-bound JavaScript,
 * on the serving process's worker threads; a module's export is loaded there by its URL on
 * that machine) or a function (run on the serving process's main thread, for I/O-bound
 * work). The job only names it, so only the serving side needs the code.
 *
 * ```ts
 * const tasks = {
 *   spin: kernels.spin,
 *   parse: workerTask(new URL('./parse.mjs', import.meta.url), 'parse'),
 *   fetchStatus: async (url: string) => (await fetch(url)).status,
 * } satisfies TaskMap
 * ```
 */
export type ServedTask = Kernel | WorkerTask | ((...args: never[]) => unknown)

/**
 * The `tasks` option: job name to task. Type a client with it to get typed names, arguments
 * and results.
 *
 * ```ts
 * const tasks = { spin: kernels.spin } satisfies TaskMap
 * const client = new QueueExecutor<typeof tasks>({ queue: 'cpu', connection })
 * ```
 */
export type TaskMap = Readonly<Record<string, ServedTask>>

/**
 * BullMQ worker options `serve` passes on; it sets `connection`, `concurrency` and `autorun` itself.
 *
 * ```ts
 * serve(executor, { queue: 'cpu', connection, tasks, worker: { lockDuration: 60_000, maxStalledCount: 2 } })
 * ```
 */
export type ServeWorkerOptions = Omit<WorkerOptions, 'connection' | 'concurrency' | 'autorun'>

/**
 * Options of `serve`.
 *
 * ```ts
 * serve(executor, { queue: 'cpu', connection: { host: '127.0.0.1', port: 6379 }, tasks: { spin: kernels.spin } })
 * ```
 */
export interface ServeOptions {
  /** The BullMQ queue's name. */
  queue: string
  /** How to reach Redis: ioredis options (`{ host, port, password, ... }`) or a client. */
  connection: ConnectionOptions
  /** Job name to task; a job whose name is not here fails with `UnknownTaskError`. */
  tasks: TaskMap
  /** Jobs taken from the queue at once. Default: the executor's `maxWorkers`. */
  concurrency?: number
  /** More BullMQ worker options (`prefix`, `lockDuration`, `stalledInterval`, `maxStalledCount`, `name`, ...). */
  worker?: ServeWorkerOptions
  /** Receives connection errors (BullMQ retries them); default: a process warning per distinct message. */
  onError?: (error: Error) => void
}

/**
 * What `serve` returns.
 *
 * ```ts
 * const server = serve(executor, options)
 * await server.ready()
 * process.on('SIGTERM', () => void server.close())
 * ```
 */
export interface Server {
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>
  /** Takes no new jobs and resolves once the running ones are done (the executor stays up). */
  close(): Promise<void>
  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
  /** The BullMQ `Worker` underneath, for its events (`'completed'`, `'failed'`, ...). */
  readonly worker: Worker
}

/** `submit` and `map` typed for any served task: the executor checks the kind and the arguments at run time. */
type Run = {
  submit(task: ServedTask, args: readonly unknown[], options: { timeout?: number }): PromiseLike<unknown>
  map(task: ServedTask, items: Iterable<unknown>): Promise<unknown[]>
}

function checkTasks(tasks: unknown): Map<string, ServedTask> {
  if (typeof tasks !== 'object' || tasks === null) throw new TypeError('serve: tasks must be an object of job name to task')
  const map = new Map<string, ServedTask>()
  for (const [name, task] of Object.entries(tasks)) {
    if (!isKernel(task) && !isWorkerTask(task) && typeof task !== 'function') {
      throw new TypeError(`serve: tasks.${name} is not a kernel, a worker task or a function`)
    }
    map.set(name, task as ServedTask)
  }
  return map
}

/** Writes the error on the job (BullMQ keeps only its message) and gives what to throw to fail it. */
async function failWith(job: Job, error: unknown): Promise<Error> {
  const unrecoverable = error instanceof UnknownTaskError || error instanceof BadJobError
  // (garbage data stays as it was: there is no client of ours to read an error from it)
  if (typeof job.data === 'object' && job.data !== null && !(error instanceof BadJobError)) {
    await job.updateData({ ...(job.data as JobData), error: encodeError(error) })
  }
  const message = error instanceof Error ? error.message : String(error)
  if (unrecoverable) return new UnrecoverableError(message) // (no retry can help)
  return error instanceof Error ? error : new Error(message)
}

/**
 * Takes jobs from the queue `options.queue` and runs each on `executor`: the job's name picks
 * the task in `options.tasks`, its data (written by `QueueExecutor`) gives the arguments, and
 * its result or error goes back through Redis to the client's future. A job that throws
 * fails with its error (BullMQ's `attempts` and `backoff` apply); an unknown name or bad data
 * fails that job only, without retries. If the process dies mid-job, BullMQ's stalled-job
 * check gives the job to another serving process once its lock expires (`lockDuration`).
 *
 * ```ts
 * const executor = new Executor()
 * const server = serve(executor, { queue: 'cpu', connection: { host: '127.0.0.1', port: 6379 }, tasks: { spin: kernels.spin } })
 * await server.ready()
 * ```
 */
export function serve(executor: Executor, options: ServeOptions): Server {
  if (typeof options !== 'object' || options === null) throw new TypeError('serve: options must be an object')
  const { queue, connection, concurrency = executor.maxWorkers } = options
  if (typeof queue !== 'string' || queue === '') throw new TypeError('serve: queue must be a non-empty string')
  if (connection === undefined) throw new TypeError('serve: connection is required (where Redis is)')
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`serve: concurrency must be a positive integer, got ${concurrency}`)
  const tasks = checkTasks(options.tasks)
  const names = [...tasks.keys()].sort()
  const run = executor as unknown as Run

  const runJob = async (job: Job): Promise<string> => {
    try {
      const task = tasks.get(job.name)
      if (task === undefined) throw new UnknownTaskError(job.name, names)
      const work = readJob(job.data)
      const value =
        work.kind === 'call' ? await run.submit(task, work.args, { timeout: work.timeout }) : await run.map(task, work.items)
      return encodeValue(value, work.compact)
    } catch (error) {
      throw await failWith(job, error)
    }
  }

  const worker = new Worker(queue, runJob, { ...options.worker, connection, concurrency, autorun: true })
  worker.on('error', errorReporter(`serve(${queue})`, options.onError))
  const close = (): Promise<void> => worker.close()
  return {
    worker,
    ready: () => worker.waitUntilReady().then(() => undefined),
    close,
    [Symbol.asyncDispose]: close,
  }
}
