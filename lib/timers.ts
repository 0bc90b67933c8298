/** Timers for any delay: Node fires a `setTimeout` longer than 2^31 - 1 ms (24.8 days) at once. */

const MAX_DELAY = 2 ** 31 - 1

/** A pending timer; `clear()` cancels it. */
export interface Timer {
  clear(): void
}

/** Calls `fn` after `ms` milliseconds, chaining timers past Node's limit; never for `Infinity`. */
export function after(ms: number, fn: () => void): Timer {
  let handle: ReturnType<typeof setTimeout> | undefined
  const schedule = (left: number): void => {
    if (left === Infinity) return
    handle = left > MAX_DELAY ? setTimeout(() => schedule(left - MAX_DELAY), MAX_DELAY) : setTimeout(fn, left)
  }
  schedule(ms)
  return { clear: () => clearTimeout(handle) }
}
