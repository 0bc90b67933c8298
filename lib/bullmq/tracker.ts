/**
 * `JobTracker`: the jobs a `QueueExecutor` submitted and not yet settled, and how the queue's
 * event stream settles their futures.
 *
 * Protocol:
 * - A future settles from the queue's Redis event stream (`QueueEvents`), which holds every
 *   job's events in the order Redis applied them. Reading resumes from the last id read after
 *   a lost connection, and the stream is in Redis's append-only file, so events that happen
 *   while this client is cut off are read once it is back.
 * - The reader starts from the stream's last id read before the first job is added (not from
 *   `$`, which would be resolved only when its first read reaches Redis and could skip the
 *   events of jobs added in between).
 * - Job ids are chosen here (`<client uuid>-<n>`), so a job is tracked before Redis knows it,
 *   and the events of other clients' jobs are ignored.
 * - Each job settles once: the first of `completed`, `failed` or `removed` wins, later ones
 *   are ignored. A job completed before a late `queue.remove()` deleted it is settled by its
 *   `completed` event, which the stream holds before the `removed` one.
 * - The stream keeps only about the last 10 000 events (BullMQ's `maxLenEvents`), so a
 *   reader cut off for long may find the events of its jobs trimmed away. Each time the
 *   reader's connection comes back after a loss, every pending job that Redis has is read
 *   from the job itself: a finished one settles from its state, one no longer in Redis
 *   (removed, or its result dropped by `removeOnComplete`) fails with `JobFailedError`.
 */
import { Job, type Queue, type QueueEvents, type RedisQueueBackend } from 'bullmq'

import { CancelledError } from '../errors.js'
import type { Future } from '../future.js'
import { JobFailedError } from './errors.js'
import type { JobData } from './job-data.js'

/** A submitted job that has not settled. */
export interface Sent {
  readonly jobId: string
  readonly future: Future<unknown>
  readonly name: string
  readonly data: JobData
  /** BullMQ priority. */
  readonly priority: number
  detach: (() => void) | undefined
  /** Redis has the job (its `addBulk` succeeded). */
  added: boolean
}

type Outcome = 'completed' | 'failed' | 'cancelled'

export interface TrackerHandlers {
  completed(sent: Sent, returnvalue: unknown): void
  failed(sent: Sent, failedReason: string): void
}

/** The stream's last entry id, or `0-0` for an empty stream. */
const LAST_EVENT_ID_LUA = `local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 then return '0-0' end
return last[1][1]`

export class JobTracker {
  readonly #handlers: TrackerHandlers
  readonly #pending = new Map<string, Sent>()
  readonly #byFuture = new WeakMap<Future<unknown>, Sent>()
  readonly #counters = { submittedJobs: 0, completedJobs: 0, failedJobs: 0, cancelledJobs: 0 }
  #events: QueueEvents | undefined
  #reconciling: Promise<void> | undefined
  #idle: Array<() => void> = []

  constructor(handlers: TrackerHandlers) {
    this.#handlers = handlers
  }

  add(jobId: string, future: Future<unknown>, name: string, data: JobData, priority: number, signal: AbortSignal | undefined): Sent {
    const sent: Sent = { jobId, future, name, data, priority, detach: undefined, added: false }
    if (signal !== undefined) {
      const onAbort = (): void => void future.cancel()
      signal.addEventListener('abort', onAbort, { once: true })
      sent.detach = () => signal.removeEventListener('abort', onAbort)
    }
    this.#pending.set(jobId, sent)
    this.#byFuture.set(future, sent)
    this.#counters.submittedJobs++
    return sent
  }

  /** The pending job of `future`. */
  of(future: Future<unknown>): Sent | undefined {
    const sent = this.#byFuture.get(future)
    return sent !== undefined && this.#pending.get(sent.jobId) === sent ? sent : undefined
  }

  pending(): Sent[] {
    return [...this.#pending.values()]
  }

  /** Settles `sent` with `settle` unless it is already settled. */
  settle(sent: Sent, settle: (future: Future<unknown>) => void, outcome: Outcome): void {
    if (this.#pending.get(sent.jobId) !== sent) return
    this.#pending.delete(sent.jobId)
    sent.detach?.()
    this.#counters[`${outcome}Jobs`]++
    settle(sent.future)
    if (this.#pending.size === 0) for (const wake of this.#idle.splice(0)) wake()
  }

  /** Rejects every pending future with `makeError()`. */
  abandon(makeError: () => Error): void {
    for (const sent of this.pending()) this.settle(sent, (f) => f._reject(makeError()), 'failed')
  }

  /** Resolves once nothing is pending. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  counters(): { submittedJobs: number; completedJobs: number; failedJobs: number; cancelledJobs: number; pendingJobs: number } {
    return { ...this.#counters, pendingJobs: this.#pending.size }
  }

  /** Where the event reader starts (see the protocol). */
  async lastEventId(queue: Queue): Promise<string> {
    const client = await (queue.getBackend() as RedisQueueBackend).client
    client.defineCommand('ferrisLastEventId', { numberOfKeys: 1, lua: LAST_EVENT_ID_LUA })
    return String(await client.runCommand('ferrisLastEventId', [queue.keys.events]))
  }

  listen(events: QueueEvents, queue: Queue): void {
    this.#events = events
    let lost = false
    events.on('ioredis:close', () => (lost = true))
    ;(events.getBackend() as RedisQueueBackend).on('ready', () => {
      if (!lost) return
      lost = false
      this.#reconciling ??= this.#reconcile(queue).finally(() => (this.#reconciling = undefined))
    })
    events.on('completed', ({ jobId, returnvalue }) => {
      const sent = this.#pending.get(jobId)
      if (sent !== undefined) this.#handlers.completed(sent, returnvalue)
    })
    events.on('failed', ({ jobId, failedReason }) => {
      const sent = this.#pending.get(jobId)
      if (sent !== undefined) this.#handlers.failed(sent, failedReason)
    })
    events.on('active', ({ jobId }) => this.#pending.get(jobId)?.future._markRunning())
    events.on('removed', ({ jobId }) => {
      const sent = this.#pending.get(jobId)
      if (sent !== undefined) this.settle(sent, (f) => f._cancel(new CancelledError('the job was removed from the queue')), 'cancelled')
    })
  }

  /** Settles the pending jobs that finished or vanished while the reader was cut off (see the protocol). */
  async #reconcile(queue: Queue): Promise<void> {
    for (const sent of this.pending()) {
      if (!sent.added) continue
      let job: Job | undefined
      let state: string
      try {
        // (the state first: it only moves on, so a job found finished has its outcome in its hash)
        state = await queue.getJobState(sent.jobId)
        if (state === 'completed' || state === 'failed') job = await Job.fromId(queue, sent.jobId)
      } catch {
        return // (cut off again: the next reconnection reads them)
      }
      if (this.#pending.get(sent.jobId) !== sent) continue // (its event came meanwhile)
      if (job !== undefined && state === 'completed') this.#handlers.completed(sent, job.returnvalue)
      else if (job !== undefined && state === 'failed') this.#handlers.failed(sent, job.failedReason)
      else if (state === 'unknown' || state === 'completed' || state === 'failed') {
        const error = new JobFailedError(sent.jobId, 'it is no longer in the queue, and its outcome was not seen (removed, or its result dropped by removeOnComplete)')
        this.settle(sent, (f) => f._reject(error), 'failed')
      }
    }
  }

  close(): Promise<void> {
    return this.#events?.close() ?? Promise.resolve()
  }
}
