/**
 * `map` and `imap` leave the event loop free while they submit a large input (issue 20,
 * item 3): the submission loop yields between slices of a few milliseconds. The checks count
 * items, never time: a callback queued right after the call must run before the whole input
 * has been read (without slicing, all 1e6 items are read and encoded in one go first).
 */
import test from 'ava'

import { workerTask } from '../index.js'
import { setupWorkers } from './worker-helpers.js'

const ITEMS = 1_000_000
/** 1 000 chunks of 1 000 items: all within map's window of chunks in flight, so only slicing makes it yield. */
const CHUNK = 1_000
const same = workerTask((x: number) => x)

/** 0, 1, ... ITEMS - 1, counting what has been read in `read.count`. */
function* counted(read: { count: number }): Generator<number> {
  for (let i = 0; i < ITEMS; i++) {
    read.count++
    yield i
  }
}

/** How many items had been read when a callback queued now (`setImmediate`) ran. */
function readAtNextTurn(read: { count: number }): Promise<number> {
  return new Promise((resolve) => setImmediate(() => resolve(read.count)))
}

test('map yields to the event loop while it submits a large input', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const read = { count: 0 }
  const mapping = executor.map(same, counted(read), { chunkSize: CHUNK })
  const atTurn = await readAtNextTurn(read)
  t.true(atTurn < ITEMS, `the whole input (${atTurn} items) was read before the event loop turned`)
  const results = await mapping
  t.is(results.length, ITEMS)
  t.is(results[ITEMS - 1], ITEMS - 1)
})

test('imap yields to the event loop while it submits a large input', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const read = { count: 0 }
  const iterator = executor.imap(same, counted(read), { chunkSize: CHUNK, concurrency: ITEMS / CHUNK })
  const first = iterator.next()
  const atTurn = await readAtNextTurn(read)
  t.true(atTurn < ITEMS, `the whole input (${atTurn} items) was read before the event loop turned`)
  t.deepEqual(await first, { value: 0, done: false })
  let count = 1
  for await (const value of iterator) {
    if (value !== count) return t.fail(`item ${count} came back as ${value}`)
    count++
  }
  t.is(count, ITEMS)
})
