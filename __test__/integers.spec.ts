/**
 * Numbers keep their representation across threads: an integer crosses as a small integer
 * (V8's Smi), so integer code on a worker runs as fast as on the main thread (the speed
 * itself is a row of `npm run bench:workers`, not a timed test here), and every other number
 * (`-0`, `NaN`, fractions, `2 ** 53`) keeps its exact value.
 *
 * Whether a value is a small integer is V8's `%IsSmi`, enabled for this process (workers
 * included: V8's flags are process-wide) before any function that uses it is compiled.
 */
import v8 from 'node:v8'

import test from 'ava'

import { kernels, workerTask } from '../index.js'
import { setupWorkers } from './worker-helpers.js'

v8.setFlagsFromString('--allow-natives-syntax')
const isSmi = new Function('x', 'return %IsSmi(x)') as (x: unknown) => boolean

/** On a worker: which of its arguments arrived as small integers. */
const smiArgs = workerTask(new Function('...args', 'return args.map((x) => %IsSmi(x))') as (...args: number[]) => boolean[])
/** On a worker, as a map item: whether the item arrived as a small integer. */
const smiItem = workerTask(new Function('x', 'return %IsSmi(x)') as (x: number) => boolean)
const same = workerTask((x: number) => x)
const all = workerTask((...args: number[]) => args)

/** Values that are not small integers, or are at the edge of the int32 range. */
const EDGES = [-0, 0, NaN, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 0.5, -1.5, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, Infinity, -Infinity, Number.MIN_VALUE, 1e300]

test('integer arguments reach a worker as small integers, however many there are', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  t.deepEqual(await executor.submit(smiArgs, [3]), [true])
  t.deepEqual(await executor.submit(smiArgs, [3, -4]), [true, true])
  t.deepEqual(await executor.submit(smiArgs, [3, -4, 5]), [true, true, true])
  // More numbers than fit in the worker's header.
  const many = Array.from({ length: 100 }, (_, i) => i - 50)
  t.deepEqual(await executor.submit(smiArgs, many), many.map(() => true))
  t.deepEqual(await executor.submit(smiArgs, [0.5, 2 ** 31, -0]), [false, false, false])
})

test('integer results come back from a worker as small integers: a number, a map chunk', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const one = await executor.submit(same, [7])
  t.is(one, 7)
  t.true(isSmi(one))
  const chunk = await executor.map(same, [1, 2, 3, -4], { chunkSize: 4 })
  t.deepEqual(chunk, [1, 2, 3, -4])
  t.true(chunk.every(isSmi))
})

test('integer results stay small integers after results with fractions (V8 remembers element kinds)', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  // Enough arrays of doubles for V8 to start new arrays from the same code as arrays of doubles.
  for (let i = 0; i < 20; i++) {
    t.deepEqual(await executor.map(same, [0.5, 1, NaN], { chunkSize: 3 }), [0.5, 1, NaN])
    const integers = await executor.map(same, [1, 2, 3, -4], { chunkSize: 2 })
    t.deepEqual(integers, [1, 2, 3, -4])
    if (!integers.every(isSmi)) return t.fail(`round ${i}: an integer came back as a heap double`)
  }
})

test('map items of numbers reach a worker as small integers', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const items = Array.from({ length: 1000 }, (_, i) => i)
  t.true((await executor.map(smiItem, items, { chunkSize: 100 })).every((smi) => smi))
})

test('a kernel that returns an integer gives a small integer, alone and in a map', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 0 })
  const sum = await executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])])
  t.is(sum, 14)
  t.true(isSmi(sum))
  const sums = await executor.map(kernels.sumOfSquares, [new Float64Array([1]), new Float64Array([2, 2])])
  t.deepEqual(sums, [1, 8])
  t.true(sums.every(isSmi))
})

test('-0, NaN, 2 ** 53, fractions and the int32 edges keep their values both ways', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const equal = (actual: readonly number[], what: string): void => {
    t.is(actual.length, EDGES.length, what)
    EDGES.forEach((value, i) => t.true(Object.is(actual[i], value), `${what}: ${String(actual[i])} for ${String(value)}`))
  }
  // One argument and one result, the fast path of each.
  equal(await Promise.all(EDGES.map((value) => executor.submit(same, [value]))), 'one number each way')
  // Two arguments (the header's other fast path), and all of them as one task's arguments.
  for (let i = 0; i + 1 < EDGES.length; i += 2) {
    const pair = await executor.submit(all, [EDGES[i]!, EDGES[i + 1]!])
    t.true(Object.is(pair[0], EDGES[i]) && Object.is(pair[1], EDGES[i + 1]), `pair ${i}`)
  }
  equal(await executor.submit(all, EDGES), 'every value as one task')
  // A map chunk of numbers, both ways; and a kernel's number result.
  equal(await executor.map(same, EDGES, { chunkSize: EDGES.length }), 'a map chunk')
  const squares = await executor.map(kernels.sumOfSquares, EDGES.map((value) => new Float64Array([value])))
  squares.forEach((square, i) => t.true(Object.is(square, EDGES[i]! * EDGES[i]!), `sumOfSquares of ${EDGES[i]}`))
})
