/** `imap`: a lazy, bounded stream of results over any iterable or async iterable. */
import type { Future } from './future.js'
import { plan, takeSync, type ImapOptions, type MapHost, type Plan, type Mappable } from './mapping.js'
import { IMAP_OPTIONS, checkOptions } from './options.js'
import { Slices } from './slices.js'
import { Stop } from './stop.js'

type Source = Iterable<unknown> | AsyncIterable<unknown>

async function takeAsync(iterator: AsyncIterator<unknown>, n: number): Promise<unknown[]> {
  const items: unknown[] = []
  while (items.length < n) {
    const step = await iterator.next()
    if (step.done) break
    items.push(step.value)
  }
  return items
}

/**
 * The iterator `executor.imap` returns.
 *
 * Protocol: a pump reads the source one chunk at a time and submits it, while fewer than
 * `window` tasks are outstanding (submitted, results not all handed to the consumer) and the
 * executor is ready; it runs in the background from the first `next()` on, so results are
 * computed while the consumer works, yet memory stays bounded by the window however long the
 * source is. `next()` hands out the results of the oldest task (ordered) or of the first to
 * settle (unordered); taking a task frees room and restarts the pump. Calls to `next()` are
 * served one at a time, in order, like an async generator's. A failed task or an aborted or
 * timed-out imap throws from `next()`; a source that throws has the results of the items it
 * gave first yielded, then its error. Whatever ends the iteration early (`return()`, a
 * `break`, an error) cancels the tasks not started and calls the source's `return()`.
 */
export class Imap<R> implements AsyncIterableIterator<R> {
  readonly #host: MapHost
  readonly #fn: Mappable
  readonly #source: Source
  readonly #options: ImapOptions
  #plan!: Plan
  #window = 0
  #ordered = true
  #stop: Stop | undefined
  #sync: Iterator<unknown> | undefined
  #async: AsyncIterator<unknown> | undefined
  /** Ordered: outstanding tasks in submission order. Unordered: settled tasks, in settling order. */
  readonly #ready: Future<unknown[]>[] = []
  /** Tasks submitted whose results were not taken by the consumer yet. */
  readonly #outstanding = new Set<Future<unknown[]>>()
  /** Results of the task being handed out, from `#index` on. */
  #values: unknown[] = []
  #index = 0
  #exhausted = false
  #sourceError: { reason: unknown } | undefined
  #pumping = false
  /** The iteration ended: every later `next()` is done. */
  #finished = false
  #closing: Promise<void> | undefined
  /** The last `next()` call; the next one runs after it. */
  #tail: Promise<unknown> = Promise.resolve()

  constructor(host: MapHost, fn: Mappable, source: Source, options: ImapOptions = {}) {
    this.#host = host
    this.#fn = fn
    this.#source = source
    this.#options = options
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<R>> {
    const result = this.#tail.then(() => this.#next())
    this.#tail = result.catch(() => {})
    return result
  }

  async return(value?: unknown): Promise<IteratorResult<R>> {
    await this.#close()
    return { value: value as R, done: true }
  }

  /** Checks the arguments and opens the source: on the first `next()`, as an async generator would. */
  #start(): Stop {
    const source = this.#source
    const isAsync = source != null && typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
    if (!isAsync && (source == null || typeof (source as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
      throw new TypeError('imap takes an iterable or an async iterable')
    }
    const options = this.#options
    checkOptions('imap', options, IMAP_OPTIONS)
    this.#plan = plan(this.#host, this.#fn, source, options, 'imap')
    const { concurrency, ordered = true } = options
    if (concurrency !== undefined && (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1)) {
      throw new RangeError(`concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    if (typeof ordered !== 'boolean') throw new TypeError(`ordered must be a boolean, got ${typeof ordered}`)
    this.#window = concurrency ?? this.#host.maxWorkers * 2
    this.#ordered = ordered
    if (isAsync) this.#async = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    else this.#sync = (source as Iterable<unknown>)[Symbol.iterator]()
    return new Stop('imap', this.#plan)
  }

  async #next(): Promise<IteratorResult<R>> {
    if (this.#index < this.#values.length) return { value: this.#values[this.#index++] as R, done: false }
    if (this.#finished) return { value: undefined, done: true }
    if (this.#stop === undefined) {
      try {
        this.#stop = this.#start()
      } catch (error) {
        this.#finished = true
        throw error
      }
    }
    const stop = this.#stop
    for (;;) {
      if (this.#finished) return { value: undefined, done: true }
      if (stop.error !== undefined) return this.#fail(stop.error.reason)
      const task = this.#ready[0]
      if (task !== undefined && task.done()) {
        this.#ready.shift()
        this.#outstanding.delete(task)
        void this.#pump()
        if (!task._fulfilled()) return this.#fail(task._error())
        const values = task._value()
        if (values.length > 0) {
          this.#values = values
          this.#index = 1
          return { value: values[0] as R, done: false }
        }
        continue
      }
      if (this.#outstanding.size === 0 && this.#exhausted) {
        if (this.#sourceError !== undefined) return this.#fail(this.#sourceError.reason)
        this.#finished = true
        stop.dispose()
        return { value: undefined, done: true }
      }
      const seen = stop.progressed
      void this.#pump()
      if (stop.progressed === seen) await stop.next() // (a synchronous source may already have made progress)
    }
  }

  /** Feeds the executor while there is room in the window (see the class comment). */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    const stop = this.#stop!
    const { sizes, level } = this.#plan
    let held: unknown[] | undefined
    const wasExhausted = this.#exhausted
    const slices = new Slices()
    try {
      while (!this.#finished && stop.error === undefined) {
        const due = slices.due()
        if (due !== undefined) {
          await due
          continue
        }
        if (held === undefined) {
          if (this.#exhausted || this.#outstanding.size >= this.#window) break
          const size = sizes.size
          try {
            held = this.#sync !== undefined ? takeSync(this.#sync, size) : await takeAsync(this.#async!, size)
          } catch (error) {
            this.#sourceError = { reason: error }
            this.#exhausted = true
            break
          }
          // (a short chunk means the source is done: no need to ask it again)
          if (held.length < size) this.#exhausted = true
          if (held.length === 0 || this.#finished) break
        }
        const future = this.#host.isReady() ? this.#host.submitChunk(this.#fn, held, level) : undefined
        if (future === undefined) {
          await Promise.race([this.#host.whenReady(), stop.next()])
          continue
        }
        held = undefined
        this.#outstanding.add(future)
        if (this.#ordered) this.#ready.push(future)
        const submittedAt = sizes.submitted()
        future._onDone((done) => {
          if (done._fulfilled()) sizes.completed(done._value().length, submittedAt)
          if (!this.#ordered && !this.#finished) this.#ready.push(done)
          stop.progress()
        })
      }
    } catch (error) {
      stop.fail(error) // the submission failed: shut down executor, or a bad kernel item
    } finally {
      this.#pumping = false
      if (this.#exhausted && !wasExhausted) stop.progress() // the consumer may be waiting for the end of the source
    }
  }

  /** Ends the iteration with `error` (thrown by the returned promise). */
  async #fail(error: unknown): Promise<never> {
    await this.#close()
    throw error
  }

  /** Ends the iteration: cancels what has not started, closes the source unless it is exhausted. */
  #close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#finished = true
      this.#values = []
      const stop = this.#stop
      if (stop === undefined) return // never started: the source was not opened
      stop.dispose()
      stop.progress()
      for (const future of this.#outstanding) stop.halted ? this.#host.halt(future) : future.cancel()
      this.#outstanding.clear()
      this.#ready.length = 0
      if (!this.#exhausted) await (this.#sync ?? this.#async)?.return?.()
    })()
    return this.#closing
  }
}
