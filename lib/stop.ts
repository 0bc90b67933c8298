/** `Stop`: the ways a long operation (`map`, `imap`, `ready`) can end early, as one signal. */
import { CancelledError, TimeoutError } from './errors.js'
import { after, type Timer } from './timers.js'

/**
 * An operation's deadline, abort signal and failures, plus a wake-up its loops wait on.
 *
 * Rules: the first `fail()` wins and is kept in `error`; `next()` resolves at the next
 * `progress()` or `fail()` (every waiter, one shared promise, so waiting in a loop allocates
 * nothing per round); `dispose()` removes the timer and the abort listener and must be called
 * once the operation ends.
 */
export class Stop {
  error: { reason: unknown } | undefined
  /** The operation was stopped by its signal or deadline (not by a failure): what it started must stop too. */
  halted = false
  /** Calls of `progress()` so far: code that may have caused progress synchronously compares it before waiting. */
  progressed = 0
  #wake: (() => void) | undefined
  #next: Promise<void> | undefined
  readonly #timer: Timer | undefined
  readonly #signal: AbortSignal | undefined
  readonly #what: string
  readonly #onAbort = (): void => {
    this.#halt(new CancelledError(`${this.#what} was aborted`, { cause: this.#signal?.reason }))
  }

  /** `what` names the operation in error messages ("the map"). */
  constructor(what: string, { timeout, signal }: { timeout: number | undefined; signal: AbortSignal | undefined }) {
    this.#what = what
    this.#signal = signal
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    if (timeout !== undefined) {
      this.#timer = after(timeout, () => this.#halt(new TimeoutError(`${what} did not finish within ${timeout} ms`)))
    }
  }

  #halt(reason: CancelledError | TimeoutError): void {
    if (this.error === undefined) this.halted = true
    this.fail(reason)
  }

  fail(reason: unknown): void {
    this.error ??= { reason }
    this.progress()
  }

  /** Wakes whoever waits in `next()`. */
  progress(): void {
    this.progressed++
    const wake = this.#wake
    this.#wake = undefined
    this.#next = undefined
    wake?.()
  }

  /** Resolves at the next `progress()` or `fail()`. */
  next(): Promise<void> {
    this.#next ??= new Promise((resolve) => (this.#wake = resolve))
    return this.#next
  }

  dispose(): void {
    this.#timer?.clear()
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}
