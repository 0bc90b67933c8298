/**
 * Decoding the pool's event batches (`src/wire/events.rs` encodes them): event `i` is of
 * kind `kinds[i]` about task `ids[i]`; a number result is `numbers[i]` (read with `exact`: an integer stays one); each event whose kind
 * carries a payload takes the next entry of `payloads`.
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

export function readEvents({ kinds, ids, numbers, payloads }: EventBatch, sink: EventSink): void {
  let p = 0
  for (let i = 0; i < kinds.length; i++) {
    const id = ids[i]!
    switch (kinds[i]) {
      case EventKind.RunExternal:
        sink.runExternal(id)
        break
      case EventKind.Number:
        sink.returned(id, exact(numbers[i]!))
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
        sink.worker(kinds[i]!, id, NaN, payloads[p++])
        break
      case EventKind.WorkerPosted:
      case EventKind.WorkerStarted:
      case EventKind.WorkerNeedsArgs:
        sink.worker(kinds[i]!, id, numbers[i]!, undefined)
        break
    }
  }
}
