/** `Future`: the handle of one submitted task, awaitable like a promise. */
import { AsyncResource } from 'node:async_hooks'
import { inspect, type InspectOptionsStylized } from 'node:util'

import { CancelledError, TimeoutError } from './errors.js'
import { WAIT_OPTIONS, checkOptions } from './options.js'
import { after } from './timers.js'

const enum State {
  Pending,
  Running,
  Fulfilled,
  Rejected,
  Cancelled,
}

/** How `util.inspect` names each state. */
const STATE_NAMES = ['pending', 'running', 'fulfilled', 'rejected', 'cancelled'] as const

/** @internal how a future reaches its task in the executor */
export interface Canceller {
  /** Cancels the task if it has not started; true if it is cancelled. */
  cancel(future: Future): boolean
  /** Whether a task not yet known to have started has started (a native task on a pool thread). */
  started(future: Future): boolean
}

/**
 * Options of `future.result()`, `future.exception()` and `executor.asCompleted()`; an
 * unknown key is refused with `TypeError`.
 *
 * ```ts
 * const value = await future.result({ timeout: 100 })
 * ```
 */
export interface WaitOptions {
  /** Milliseconds to wait before rejecting with `TimeoutError`. The task itself goes on. */
  timeout?: number
}

/** Checks a `timeout` option: undefined, or a non-negative number of milliseconds. */
export function checkTimeout(timeout: unknown, what = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined
  if (typeof timeout !== 'number') throw new TypeError(`${what} must be a number of milliseconds, got ${typeof timeout}`)
  if (Number.isNaN(timeout) || timeout < 0) throw new RangeError(`${what} must be >= 0, got ${timeout}`)
  return timeout
}

function report(error: unknown): void {
  const warning = error instanceof Error ? error : new Error(String(error))
  process.emitWarning(warning, { type: 'FerrisExecutorWarning', detail: 'thrown by a future done callback' })
}

type Resolve = (value: unknown) => void
/** The resolving functions of the future being constructed (one shared executor: no closure per future). */
let resolving: Resolve | undefined
let rejecting: Resolve | undefined
function capture(resolve: Resolve, reject: Resolve): void {
  resolving = resolve
  rejecting = reject
}

const ignore = (): void => {}

/**
 * Makes `await future` and `Promise.all(futures)` take a future as the native promise it is:
 * they adopt a value as is only if its `constructor` is `Promise` (else they wrap it in a new
 * promise, through an extra job that calls its `then`). So `constructor` is `Promise` on the
 * prototype of `Future` and of every subclass; `instanceof Future` is unchanged.
 */
function adoptable(prototype: object): void {
  Object.defineProperty(prototype, 'constructor', { value: Promise, writable: true, configurable: true, enumerable: false })
}

/**
 * The eventual result of a task. `await future` gives its value or throws its error; the
 * methods mirror Python's `concurrent.futures.Future`. A failed future that nobody awaits does
 * not cause an unhandled rejection: inspect it with `done()` and `exception()` at leisure.
 *
 * A future is a native promise (`then`, `catch` and `finally` are `Promise`'s, and give plain
 * promises), so `await future` and `Promise.all(futures)` cost what they cost on any promise:
 * no wrapper promise, no extra job. Its `constructor` is `Promise`, for that reason.
 *
 * ```ts
 * const future = executor.submit(kernels.spin, [1_000_000])
 * future.addDoneCallback((f) => console.log('done', f.cancelled()))
 * console.log(await future)
 * ```
 */
export class Future<T = unknown> extends Promise<T> {
  #state = State.Pending
  #value: unknown = undefined
  /**
   * Called with this future once it settles. Typed with a `never` parameter so that
   * `Future<T>` stays covariant in `T`; every entry really takes a `Future<T>`.
   */
  #callbacks: Array<(future: never) => void> | undefined = undefined
  /** The resolving functions of this promise, until it settles. */
  #resolve: Resolve | undefined
  #reject: Resolve | undefined
  readonly #canceller: Canceller | undefined
  readonly #id: number

  /** @internal futures are created by an executor */
  constructor(canceller?: Canceller, id = 0) {
    if (typeof canceller === 'function') {
      // `Future.resolve(...)`, `Future.all(...)` and the like construct `this` with an executor.
      throw new TypeError('futures are created by an executor; use Promise for promises of your own')
    }
    super(capture as (resolve: (value: T) => void, reject: Resolve) => void)
    this.#resolve = resolving
    this.#reject = rejecting
    resolving = rejecting = undefined
    this.#canceller = canceller
    this.#id = id
    if (new.target.prototype.constructor !== Promise) adoptable(new.target.prototype)
  }

  /**
   * `then` and its kin make plain promises, as `Promise.resolve` and friends would.
   *
   * ```ts
   * executor.submit(kernels.spin, [1]).then((x) => x) instanceof Future // false: a plain Promise
   * ```
   */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise
  }

  /** @internal the executor's id of the task (a getter: no own property to show or copy) */
  get _id(): number {
    return this.#id
  }

  /**
   * The task's value; rejects with its error, `CancelledError`, or `TimeoutError` if `timeout`
   * ms pass first (the task goes on).
   *
   * ```ts
   * const value = await future.result({ timeout: 1_000 })
   * ```
   */
  result(options: WaitOptions = {}): Promise<T> {
    checkOptions('future.result', options, WAIT_OPTIONS)
    const timeout = checkTimeout(options?.timeout)
    if (timeout === undefined || this.done()) return this.then()
    return new Promise<T>((resolve, reject) => {
      const timer = after(timeout, () => reject(new TimeoutError(`the task did not finish within ${timeout} ms`)))
      this.then(
        (value) => {
          timer.clear()
          resolve(value)
        },
        (error: unknown) => {
          timer.clear()
          reject(error)
        },
      )
    })
  }

  /**
   * The task's error, or `undefined` if it succeeded, as Python's `Future.exception()`; rejects
   * with `CancelledError` if it was cancelled, `TimeoutError` if `timeout` ms pass first.
   * JavaScript can throw any value, `undefined` included (`throw undefined`,
   * `Promise.reject()`): such a failure also gives `undefined` here, so tell it from a success
   * with `failed()`.
   *
   * ```ts
   * const error = await executor.submit(kernels.testing.fail, ['boom']).exception() // a KernelError
   * ```
   */
  exception(options: WaitOptions = {}): Promise<unknown> {
    checkOptions('future.exception', options, WAIT_OPTIONS)
    return this.result(options).then(
      () => undefined,
      (error: unknown) => {
        if (this.#state === State.Cancelled) throw error
        if (error instanceof TimeoutError && !this.done()) throw error
        return error
      },
    )
  }

  /**
   * True once the task succeeded, failed or was cancelled.
   *
   * ```ts
   * const pending = futures.filter((f) => !f.done())
   * ```
   */
  done(): boolean {
    return this.#state >= State.Fulfilled
  }

  /**
   * True once the task failed: its function threw or its promise rejected, whatever the value
   * (`undefined` too), or its kernel reported an error or panicked, or it timed out. False
   * while it is pending or running, after a success, and for a cancelled task.
   *
   * ```ts
   * const future = executor.submit(() => Promise.reject(undefined))
   * await future.exception() // undefined, as for a success
   * console.log(future.failed()) // true
   * ```
   */
  failed(): boolean {
    return this.#state === State.Rejected
  }

  /**
   * True while the task runs: a JS function has been called, or a pool thread has taken the
   * kernel call.
   *
   * ```ts
   * if (!future.running()) future.cancel()
   * ```
   */
  running(): boolean {
    if (this.#state === State.Pending && this.#canceller?.started(this)) this.#state = State.Running
    return this.#state === State.Running
  }

  /**
   * True if the task was cancelled before it started, or is a worker task stopped while it ran
   * because its `signal` aborted.
   *
   * ```ts
   * future.cancel()
   * console.log(future.cancelled()) // true if it had not started
   * ```
   */
  cancelled(): boolean {
    return this.#state === State.Cancelled
  }

  /**
   * Cancels the task if it has not started; true if it is now (or was already) cancelled.
   *
   * ```ts
   * const future = executor.submit(kernels.sleep, [1_000])
   * if (future.cancel()) console.log('it will never run')
   * ```
   */
  cancel(): boolean {
    if (this.#state === State.Cancelled) return true
    if (this.#state !== State.Pending || !this.#canceller) return false
    return this.#canceller.cancel(this)
  }

  /**
   * Calls `callback(future)` once the future is done: at once if it already is. It runs in the
   * async context of the `addDoneCallback` call, as a `then` callback would (an
   * `AsyncLocalStorage` store set there is seen in it). A throwing callback is reported as a
   * process warning and does not stop the others.
   *
   * ```ts
   * future.addDoneCallback((f) => console.log(f.cancelled() ? 'cancelled' : 'done'))
   * ```
   */
  addDoneCallback(callback: (future: Future<T>) => void): void {
    if (typeof callback !== 'function') throw new TypeError('addDoneCallback takes a function')
    if (this.done()) {
      this._onDone(callback)
      return
    }
    // The future settles from the pool's events, outside the caller's context: carry it.
    const scope = new AsyncResource('FerrisFutureDoneCallback')
    this._onDone((future) => scope.runInAsyncScope(callback, undefined, future))
  }

  /** @internal `addDoneCallback` for the executor's own bookkeeping (`map`, `imap`): no async context to carry */
  _onDone(callback: (future: Future<T>) => void): void {
    if (this.done()) {
      try {
        callback(this)
      } catch (error) {
        report(error)
      }
      return
    }
    ;(this.#callbacks ??= []).push(callback)
  }

  /** @internal the value of a fulfilled future */
  _value(): T {
    return this.#value as T
  }

  /** @internal the error of a rejected or cancelled future */
  _error(): unknown {
    return this.#value
  }

  /** @internal true once the future succeeded */
  _fulfilled(): boolean {
    return this.#state === State.Fulfilled
  }

  /** @internal */
  _markRunning(): void {
    if (this.#state === State.Pending) this.#state = State.Running
  }

  /** @internal */
  _resolve(value: T): void {
    this.#settle(State.Fulfilled, value)
  }

  /** @internal */
  _reject(error: unknown): void {
    this.#settle(State.Rejected, error)
  }

  /** @internal */
  _cancel(error: CancelledError): void {
    this.#settle(State.Cancelled, error)
  }

  /**
   * How `console.log` and `util.inspect` show a future: its state, and its value or error
   * inspected with the caller's options, never the executor's bookkeeping.
   *
   * ```ts
   * const future = executor.submit(() => 42)
   * console.log(future) // Future <pending>
   * await future
   * console.log(future) // Future <fulfilled> 42
   * ```
   */
  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectValue: typeof inspect = inspect): string {
    if (depth < 0) return options.stylize('[Future]', 'special')
    this.running() // a kernel taken by a pool thread is running, though no event said so yet
    const state = options.stylize(`<${STATE_NAMES[this.#state]}>`, 'special')
    if (this.#state !== State.Fulfilled && this.#state !== State.Rejected) return `Future ${state}`
    const nested = { ...options, depth: options.depth == null ? options.depth : options.depth - 1 }
    return `Future ${state} ${inspectValue(this.#value, nested)}`
  }

  #settle(state: State, value: unknown): void {
    if (this.done()) return
    this.#state = state
    this.#value = value
    if (state === State.Fulfilled) this.#resolve!(value)
    else {
      // Handled from the start: a failure nobody awaits is no unhandled rejection.
      super.then(undefined, ignore)
      this.#reject!(value)
    }
    this.#resolve = this.#reject = undefined
    const callbacks = this.#callbacks
    if (callbacks === undefined) return
    this.#callbacks = undefined
    for (const callback of callbacks) {
      try {
        ;(callback as (future: this) => void)(this)
      } catch (error) {
        report(error)
      }
    }
  }
}

adoptable(Future.prototype)
