/**
 * `EventReader` (issue 20): the pool's event batches are read in slices, so settling a batch
 * of many large `map` chunks never stalls the event loop for long. The deadline is passed in,
 * so these checks count the events read, never time.
 */
import test from 'ava'

import type { EventBatch } from '../lib/binding.js'
import { EventKind } from '../lib/wire/codes.js'
import { EventReader, type EventSink } from '../lib/wire/events.js'

/** Events (three numbers each: kind, id, number) of `kind` for `ids`, each with its id as number. */
const events = (kind: number, ids: number[]): Float64Array => new Float64Array(ids.flatMap((id) => [kind, id, id]))

/** A batch of `WorkerNumbers` events (each carries a payload: a chunk's results) for `ids`. */
function chunks(ids: number[]): EventBatch {
  return { events: events(EventKind.WorkerNumbers, ids), payloads: ids.map((id) => new Float64Array([id])) }
}

/** A batch of `Number` events (no payload: cheap) for `ids`, each returning its id. */
function numbers(ids: number[]): EventBatch {
  return { events: events(EventKind.Number, ids), payloads: [] }
}

/** An event area as the pool leaves it for a delivery of `batch`: the payloads are what is delivered. */
function inArea(area: Float64Array, batch: EventBatch): unknown[] {
  area[0] = batch.events.length / 3
  area.set(batch.events, 1)
  return batch.payloads
}

const newArea = (): Float64Array => new Float64Array(1 + 3 * 64)

/** A sink that records the ids it is told about, in order. */
function recorder(onEvent: (id: number) => void = () => {}): { sink: EventSink; seen: number[] } {
  const seen: number[] = []
  const record = (id: number): void => {
    seen.push(id)
    onEvent(id)
  }
  const sink: EventSink = {
    runExternal: record,
    returned: record,
    failed: record,
    worker: (_kind, id, _seat, payload) => {
      if ((payload as Float64Array)[0] !== id) throw new Error(`event ${id} got the payload of ${(payload as Float64Array)[0]}`)
      record(id)
    },
  }
  return { sink, seen }
}

test('past its deadline, a read stops after one payload event and the next read goes on from there', (t) => {
  const reader = new EventReader(newArea())
  reader.add(chunks([1, 2, 3]))
  reader.add(chunks([4, 5]))
  const { sink, seen } = recorder()
  const reads: number[][] = []
  let done = false
  for (let i = 0; i < 10 && !done; i++) {
    const before = seen.length
    done = reader.read(sink, -Infinity)
    reads.push(seen.slice(before))
  }
  t.true(done)
  t.false(reader.pending)
  // Each read ends after one payload, except where a batch ends (its last event needs no look at the clock).
  t.deepEqual(reads, [[1], [2], [3, 4], [5]])
})

test('events without payloads are read in runs between looks at the clock', (t) => {
  const reader = new EventReader(newArea())
  const ids = Array.from({ length: 200 }, (_, i) => i + 1)
  reader.add(numbers(ids))
  const { sink, seen } = recorder()
  t.false(reader.read(sink, -Infinity))
  t.true(seen.length > 1 && seen.length < ids.length, `${seen.length} events in the first read`)
  while (!reader.read(sink, -Infinity));
  t.deepEqual(seen, ids)
})

test('with time left, everything is read in one call, in order', (t) => {
  const reader = new EventReader(newArea())
  reader.add(chunks([1, 2]))
  reader.add(numbers([3, 4]))
  reader.add(chunks([5]))
  const { sink, seen } = recorder()
  t.true(reader.read(sink, Infinity))
  t.deepEqual(seen, [1, 2, 3, 4, 5])
})

test('an event whose sink call throws counts as read: it is never delivered twice', (t) => {
  const reader = new EventReader(newArea())
  reader.add(chunks([1, 2, 3]))
  const { sink, seen } = recorder((id) => {
    if (id === 2) throw new Error('boom')
  })
  t.throws(() => reader.read(sink, Infinity), { message: 'boom' })
  t.true(reader.read(sink, Infinity))
  t.deepEqual(seen, [1, 2, 3])
})

test('events delivered in the area and left unread are copied before the next delivery writes over them', (t) => {
  const area = newArea()
  const reader = new EventReader(area)
  reader.add(inArea(area, chunks([1, 2, 3])))
  const { sink, seen } = recorder()
  t.false(reader.read(sink, -Infinity))
  t.deepEqual(seen, [1])
  // A delivery that arrives while events are unread waits behind them, out of the area too.
  reader.add(inArea(area, chunks([4, 5])))
  inArea(area, numbers([98, 99, 100])) // the area written over (a later delivery)
  while (!reader.read(sink, -Infinity));
  t.deepEqual(seen, [1, 2, 3, 4, 5])
})

test('a delivery in the area read at once is read from the area, with its own payloads', (t) => {
  const area = newArea()
  const reader = new EventReader(area)
  const { sink, seen } = recorder()
  reader.add(inArea(area, chunks([7, 8])))
  t.true(reader.read(sink, Infinity))
  reader.add(inArea(area, numbers([9])))
  reader.add(chunks([10]))
  t.true(reader.read(sink, Infinity))
  t.deepEqual(seen, [7, 8, 9, 10])
})
