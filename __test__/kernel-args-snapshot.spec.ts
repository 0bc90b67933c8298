/**
 * A Float64Array over an ordinary buffer is copied at submission: writing to it or detaching
 * it after `submit`/`map` returned does not reach the kernel (regression: the copy used to be
 * made only when the batch reached the pool, at the end of the microtask, so a write changed
 * the result and a detach made the kernel see an empty array and return 0).
 */
import test from 'ava'

import { kernels } from '../index.js'
import { setup, waitUntil } from './helpers.js'

function detach(array: Float64Array): void {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] })
}

for (const length of [3, 100_000]) {
  const ones = (): Float64Array => new Float64Array(length).fill(1)

  test(`submit: writes after submit do not reach the kernel (${length} elements)`, async (t) => {
    const { executor } = setup(t, { maxWorkers: 1 })
    const data = ones()
    const future = executor.submit(kernels.sumOfSquares, [data])
    data.fill(10)
    t.is(await future, length)
  })

  test(`submit: detaching after submit does not empty the kernel's input (${length} elements)`, async (t) => {
    const { executor } = setup(t, { maxWorkers: 1 })
    const data = ones()
    const future = executor.submit(kernels.sumOfSquares, [data])
    detach(data)
    t.is(data.length, 0)
    t.is(await future, length)
  })

  test(`map: items taken are copied, whatever happens to them afterwards (${length} elements)`, async (t) => {
    const { executor } = setup(t, { maxWorkers: 1 })
    const a = ones()
    const b = ones()
    const result = executor.map(kernels.sumOfSquares, [a, b])
    // map takes items as it goes, in slices of a few ms (issue 20): change them once both are
    // taken, at once if they were (in the same microtask, before the batch reaches the pool).
    const taken = (): boolean => executor.getStats().submittedTasks >= 2
    if (!taken()) await waitUntil(taken, 'the map to take both items')
    a.fill(10)
    detach(b)
    t.deepEqual(await result, [length, length])
  })
}

test('a SharedArrayBuffer view is still read in place, not copied', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const first = executor.submit(() => blocker.promise) // holds the only slot
  const data = new Float64Array(new SharedArrayBuffer(8 * 4)).fill(1)
  const future = executor.submit(kernels.sumOfSquares, [data])
  data.fill(2) // documented: do not write while a kernel reads; before it starts, this shows
  blocker.open()
  await first
  t.is(await future, 16)
})
