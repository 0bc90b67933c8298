/** `map` and `imap`: many items through one executor, with bounded queue use. */
import { CancelledError, TimeoutError } from './errors.js'
import { checkTimeout, type Future } from './future.js'
import { isKernel, type Kernel } from './kernels.js'
import { priorityLevel, type TaskPriority } from './scheduling.js'
import { after, type Timer } from './timers.js'

/**
 * Options of `executor.map()`.
 *
 * ```ts
 * const checksums = await executor.map(kernels.spin, counts, { chunkSize: 64, priority: TaskPriority.LOW, timeout: 5_000 })
 * ```
 */
export interface MapOptions {
  /** Items per task. Default 1 for functions; for kernels over an array, about 8 chunks per worker (at most 1024 items each), else 16. */
  chunkSize?: number
  /** Priority of every task of the map. Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority
  /** Aborting rejects with `CancelledError` and cancels the items not yet started. */
  signal?: AbortSignal
  /** Milliseconds for the whole map; then it rejects with `TimeoutError` and cancels the items not yet started. */
  timeout?: number
}

/**
 * Options of `executor.imap()`.
 *
 * ```ts
 * for await (const checksum of executor.imap(kernels.spin, endlessCounts(), { concurrency: 8 })) console.log(checksum)
 * ```
 */
export interface ImapOptions extends MapOptions {
  /** Tasks in flight at once (each of `chunkSize` items). Default `2 * maxWorkers`. */
  concurrency?: number
}

/** What map needs from its executor (not part of the public API). */
export interface MapHost {
  readonly maxWorkers: number
  readonly queueCapacity: number
  /**
   * One task that runs `fn` on each item in order and resolves with the results; `undefined`
   * (and nothing counted as refused) when the queue has no room for it now.
   */
  submitChunk(fn: ((item: never) => unknown) | Kernel, items: unknown[], level: number): Future<unknown[]> | undefined
  /** Resolves when any task of the executor settles next. */
  whenSettled(): Promise<void>
}

interface Plan {
  chunkSize: number
  level: number
  signal: AbortSignal | undefined
  timeout: number | undefined
}

function plan(host: MapHost, fn: unknown, items: unknown, options: MapOptions, what: string): Plan {
  if (typeof fn !== 'function' && !isKernel(fn)) throw new TypeError(`${what} takes a function or a kernel`)
  if (typeof options !== 'object' || options === null) throw new TypeError(`${what} options must be an object`)
  const { chunkSize, signal } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
  if (signal?.aborted) throw new CancelledError(`${what} was aborted`, { cause: signal.reason })
  let size: number
  if (chunkSize === undefined) {
    const length = Array.isArray(items) || ArrayBuffer.isView(items) ? (items as ArrayLike<unknown>).length : undefined
    size = !isKernel(fn) ? 1 : length === undefined ? 16 : Math.min(1024, Math.max(1, Math.ceil(length / (host.maxWorkers * 8))))
  } else {
    if (typeof chunkSize !== 'number') throw new TypeError(`chunkSize must be a number, got ${typeof chunkSize}`)
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`)
    size = chunkSize
  }
  return { chunkSize: size, level: priorityLevel(options.priority), signal, timeout: checkTimeout(options.timeout) }
}

/**
 * The ways a map can stop early (timeout, abort, a failed item), as one promise-like signal
 * the loops can wait on together with their own progress.
 */
class Stop {
  error: { reason: unknown } | undefined
  #wake: (() => void) | undefined
  readonly #timer: Timer | undefined
  readonly #signal: AbortSignal | undefined
  readonly #onAbort = (): void => {
    this.fail(new CancelledError('the map was aborted', { cause: this.#signal?.reason }))
  }

  constructor({ timeout, signal }: Plan) {
    this.#signal = signal
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    if (timeout !== undefined) {
      this.#timer = after(timeout, () => this.fail(new TimeoutError(`the map did not finish within ${timeout} ms`)))
    }
  }

  fail(reason: unknown): void {
    this.error ??= { reason }
    this.progress()
  }

  /** Wakes whoever waits in `next()`. */
  progress(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** Resolves at the next `progress()`. */
  next(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve))
  }

  dispose(): void {
    this.#timer?.clear()
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}

function takeSync(iterator: Iterator<unknown>, n: number): unknown[] {
  const items: unknown[] = []
  while (items.length < n) {
    const step = iterator.next()
    if (step.done) break
    items.push(step.value)
  }
  return items
}

export async function mapAll<R>(
  host: MapHost,
  fn: ((item: never) => unknown) | Kernel,
  iterable: Iterable<unknown>,
  options: MapOptions = {},
): Promise<R[]> {
  if (iterable == null || typeof iterable[Symbol.iterator] !== 'function') throw new TypeError('map takes an iterable')
  const { chunkSize, level, ...rest } = plan(host, fn, iterable, options, 'map')
  const window = Math.min(host.queueCapacity, 1024) + host.maxWorkers
  const results: unknown[] = []
  const inFlight = new Set<Future<unknown[]>>()
  const stop = new Stop({ chunkSize, level, ...rest })
  try {
    const iterator = iterable[Symbol.iterator]()
    let next = 0
    let held: unknown[] | undefined
    while (stop.error === undefined) {
      held ??= takeSync(iterator, chunkSize)
      if (held.length === 0) break
      if (inFlight.size >= window) {
        await stop.next()
        continue
      }
      const future = host.submitChunk(fn, held, level)
      if (future === undefined) {
        // The queue is full: wait for one of ours to finish (or anyone's, if none is ours).
        await (inFlight.size > 0 ? stop.next() : Promise.race([host.whenSettled(), stop.next()]))
        continue
      }
      const start = next
      next += held.length
      held = undefined
      inFlight.add(future)
      future.addDoneCallback((done) => {
        inFlight.delete(done)
        if (done._fulfilled()) {
          const values = done._value()
          for (let i = 0; i < values.length; i++) results[start + i] = values[i]
          stop.progress()
        } else {
          stop.fail(done._error())
        }
      })
    }
    while (inFlight.size > 0 && stop.error === undefined) await stop.next()
    if (stop.error !== undefined) throw stop.error.reason
    return results as R[]
  } finally {
    stop.dispose()
    for (const future of inFlight) future.cancel()
  }
}

type Source = Iterable<unknown> | AsyncIterable<unknown>

async function takeAsync(iterator: Iterator<unknown> | AsyncIterator<unknown>, n: number): Promise<unknown[]> {
  const items: unknown[] = []
  while (items.length < n) {
    const step = await iterator.next()
    if (step.done) break
    items.push(step.value)
  }
  return items
}

export async function* imapAll<R>(
  host: MapHost,
  fn: ((item: never) => unknown) | Kernel,
  source: Source,
  options: ImapOptions = {},
): AsyncGenerator<R, void, undefined> {
  const isAsync = source != null && typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  if (!isAsync && (source == null || typeof (source as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
    throw new TypeError('imap takes an iterable or an async iterable')
  }
  const settings = plan(host, fn, source, options, 'imap')
  const { concurrency } = options
  if (concurrency !== undefined && (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1)) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(concurrency)}`)
  }
  const window = concurrency ?? host.maxWorkers * 2
  const iterator = isAsync
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]()
  const queue: Future<unknown[]>[] = []
  const stop = new Stop(settings)
  const stopped = (): never => {
    throw stop.error!.reason
  }
  try {
    let exhausted = false
    let held: unknown[] | undefined
    for (;;) {
      while (!exhausted && queue.length < window && stop.error === undefined) {
        held ??= await takeAsync(iterator, settings.chunkSize)
        if (held.length === 0) {
          exhausted = true
          break
        }
        const future = host.submitChunk(fn, held, settings.level)
        if (future !== undefined) {
          queue.push(future)
          held = undefined
        } else if (queue.length > 0) {
          break // the queue is full: consume what we have first
        } else {
          await Promise.race([host.whenSettled(), stop.next()])
        }
      }
      if (stop.error !== undefined) stopped()
      const head = queue.shift()
      if (head === undefined) return
      if (!head.done()) {
        head.addDoneCallback(() => stop.progress())
        while (!head.done() && stop.error === undefined) await stop.next()
        if (stop.error !== undefined) stopped()
      }
      if (!head._fulfilled()) throw head._error()
      for (const value of head._value()) yield value as R
    }
  } finally {
    stop.dispose()
    for (const future of queue) future.cancel()
    await iterator.return?.()
  }
}
