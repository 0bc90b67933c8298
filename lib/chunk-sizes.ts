/**
 * `ChunkSizes`: how many items the next `map`/`imap` chunk of a kernel or worker task takes,
 * following the measured cost of the items instead of a fixed default.
 *
 * Rules:
 * - The first chunk takes one item: nothing is known yet, and an expensive item must not sit
 *   in a chunk with others while a worker is free.
 * - Each completed chunk is measured by the time since the previous completion, or since its
 *   own submission if that is later (the workers had nothing of ours to do meanwhile: an
 *   `imap` consumer that did not keep up, say), times the parallel workers: the wall time a
 *   worker spent per item, the per-chunk costs of both threads included. A smoothed per-item
 *   cost is kept.
 * - The size doubles while a chunk of the current size is estimated under `TARGET_MS / 2`
 *   (items are cheap: the per-chunk overhead dominates), and halves when it is over
 *   `2 * TARGET_MS` (items are expensive: a big chunk leaves a worker with a long tail while
 *   others sit idle). It only grows on the measurement of a chunk of at least the current
 *   size, so it doubles once per round trip rather than once per completion.
 * - It stays within 1 and `max` (at most `MAX_CHUNK`, and for an input of known length about
 *   4 chunks per worker, so the work is spread over every worker).
 * - An explicit `chunkSize` is used as is.
 */

/** The duration a chunk aims at: long beside a chunk's round trip (tens of microseconds), short beside a stall. */
export const TARGET_MS = 2

/** The largest chunk: its results are settled in one go on the main thread (under a millisecond). */
export const MAX_CHUNK = 8_192

/** Weight of the newest measurement in the smoothed per-item cost. */
const SMOOTHING = 0.25

export interface ChunkSizesOptions {
  /** An explicit `chunkSize`: never changes. */
  fixed?: number
  /** Workers running chunks at once. */
  parallel: number
  /** The number of items, if known before iterating. */
  length?: number
  /** Milliseconds, monotonic (`performance.now` by default; specs inject their own). */
  clock?: () => number
}

export class ChunkSizes {
  readonly #fixed: boolean
  readonly #parallel: number
  readonly #max: number
  readonly #clock: () => number
  #size: number
  /** Smoothed milliseconds per item per worker; `undefined` until a chunk completes. */
  #perItemMs: number | undefined
  /** When the previous chunk completed. */
  #lastCompleted = -Infinity

  constructor({ fixed, parallel, length, clock = () => performance.now() }: ChunkSizesOptions) {
    this.#fixed = fixed !== undefined
    this.#parallel = Math.max(1, parallel)
    this.#max = length === undefined ? MAX_CHUNK : Math.max(1, Math.min(MAX_CHUNK, Math.ceil(length / (this.#parallel * 4))))
    this.#clock = clock
    this.#size = fixed ?? 1
  }

  /** Items for the next chunk. */
  get size(): number {
    return this.#size
  }

  /** A chunk is submitted now: the time to give back to `completed`. */
  submitted(): number {
    return this.#fixed ? 0 : this.#clock()
  }

  /** A chunk of `items` items, submitted at `submittedAt` (from `submitted`), completed. */
  completed(items: number, submittedAt: number): void {
    if (this.#fixed || items === 0) return
    const now = this.#clock()
    const elapsed = Math.max(0, now - Math.max(this.#lastCompleted, submittedAt))
    this.#lastCompleted = now
    const perItem = (elapsed * this.#parallel) / items
    this.#perItemMs = this.#perItemMs === undefined ? perItem : this.#perItemMs + SMOOTHING * (perItem - this.#perItemMs)
    const chunkMs = this.#perItemMs * this.#size
    if (chunkMs > 2 * TARGET_MS) this.#size = Math.max(1, Math.floor(this.#size / 2))
    else if (chunkMs < TARGET_MS / 2 && items >= this.#size) this.#size = Math.min(this.#max, this.#size * 2)
  }
}
