/** `wait` and `asCompleted` over futures, after `concurrent.futures.wait` / `as_completed`. */
import { TimeoutError } from './errors.js'
import { Future, checkTimeout } from './future.js'
import { WAIT_FOR_OPTIONS, WAIT_OPTIONS, checkOptions } from './options.js'
import { after, type Timer } from './timers.js'

/**
 * When `executor.wait()` returns, as in Python's `concurrent.futures.wait`.
 *
 * ```ts
 * const returnWhen: ReturnWhen = 'FIRST_COMPLETED'
 * const { done } = await executor.wait(futures, { returnWhen })
 * ```
 */
export type ReturnWhen = 'ALL_COMPLETED' | 'FIRST_COMPLETED' | 'FIRST_EXCEPTION'

/**
 * Options of `executor.wait()`; an unknown key is refused with `TypeError`.
 *
 * ```ts
 * const { done } = await executor.wait(futures, { returnWhen: 'FIRST_EXCEPTION', timeout: 1_000 })
 * ```
 */
export interface WaitForOptions {
  /** Milliseconds after which `wait` returns whatever is done by then. */
  timeout?: number
  /** Default `'ALL_COMPLETED'`. A cancelled future counts as done, not as an exception. */
  returnWhen?: ReturnWhen
}

/**
 * What `executor.wait()` resolves with: the futures split by whether they are done.
 *
 * ```ts
 * const { done, notDone } = await executor.wait(futures, { timeout: 100 })
 * for (const future of notDone) future.cancel()
 * ```
 */
export interface WaitResult<T> {
  /** Futures that succeeded, failed or were cancelled. */
  done: Future<T>[]
  /** Futures still queued or running. */
  notDone: Future<T>[]
}

const RETURN_WHEN = new Set<string>(['ALL_COMPLETED', 'FIRST_COMPLETED', 'FIRST_EXCEPTION'])

/** The distinct futures of `futures`; TypeError for anything else. */
function distinct<T>(futures: Iterable<Future<T>>, what: string): Future<T>[] {
  if (futures == null || typeof (futures as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} takes an iterable of futures`)
  }
  const unique = new Set<Future<T>>()
  for (const future of futures) {
    if (!(future instanceof Future)) throw new TypeError(`${what} takes futures returned by executor.submit`)
    unique.add(future)
  }
  return [...unique]
}

export function waitFor<T>(futures: Iterable<Future<T>>, options: WaitForOptions = {}): Promise<WaitResult<T>> {
  checkOptions('wait', options, WAIT_FOR_OPTIONS)
  const all = distinct(futures, 'wait')
  const timeout = checkTimeout(options?.timeout)
  const returnWhen = options?.returnWhen ?? 'ALL_COMPLETED'
  if (!RETURN_WHEN.has(returnWhen)) {
    throw new RangeError(`returnWhen must be 'ALL_COMPLETED', 'FIRST_COMPLETED' or 'FIRST_EXCEPTION', got ${String(returnWhen)}`)
  }
  const satisfied = (): boolean => {
    switch (returnWhen) {
      case 'FIRST_COMPLETED':
        return all.some((f) => f.done())
      case 'FIRST_EXCEPTION':
        return all.some((f) => f.failed()) || all.every((f) => f.done())
      default:
        return all.every((f) => f.done())
    }
  }
  const partition = (): WaitResult<T> => ({ done: all.filter((f) => f.done()), notDone: all.filter((f) => !f.done()) })
  if (all.length === 0 || satisfied()) return Promise.resolve(partition())
  return new Promise((resolve) => {
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      timer?.clear()
      resolve(partition())
    }
    const timer = timeout === undefined ? undefined : after(timeout, finish)
    for (const future of all) {
      if (!future.done()) future._onDone(() => satisfied() && finish())
    }
  })
}

/**
 * A future as `executor.asCompleted()` yields it: the very `Future` object you submitted
 * (`===` holds), typed without its promise methods `then`/`catch`/`finally`. TypeScript types
 * every `for await` element as awaited (as if an async generator had yielded it), so a thenable
 * `Future<T>` element would be typed `T`; without `then`, the element keeps its future type. Read
 * it with `result()` or `exception()`, as in Python's `for f in as_completed(fs): f.result()`.
 *
 * ```ts
 * for await (const future of executor.asCompleted(futures)) {
 *   console.log(futures.indexOf(future as Future<number>), await future.result())
 * }
 * ```
 */
export type CompletedFuture<T> = Omit<Future<T>, 'then' | 'catch' | 'finally'>

type Waiter<T> = { resolve: (result: IteratorResult<Future<T>>) => void; reject: (error: unknown) => void }

/**
 * Yields each distinct future once as it completes (already finished ones first). Built by
 * hand rather than as an async generator, whose `yield` would unwrap the thenable futures.
 */
class AsCompleted<T> implements AsyncIterableIterator<Future<T>> {
  readonly #ready: Future<T>[] = []
  readonly #waiters: Waiter<T>[] = []
  #remaining: number
  #closed = false
  #timedOut = false
  readonly #timeout: number | undefined
  readonly #timer: Timer | undefined

  constructor(futures: Future<T>[], timeout: number | undefined) {
    this.#remaining = futures.length
    this.#timeout = timeout
    for (const future of futures) {
      if (future.done()) this.#ready.push(future)
      else future._onDone(() => this.#arrive(future))
    }
    this.#timer = timeout === undefined || this.#remaining === 0 ? undefined : after(timeout, () => this.#expire())
  }

  #timeoutError(): TimeoutError {
    return new TimeoutError(`${this.#remaining} future(s) did not complete within ${this.#timeout} ms`)
  }

  #arrive(future: Future<T>): void {
    if (this.#closed) return
    const waiter = this.#waiters.shift()
    if (waiter === undefined) {
      this.#ready.push(future)
      return
    }
    this.#remaining--
    if (this.#remaining === 0) this.#close()
    waiter.resolve({ value: future, done: false })
  }

  #expire(): void {
    this.#timedOut = true
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#timeoutError())
  }

  #close(): void {
    this.#closed = true
    this.#timer?.clear()
  }

  next(): Promise<IteratorResult<Future<T>>> {
    const future = this.#ready.shift()
    if (future !== undefined) {
      this.#remaining--
      if (this.#remaining === 0) this.#close()
      return Promise.resolve({ value: future, done: false })
    }
    if (this.#remaining === 0 || this.#closed) {
      this.#close()
      return Promise.resolve({ value: undefined, done: true })
    }
    if (this.#timedOut) return Promise.reject(this.#timeoutError())
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  return(): Promise<IteratorResult<Future<T>>> {
    this.#close()
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true })
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Future<T>> {
    return this
  }
}

export function asCompleted<T>(futures: Iterable<Future<T>>, options: { timeout?: number } = {}): AsyncIterableIterator<CompletedFuture<T>> {
  checkOptions('asCompleted', options, WAIT_OPTIONS)
  return new AsCompleted(distinct(futures, 'asCompleted'), checkTimeout(options?.timeout))
}
