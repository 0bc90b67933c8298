/**
 * Decoding the pool's events (`src/wire/events.rs` encodes them). A batch's events are three
 * numbers each: the event's kind, its task's id, and its number (a number result, read with
 * `exact` so that an integer stays one; or a seat). Each event whose kind carries a payload
 * takes the next entry of the batch's payloads. The dispatcher gets either the payloads alone,
 * the events being in the event area (`[count, kind, id, number, ...]`, written over by the
 * next delivery), or an `EventBatch` with events of its own.
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

/** Events not read yet: `events[start..end]` (three numbers each) and their payloads from `payload`. */
interface Pending {
  events: Float64Array
  start: number
  end: number
  payloads: unknown[]
  payload: number
}

/**
 * The pool's event batches, read in order, in slices: `read` stops once its deadline has
 * passed and goes on where it stopped at its next call. One batch can settle hundreds of
 * `map` chunks of thousands of items each (every completion since the main thread last
 * looked), far more than one turn of the event loop should take; the rest waits for the next
 * turn, and the batches that arrive meanwhile wait behind it, so events are read in the order
 * the pool sent them. Events in the event area are copied when they have to wait.
 */
export class EventReader {
  readonly #area: Float64Array
  readonly #pending: Pending[] = []

  /** `area`: the event area, as the pool's deliveries use it. */
  constructor(area: Float64Array) {
    this.#area = area
  }

  /** Takes a delivery of the pool (see the layout above). */
  add(delivery: unknown[] | EventBatch): void {
    if (!Array.isArray(delivery)) {
      this.#pending.push({ events: delivery.events, start: 0, end: delivery.events.length, payloads: delivery.payloads, payload: 0 })
      return
    }
    const end = 1 + 3 * this.#area[0]!
    if (this.#pending.length === 0) {
      this.#pending.push({ events: this.#area, start: 1, end, payloads: delivery, payload: 0 })
    } else {
      // Something is still unread: these events wait behind it, out of the area.
      this.#pending.push({ events: this.#area.slice(1, end), start: 0, end: end - 1, payloads: delivery, payload: 0 })
    }
  }

  /** Whether events are left to read. */
  get pending(): boolean {
    return this.#pending.length > 0
  }

  /**
   * Reads events into `sink` until none is left (true) or `deadline` (a `performance.now()`)
   * has passed (false). An event whose sink call throws counts as read. Events of the area
   * left unread are copied out of it first.
   */
  read(sink: EventSink, deadline: number): boolean {
    try {
      return this.#read(sink, deadline)
    } finally {
      const head = this.#pending[0]
      if (head !== undefined && head.events === this.#area) {
        head.events = this.#area.slice(head.start, head.end)
        head.end -= head.start
        head.start = 0
      }
    }
  }

  #read(sink: EventSink, deadline: number): boolean {
    while (this.#pending.length > 0) {
      const batch = this.#pending[0]!
      const { events, end, payloads } = batch
      let i = batch.start
      let p = batch.payload
      let cheap = 0
      try {
        while (i < end) {
          const kind = events[i]!
          const id = events[i + 1]!
          const number = events[i + 2]!
          const read = p
          i += 3
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
          if (i < end && (p !== read || ++cheap === CHEAP_EVENTS)) {
            cheap = 0
            if (performance.now() >= deadline) return false
          }
        }
      } finally {
        batch.start = i
        batch.payload = p
      }
      this.#pending.shift()
    }
    return true
  }
}
