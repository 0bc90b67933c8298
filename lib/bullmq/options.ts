/** The options, statistics and task typing of `QueueExecutor`. */
import type { ConnectionOptions, DefaultJobOptions } from 'bullmq'

import type { Kernel } from '../kernels.js'
import type { WorkerTask } from '../workers/worker-task.js'
import type { TaskPriority } from '../scheduling.js'

/**
 * Options of `new QueueExecutor()`.
 *
 * ```ts
 * const client = new QueueExecutor({ queue: 'cpu', connection: { host: '127.0.0.1', port: 6379 } })
 * ```
 */
export interface QueueExecutorOptions {
  /** The BullMQ queue's name (the one `serve` takes jobs from). */
  queue: string
  /** How to reach Redis: ioredis options (`{ host, port, password, ... }`) or a client. */
  connection: ConnectionOptions
  /** BullMQ's key prefix. Default `'bull'`, as BullMQ's. */
  prefix?: string
  /**
   * BullMQ options of every job (`attempts`, `backoff`, `removeOnComplete`, `removeOnFail`).
   * Default: finished jobs are kept an hour (completed) or a week (failed); a future gets its
   * result from the queue's event stream, so removing them at once is safe too.
   */
  jobOptions?: DefaultJobOptions
  /** Receives connection errors (BullMQ retries them); default: a process warning per distinct message. */
  onError?: (error: Error) => void
}

/**
 * Options of one `submit`; an unknown key is refused with `TypeError`.
 *
 * ```ts
 * client.submit('spin', [1e6], { priority: TaskPriority.HIGH, timeout: 5_000, signal })
 * ```
 */
export interface QueueSubmitOptions {
  /** Mapped to BullMQ priorities (HIGH 1, NORMAL 2, LOW 3). Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority
  /** Aborting removes the job if it is still waiting; its future then rejects with `CancelledError`. */
  signal?: AbortSignal
  /** Most milliseconds the job may run on the serving executor (queued time does not count); then it fails with `TimeoutError`. */
  timeout?: number
}

/**
 * Options of `close()`.
 *
 * ```ts
 * await client.close({ cancelPending: true })
 * ```
 */
export interface QueueCloseOptions {
  /** Wait until every submitted job's future settles (default). Else they reject with `ExecutorShutdownError`; the jobs go on in the queue. */
  wait?: boolean
  /** First remove the jobs still waiting in the queue (their futures reject with `CancelledError`). Default false. */
  cancelPending?: boolean
}

/**
 * What `getStats()` resolves with: BullMQ's job counts of the whole queue, and the jobs this
 * client submitted.
 *
 * ```ts
 * const { queue, pendingJobs } = await client.getStats()
 * console.log(queue.waiting + queue.prioritized, 'jobs wait in Redis')
 * ```
 */
export interface QueueStats {
  /** Counts of the queue in Redis, from every client, as BullMQ's `getJobCounts` names them. */
  queue: {
    /** Waiting to be taken, without a priority. */
    waiting: number
    /** Waiting to be taken, with a priority (every job a `QueueExecutor` adds has one). */
    prioritized: number
    /** Taken by a serving process and running. */
    active: number
    /** Waiting for a delay or a retry's backoff. */
    delayed: number
    /** Completed and still kept by Redis. */
    completed: number
    /** Failed for good and still kept by Redis. */
    failed: number
  }
  /** Jobs this client submitted. */
  submittedJobs: number
  /** This client's jobs that completed. */
  completedJobs: number
  /** This client's jobs that failed (thrown, timed out, unknown name, bad data). */
  failedJobs: number
  /** This client's jobs cancelled before they ran. */
  cancelledJobs: number
  /** Submitted by this client and not settled yet. */
  pendingJobs: number
}

/**
 * The arguments of a served task, as the client passes them.
 *
 * ```ts
 * type SpinArgs = TaskArgs<typeof kernels.spin> // [iterations: number]
 * ```
 */
export type TaskArgs<T> = T extends Kernel<infer A, unknown>
  ? A
  : T extends WorkerTask<infer A, unknown>
    ? A
    : T extends (...args: infer A) => unknown
      ? A
      : unknown[]
/**
 * What a served task's future resolves with.
 *
 * ```ts
 * type SpinResult = TaskResult<typeof kernels.spin> // number
 * ```
 */
export type TaskResult<T> = T extends Kernel<unknown[], infer R>
  ? R
  : T extends WorkerTask<unknown[], infer R>
    ? R
    : T extends (...args: never[]) => infer R
      ? Awaited<R>
      : unknown
