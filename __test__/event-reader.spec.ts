/**
 * `EventReader` (issue 20): the pool's event batches are read in slices, so settling a batch
 * of many large `map` chunks never stalls the event loop for long. The deadline is passed in,
 * so these checks count the events read, never time.
 */
import test from 'ava'

import type { EventBatch } from '../lib/binding.js'
import { EventKind } from '../lib/wire/codes.js'
import { EventReader, type EventSink } from '../lib/wire/events.js'

/** A batch of `WorkerNumbers` events (each carries a payload: a chunk's results) for `ids`. */
function chunks(ids: number[]): EventBatch {
  return {
    kinds: new Uint8Array(ids.map(() => EventKind.WorkerNumbers)),
    ids: new Float64Array(ids),
    numbers: new Float64Array(ids.length),
    payloads: ids.map((id) => new Float64Array([id])),
  }
}

/** A batch of `Number` events (no payload: cheap) for `ids`, each returning its id. */
function numbers(ids: number[]): EventBatch {
  return { kinds: new Uint8Array(ids.length).fill(EventKind.Number), ids: new Float64Array(ids), numbers: new Float64Array(ids), payloads: [] }
}

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
  const reader = new EventReader()
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
  const reader = new EventReader()
  const ids = Array.from({ length: 200 }, (_, i) => i + 1)
  reader.add(numbers(ids))
  const { sink, seen } = recorder()
  t.false(reader.read(sink, -Infinity))
  t.true(seen.length > 1 && seen.length < ids.length, `${seen.length} events in the first read`)
  while (!reader.read(sink, -Infinity));
  t.deepEqual(seen, ids)
})

test('with time left, everything is read in one call, in order', (t) => {
  const reader = new EventReader()
  reader.add(chunks([1, 2]))
  reader.add(numbers([3, 4]))
  reader.add(chunks([5]))
  const { sink, seen } = recorder()
  t.true(reader.read(sink, Infinity))
  t.deepEqual(seen, [1, 2, 3, 4, 5])
})

test('an event whose sink call throws counts as read: it is never delivered twice', (t) => {
  const reader = new EventReader()
  reader.add(chunks([1, 2, 3]))
  const { sink, seen } = recorder((id) => {
    if (id === 2) throw new Error('boom')
  })
  t.throws(() => reader.read(sink, Infinity), { message: 'boom' })
  t.true(reader.read(sink, Infinity))
  t.deepEqual(seen, [1, 2, 3])
})
