/** Errors of `ferris-executor/bullmq`, each with a stable `code`, like the package's own. */
import { ExecutorError } from '../errors.js'

/**
 * A job named a task the serving process does not have in its `tasks`. The job fails at once
 * (no retry: another attempt would not find it either).
 *
 * ```ts
 * const error = await client.submit('noSuchTask', []).exception()
 * console.log(error instanceof UnknownTaskError && error.task) // 'noSuchTask'
 * ```
 */
export class UnknownTaskError extends ExecutorError {
  /** The job's name. */
  readonly task: string
  /** Names the process serves, sorted. */
  readonly known: readonly string[]

  /** Raised by `serve`; code `ERR_FERRIS_UNKNOWN_TASK`. */
  constructor(task: string, known: readonly string[]) {
    super('ERR_FERRIS_UNKNOWN_TASK', `no task named ${JSON.stringify(task)} is served on this queue (served: ${known.join(', ') || 'none'})`)
    this.task = task
    this.known = known
  }
}

/**
 * A job's data is not what `QueueExecutor` writes (a job added by hand, or by another
 * program): that job fails, without retries, and the serving process goes on.
 *
 * ```ts
 * await queue.add('spin', { args: 'garbage' }) // fails with BadJobError in `failedReason`
 * ```
 */
export class BadJobError extends ExecutorError {
  /** Raised by `serve`; code `ERR_FERRIS_BAD_JOB`. `options.cause`: the decoding error, if any. */
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_FERRIS_BAD_JOB', `bad job data: ${reason}`, options)
  }
}

/**
 * A job failed without an error written by `serve`: BullMQ failed it itself (it stalled more
 * than `maxStalledCount` times, say), or a worker that is not `serve` took it. BullMQ's
 * reason is kept.
 *
 * ```ts
 * if (error instanceof JobFailedError) console.log(error.jobId, error.failedReason)
 * ```
 */
export class JobFailedError extends ExecutorError {
  /** The BullMQ job id. */
  readonly jobId: string
  /** BullMQ's `failedReason`. */
  readonly failedReason: string

  /** Raised by `QueueExecutor`; code `ERR_FERRIS_JOB_FAILED`. */
  constructor(jobId: string, failedReason: string) {
    super('ERR_FERRIS_JOB_FAILED', `job ${jobId} failed: ${failedReason}`)
    this.jobId = jobId
    this.failedReason = failedReason
  }
}
