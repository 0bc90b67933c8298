/**
 * `ChunkSizes` (issue 20): `map`/`imap` chunk sizes follow the measured cost of the items.
 * The clock is injected, so these checks feed costs and assert sizes, never durations.
 */
import test from 'ava'

import { workerTask } from '../index.js'
import { ChunkSizes, MAX_CHUNK, TARGET_MS } from '../lib/chunk-sizes.js'
import { setupWorkers } from './worker-helpers.js'

const double = workerTask((x: number) => x * 2)

/** A clock the spec moves by hand. */
function manualClock(): { now: number; read: () => number } {
  const clock = { now: 0, read: () => clock.now }
  return clock
}

/**
 * Runs chunks one after the other, each taking `perItemMs * size / parallel` on the clock
 * (every worker busy), and returns the sizes chosen.
 */
function run(sizes: ChunkSizes, clock: { now: number }, perItemMs: number, chunks: number, parallel = 2): number[] {
  const seen: number[] = []
  for (let i = 0; i < chunks; i++) {
    const size = sizes.size
    seen.push(size)
    const at = sizes.submitted()
    clock.now += (perItemMs * size) / parallel
    sizes.completed(size, at)
  }
  return seen
}

test('cheap items: the size starts at 1 and doubles up to the largest chunk', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, clock: clock.read })
  const seen = run(sizes, clock, 0.0001, 30)
  t.is(seen[0], 1)
  for (let i = 1; i < seen.length; i++) t.true(seen[i]! === Math.min(MAX_CHUNK, seen[i - 1]! * 2), `sizes ${seen.join(' ')}`)
  t.is(seen.at(-1), MAX_CHUNK)
})

test('the size settles where a chunk takes about the target time', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, clock: clock.read })
  const perItemMs = 0.01 // 100 items per 1 ms
  run(sizes, clock, perItemMs, 60)
  const chunkMs = sizes.size * perItemMs
  t.true(chunkMs >= TARGET_MS / 2 && chunkMs <= 2 * TARGET_MS, `size ${sizes.size}: ${chunkMs} ms per chunk`)
})

test('items that become expensive shrink the chunks, down to one item', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, clock: clock.read })
  run(sizes, clock, 0.0001, 20)
  const big = sizes.size
  t.true(big >= 1024)
  const after = run(sizes, clock, 5, 40)
  t.true(after.some((size) => size < big / 2), 'the size never shrank')
  t.is(sizes.size, 1)
})

test('an explicit chunkSize never changes', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ fixed: 7, parallel: 2, clock: clock.read })
  t.deepEqual(new Set([...run(sizes, clock, 0.0001, 10), ...run(sizes, clock, 50, 10)]), new Set([7]))
})

test('an input of known length is cut into at least 4 chunks per worker', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, length: 800, clock: clock.read })
  t.is(Math.max(...run(sizes, clock, 0.0001, 20)), 100)
})

test('it grows once per chunk measured at the current size, not once per completion', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, clock: clock.read })
  // Ten one-item chunks in flight at once: their completions measure size 1 only.
  const at = Array.from({ length: 10 }, () => sizes.submitted())
  t.is(sizes.size, 1)
  for (const submittedAt of at) {
    clock.now += 0.001
    sizes.completed(1, submittedAt)
  }
  t.is(sizes.size, 2)
})

test('time the workers had nothing of ours to do does not count as item cost', (t) => {
  const clock = manualClock()
  const sizes = new ChunkSizes({ parallel: 2, clock: clock.read })
  run(sizes, clock, 0.0001, 12)
  const before = sizes.size
  // A consumer that did not keep up: a long pause, then a chunk submitted and done quickly.
  clock.now += 10_000
  const at = sizes.submitted()
  clock.now += (0.0001 * sizes.size) / 2
  sizes.completed(sizes.size, at)
  t.true(sizes.size >= before, `shrank from ${before} to ${sizes.size} after a pause`)
})

test('imap of a worker task over a lazy source starts with one-item chunks (it reads few items ahead of the first result)', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  let pulled = 0
  function* naturals(): Generator<number> {
    for (let i = 0; ; i++) {
      pulled++
      yield i
    }
  }
  const concurrency = 4
  const iterator = executor.imap(double, naturals(), { concurrency })
  t.deepEqual(await iterator.next(), { value: 0, done: false })
  const atFirst = pulled
  await iterator.return?.()
  // One item per chunk until a chunk has been measured: at most `concurrency` chunks were
  // filled before the first result (a fixed default of 16 items per chunk read 64).
  t.true(atFirst <= concurrency + 1, `read ${atFirst} items before the first result`)
})
