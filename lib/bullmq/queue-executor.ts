/** `QueueExecutor`: the executor's API on the client side of a BullMQ queue. */
import { randomUUID } from 'node:crypto'

import { Job, Queue, QueueEvents, type ConnectionOptions, type DefaultJobOptions } from 'bullmq'

import { CancelledError, ExecutorShutdownError } from '../errors.js'
import { checkTimeout, Future } from '../future.js'
import { Imap } from '../imap.js'
import { mapAll, type ImapOptions, type MapHost, type MapOptions } from '../mapping.js'
import { SHUTDOWN_OPTIONS, SUBMIT_OPTIONS, checkOptions } from '../options.js'
import { priorityLevel } from '../scheduling.js'
import { asCompleted, waitFor, type CompletedFuture, type WaitForOptions, type WaitResult } from '../waiting.js'
import { decodeError, decodeValue, encodeValue } from './codec.js'
import { JobFailedError } from './errors.js'
import { JOB_FORMAT, bullPriority, type JobData } from './job-data.js'
import type { QueueCloseOptions, QueueExecutorOptions, QueueStats, QueueSubmitOptions, TaskArgs, TaskResult } from './options.js'
import { errorReporter } from './report.js'
import type { ServedTask, TaskMap } from './serve.js'
import { JobTracker, type Sent } from './tracker.js'

/**
 * Jobs a `map` keeps in the queue at once ("queue capacity" for the shared map code), and
 * twice the jobs an `imap` keeps in flight by default ("workers"): the cluster's size is not
 * known here; these bound Redis memory and still feed dozens of serving processes.
 */
const MAP_WINDOW = 1024
const IMAP_HALF_WINDOW = 32

/**
 * The executor's API over a BullMQ queue: `submit` adds a job that any process running
 * `serve` on that queue may take, and returns a `Future` that settles when the job completes
 * or fails there. Type it with the served tasks for typed names, arguments and results:
 * `new QueueExecutor<typeof tasks>(...)`.
 *
 * ```ts
 * await using client = new QueueExecutor<typeof tasks>({ queue: 'cpu', connection: { host: '127.0.0.1', port: 6379 } })
 * const checksum = await client.submit('spin', [1_000_000]) // number
 * const all = await client.map('spin', [1e6, 2e6, 3e6])
 * ```
 */
export class QueueExecutor<T extends TaskMap = Record<string, ServedTask>> {
  readonly #queue: Queue
  readonly #tracker: JobTracker
  /** Resolves once the event reader runs; jobs are added only after (see `JobTracker`). */
  readonly #started: Promise<void>
  readonly #clientId = randomUUID()
  #seq = 0
  #closed = false
  #closing: Promise<void> | undefined
  /** `close()` is closing the connections: a late start must not open the event reader. */
  #disconnected = false
  /** Jobs submitted in this turn of the event loop, added in one `addBulk` at its end. */
  #batch: Sent[] = []

  /**
   * Connects to the queue (lazily: the first Redis command waits for the connection). Throws
   * `TypeError` for options without a queue name or a connection.
   */
  constructor(options: QueueExecutorOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('QueueExecutor: options must be an object')
    const { queue, connection, prefix } = options
    if (typeof queue !== 'string' || queue === '') throw new TypeError('QueueExecutor: queue must be a non-empty string')
    if (connection === undefined) throw new TypeError('QueueExecutor: connection is required (where Redis is)')
    const report = errorReporter(`QueueExecutor(${queue})`, options.onError)
    const defaultJobOptions: DefaultJobOptions = {
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
      ...options.jobOptions,
    }
    this.#queue = new Queue(queue, { connection, prefix, defaultJobOptions })
    this.#queue.on('error', report)
    this.#tracker = new JobTracker({
      completed: (sent, returnvalue) => this.#completed(sent, returnvalue),
      failed: (sent, failedReason) => void this.#failed(sent, failedReason),
    })
    this.#started = this.#start(queue, connection, prefix, report)
    this.#started.catch(() => {}) // (each flush reports it to its futures)
  }

  async #start(name: string, connection: ConnectionOptions, prefix: string | undefined, report: (error: Error) => void): Promise<void> {
    await this.#queue.waitUntilReady()
    const lastEventId = await this.#tracker.lastEventId(this.#queue)
    if (this.#disconnected) return
    const events = new QueueEvents(name, { connection, prefix, lastEventId })
    events.on('error', report)
    this.#tracker.listen(events, this.#queue)
    await events.waitUntilReady()
  }

  /**
   * Adds job `name` with `args` and returns its future. Throws `ExecutorShutdownError` after
   * `close()`, `TypeError` for arguments structured clone cannot copy (functions, say).
   *
   * ```ts
   * const future = client.submit('spin', [1_000_000], { priority: TaskPriority.HIGH })
   * ```
   */
  submit<K extends keyof T & string>(name: K, args: Readonly<TaskArgs<T[K]>>, options?: QueueSubmitOptions): Future<TaskResult<T[K]>>
  submit(name: string, args: readonly unknown[] = [], options: QueueSubmitOptions = {}): Future<unknown> {
    checkOptions('submit', options, SUBMIT_OPTIONS)
    if (typeof name !== 'string' || name === '') throw new TypeError('submit: the job name must be a non-empty string')
    if (!Array.isArray(args)) throw new TypeError('submit: args must be an array')
    const { signal } = options
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('submit: signal must be an AbortSignal')
    let timeout = checkTimeout(options.timeout)
    if (timeout === Infinity) timeout = undefined
    const level = priorityLevel(options.priority)
    if (signal?.aborted) throw new CancelledError('the submission was aborted', { cause: signal.reason })
    return this.#submit(name, { ferris: JOB_FORMAT, args: encode(args, 'args'), timeout }, level, signal)
  }

  #submit(name: string, data: JobData, level: number, signal: AbortSignal | undefined): Future<unknown> {
    if (this.#closed) throw new ExecutorShutdownError()
    const seq = ++this.#seq
    const sent = this.#tracker.add(`${this.#clientId}-${seq}`, new Future(this.#canceller, seq), name, data, bullPriority(level), signal)
    this.#batch.push(sent)
    if (this.#batch.length === 1) queueMicrotask(() => void this.#flush())
    return sent.future
  }

  readonly #canceller = {
    cancel: (future: Future): boolean => {
      const sent = this.#tracker.of(future)
      if (sent === undefined) return false
      if (this.#cancelLocal(sent)) return true
      void this.#remove(sent)
      return false
    },
    started: (): boolean => false, // ('active' events mark futures running)
  }

  /** Cancels a job not handed to Redis yet: it will never be added. */
  #cancelLocal(sent: Sent): boolean {
    const index = this.#batch.indexOf(sent)
    if (index < 0) return false
    this.#batch.splice(index, 1)
    this.#tracker.settle(sent, (f) => f._cancel(new CancelledError()), 'cancelled')
    return true
  }

  /** Asks Redis to remove the job: BullMQ refuses while a worker holds it. The 'removed' event then cancels its future. */
  async #remove(sent: Sent): Promise<boolean> {
    try {
      await this.#started
      return (await this.#queue.remove(sent.jobId)) === 1
    } catch {
      return false // (Redis unreachable: the job stays, and so does its future)
    }
  }

  async #flush(): Promise<void> {
    const batch = this.#batch
    this.#batch = []
    if (batch.length === 0) return
    try {
      await this.#started
      await this.#queue.addBulk(batch.map((s) => ({ name: s.name, data: s.data, opts: { jobId: s.jobId, priority: s.priority } })))
      for (const sent of batch) sent.added = true
    } catch (error) {
      for (const sent of batch) this.#tracker.settle(sent, (f) => f._reject(error), 'failed')
    }
  }

  #completed(sent: Sent, returnvalue: unknown): void {
    let value: unknown
    try {
      if (typeof returnvalue !== 'string') throw new TypeError(`the job's result is not an encoded value (was it run by serve?)`)
      value = decodeValue(returnvalue)
    } catch (error) {
      this.#tracker.settle(sent, (f) => f._reject(error), 'failed')
      return
    }
    this.#tracker.settle(sent, (f) => f._resolve(value), 'completed')
  }

  /** Reads the error `serve` wrote on the job; BullMQ's reason alone if there is none. */
  async #failed(sent: Sent, failedReason: string): Promise<void> {
    let error: unknown = new JobFailedError(sent.jobId, failedReason)
    try {
      const job = await Job.fromId<Partial<JobData>>(this.#queue, sent.jobId)
      if (typeof job?.data?.error === 'string') error = decodeError(job.data.error)
    } catch {
      // (keep BullMQ's reason: the job is gone or unreadable)
    }
    this.#tracker.settle(sent, (f) => f._reject(error), 'failed')
  }

  /**
   * Cancels the job of `future` if it has not started: resolves true once it is cancelled,
   * false if a serving process has it (or it is done). `future.cancel()` does the same without
   * waiting for Redis: it returns true only for a job not yet handed to Redis.
   *
   * ```ts
   * if (await client.cancel(future)) console.log('it will never run')
   * ```
   */
  async cancel(future: Future): Promise<boolean> {
    const sent = this.#tracker.of(future)
    if (sent === undefined) return future.cancelled()
    if (this.#cancelLocal(sent)) return true
    if (!(await this.#remove(sent))) return false
    await future.then(
      () => {},
      () => {},
    )
    return future.cancelled()
  }

  /**
   * Runs job `name` over every item (one argument each; for a kernel with several
   * parameters, each item is an array of them), `chunkSize` items per job (default 1), and
   * resolves with the results in input order. Same options as `Executor.map`.
   *
   * ```ts
   * const checksums = await client.map('spin', [1e6, 2e6, 3e6], { chunkSize: 16 })
   * ```
   */
  map<K extends keyof T & string>(name: K, iterable: Iterable<unknown>, options?: MapOptions): Promise<TaskResult<T[K]>[]>
  map(name: string, iterable: Iterable<unknown>, options?: MapOptions): Promise<unknown[]> {
    return mapAll(this.#host(name), stand(name), iterable, options)
  }

  /**
   * Like `map`, as an async iterator of the results (in input order, or as they complete with
   * `ordered: false`), pulling from `source` only as results are consumed. Same options as
   * `Executor.imap`.
   *
   * ```ts
   * for await (const checksum of client.imap('spin', counts(), { concurrency: 16 })) console.log(checksum)
   * ```
   */
  imap<K extends keyof T & string>(
    name: K,
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ImapOptions,
  ): AsyncIterableIterator<TaskResult<T[K]>>
  imap(name: string, source: Iterable<unknown> | AsyncIterable<unknown>, options?: ImapOptions): AsyncIterableIterator<unknown> {
    return new Imap(this.#host(name), stand(name), source, options)
  }

  /** What the shared map code needs: each chunk becomes one job of `name`. */
  #host(name: string): MapHost {
    if (typeof name !== 'string' || name === '') throw new TypeError('the job name must be a non-empty string')
    return {
      maxWorkers: IMAP_HALF_WINDOW,
      queueCapacity: MAP_WINDOW,
      submitChunk: (_fn, items, level) =>
        this.#submit(name, { ferris: JOB_FORMAT, items: encode(items, 'items') }, level, undefined) as Future<unknown[]>,
      isReady: () => true,
      whenReady: () => Promise.resolve(),
      halt: (chunk) => void chunk.cancel(), // a job a remote worker runs cannot be stopped from here
    }
  }

  /**
   * Waits for futures like `concurrent.futures.wait`, as `Executor.wait`.
   *
   * ```ts
   * const { done, notDone } = await client.wait(futures, { returnWhen: 'FIRST_COMPLETED' })
   * ```
   */
  wait<R>(futures: Iterable<Future<R>>, options?: WaitForOptions): Promise<WaitResult<R>> {
    return waitFor(futures, options)
  }

  /**
   * Yields each future as it completes, as `Executor.asCompleted`.
   *
   * ```ts
   * for await (const future of client.asCompleted(futures)) console.log(await future.result())
   * ```
   */
  asCompleted<R>(futures: Iterable<Future<R>>, options?: { timeout?: number }): AsyncIterableIterator<CompletedFuture<R>> {
    return asCompleted(futures, options)
  }

  /**
   * The queue's job counts (all clients) and this client's own counters.
   *
   * ```ts
   * const stats = await client.getStats()
   * ```
   */
  async getStats(): Promise<QueueStats> {
    const counts = await this.#queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
    const queue = { waiting: 0, prioritized: 0, active: 0, delayed: 0, completed: 0, failed: 0 }
    for (const key of Object.keys(queue) as (keyof typeof queue)[]) queue[key] = counts[key] ?? 0
    return { queue, ...this.#tracker.counters() }
  }

  /**
   * Accepts no more jobs, then closes the connections: by default once every submitted job's
   * future has settled.
   *
   * ```ts
   * await client.close()
   * ```
   */
  close(options: QueueCloseOptions = {}): Promise<void> {
    checkOptions('close', options, SHUTDOWN_OPTIONS)
    const { wait = true, cancelPending = false } = options
    this.#closed = true
    this.#closing ??= (async () => {
      if (cancelPending) await Promise.all(this.#tracker.pending().map((sent) => this.cancel(sent.future)))
      if (wait) await this.#tracker.idle()
      else this.#tracker.abandon(() => new ExecutorShutdownError())
      // (not waiting for the start: Redis may never have been reachable)
      this.#disconnected = true
      await this.#tracker.close()
      await this.#queue.close()
    })()
    return this.#closing
  }

  /**
   * `close()`, for `await using`.
   *
   * ```ts
   * await using client = new QueueExecutor(options)
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

function encode(values: readonly unknown[], what: string): string {
  try {
    return encodeValue(values)
  } catch (error) {
    throw new TypeError(`${what} cannot be sent to the queue: ${(error as Error)?.message}`, { cause: error })
  }
}

/**
 * The map code takes a function or a kernel and hands it back to `submitChunk`, which knows
 * the job name already; a function gives map's default of one item per chunk, which suits
 * jobs that cross the network.
 */
function stand(name: string): () => void {
  return { [name]: () => {} }[name]!
}
