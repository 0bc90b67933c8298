/**
 * Decoding the pool's event batches (`src/wire/events.rs` encodes them): event `i` is of
 * kind `kinds[i]` about task `ids[i]`; a number result is `numbers[i]` (read with `exact`:
 * an integer stays one); each event whose kind carries a payload takes the next entry of
 * `payloads`.
 */
import type { EventBatch } from '../binding.js'
import type { Failure } from '../runners/runner.js'
import { EventKind } from './codes.js'
import { exact } from './numbers.js'

export interface EventSink {
  /** Task `id` was handed out, with a slot, to run outside the pool's threads. */
  runExternal(id: number): void
  /** Task `id` returned `value`. */
  returned(id: number, value: unknown): void
  /** Task `id` failed (`message`: the kernel's, or a panic's). */
  failed(id: number, failure: Failure, message: string): void
  /** A worker isolate's report about worker task `id` (an `EventKind.Worker*` kind; `seat`: the worker's, where it says one). */
  worker(kind: number, id: number, seat: number, payload: unknown): void
}

/** Events between two looks at the clock, when none of them carries a payload (cheap ones). */
const CHEAP_EVENTS = 64

/**
 * The pool's event batches, read in order, in slices: `read` stops once its deadline has
 * passed and goes on where it stopped at its next call. One batch can settle hundreds of
 * `map` chunks of thousands of items each (every completion since the main thread last
 * looked), far more than one turn of the event loop should take; the rest waits for the next
 * turn, and the batches that arrive meanwhile wait behind it, so events are read in the order
 * the pool sent them.
 */
export class EventReader {
  readonly #batches: EventBatch[] = []
  /** Where reading the oldest batch stopped: its next event and its next payload. */
  #event = 0
  #payload = 0

  add(batch: EventBatch): void {
    this.#batches.push(batch)
  }

  /** Whether events are left to read. */
  get pending(): boolean {
    return this.#batches.length > 0
  }

  /**
   * Reads events into `sink` until none is left (true) or `deadline` (a `performance.now()`)
   * has passed (false). An event whose sink call throws counts as read.
   */
  read(sink: EventSink, deadline: number): boolean {
    while (this.#batches.length > 0) {
      const { kinds, ids, numbers, payloads } = this.#batches[0]!
      let i = this.#event
      let p = this.#payload
      let cheap = 0
      try {
        while (i < kinds.length) {
          const kind = kinds[i]!
          const id = ids[i]!
          const number = numbers[i]!
          const read = p
          i++
          switch (kind) {
            case EventKind.RunExternal:
              sink.runExternal(id)
              break
            case EventKind.Number:
              sink.returned(id, exact(number))
              break
            case EventKind.Null:
              sink.returned(id, null)
              break
            case EventKind.Values:
            case EventKind.Array:
              sink.returned(id, payloads[p++])
              break
            case EventKind.Failed:
              sink.failed(id, 'failed', payloads[p++] as string)
              break
            case EventKind.Panicked:
              sink.failed(id, 'panicked', payloads[p++] as string)
              break
            case EventKind.TimedOut:
              sink.failed(id, 'timed-out', '')
              break
            case EventKind.WorkerValue:
            case EventKind.WorkerThrew:
            case EventKind.WorkerNumbers:
              sink.worker(kind, id, NaN, payloads[p++])
              break
            case EventKind.WorkerPosted:
            case EventKind.WorkerStarted:
            case EventKind.WorkerNeedsArgs:
              sink.worker(kind, id, number, undefined)
              break
          }
          // A payload (a chunk's results, say) is what costs: look at the clock after each one.
          if (i < kinds.length && (p !== read || ++cheap === CHEAP_EVENTS)) {
            cheap = 0
            if (performance.now() >= deadline) return false
          }
        }
      } finally {
        this.#event = i
        this.#payload = p
      }
      this.#batches.shift()
      this.#event = 0
      this.#payload = 0
    }
    return true
  }
}
