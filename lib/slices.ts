/**
 * `Slices`: a long synchronous loop on the main thread (`map` and `imap` submitting chunks)
 * cut into slices of at most `SLICE_MS`, with a turn of the event loop between them, so that
 * timers, I/O and the results of running tasks are never held up for long whatever the
 * number of items. One turn also lets the tasks submitted so far reach the pool (submissions
 * are batched per microtask), so workers start before the whole input is submitted.
 *
 * A wait for room (a chunk to finish) does not start a new slice: it may end in the same
 * turn, right after the executor settled a slice of results, and the two would add up.
 */

/** Longest run of the loop between two turns: far below the 15 ms a user would notice as a stall. */
export const SLICE_MS = 2

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export class Slices {
  #start = performance.now()

  /** A turn of the event loop if this slice has run its time, else `undefined` (go on at once). */
  due(): Promise<void> | undefined {
    const now = performance.now()
    if (now - this.#start < SLICE_MS) return undefined
    return turn().then(() => {
      this.#start = performance.now()
    })
  }
}
