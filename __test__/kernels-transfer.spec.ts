/**
 * `submit`'s `transfer` option with kernels: the listed buffers are moved to the kernel (the
 * caller's are detached at `submit`, no new ArrayBuffer is made, the memory is freed once the
 * task settles), arrays over unlisted ordinary buffers are still copied, shared ones still
 * read in place, and a bad list throws `TypeError`.
 */
import { getHeapStatistics } from 'node:v8'

import test from 'ava'

import { kernels } from '../index.js'
import { delay, setup, waitUntil } from './helpers.js'

const squares = (values: Iterable<number>): number => [...values].reduce((s, x) => s + x * x, 0)

test('transfer moves a listed buffer to a kernel: detached in the caller, read by the kernel', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const values = Array.from({ length: 1 << 20 }, (_, i) => (i % 13) - 6)
  const data = Float64Array.from(values)
  const future = executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer] })
  t.is(data.buffer.byteLength, 0, 'the caller still holds the buffer')
  t.is(data.length, 0)
  t.is(await future, squares(values))
  const bytes = new TextEncoder().encode('abc')
  const hash = await executor.submit(kernels.sha256, [bytes], { transfer: [bytes.buffer] })
  t.is(Buffer.from(hash).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.is(bytes.byteLength, 0)
})

test('with transfer, listed, unlisted and shared arrays each keep their meaning while the kernel waits', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const first = executor.submit(() => blocker.promise)
  await waitUntil(() => first.running(), 'the blocker to run')
  const moved = Float64Array.from([1, 2, 3])
  const unlisted = Float64Array.from([1, 2, 3])
  const shared = new Float64Array(new SharedArrayBuffer(3 * 8))
  shared.set([1, 2, 3])
  const movedAndUnlisted = executor.submit(kernels.dot, [moved, unlisted], { transfer: [moved.buffer] })
  const withShared = executor.submit(kernels.dot, [Float64Array.from([1, 1, 1]), shared], { transfer: [] })
  t.is(moved.byteLength, 0)
  t.is(unlisted.byteLength, 24, 'an unlisted buffer was detached')
  await delay(10) // queued behind the blocker
  unlisted[0] = 100
  shared[0] = 10
  blocker.open()
  t.is(await movedAndUnlisted, 1 + 4 + 9, 'the unlisted array was read as it was at submission')
  t.is(await withShared, 10 + 2 + 3, 'the shared array was read in place, when the kernel ran')
})

test('a moved buffer leaves V8\'s external memory at submit: no new ArrayBuffer is made for it', async (t) => {
  // A clone of the buffer (structuredClone with a transfer list) kept V8's count of external
  // memory where it was, at a limit lowered by the detach, and the next allocation paid for a
  // garbage collection; see lib/runners/moved-buffers.ts.
  const { executor } = setup(t, { maxWorkers: 1 })
  const bytes = 16 << 20
  const data = new Float64Array(bytes / 8).fill(0.5)
  const before = getHeapStatistics().external_memory
  const future = executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer] })
  const after = getHeapStatistics().external_memory
  t.true(before - after >= bytes - (1 << 20), `external memory went from ${before} to ${after}`)
  t.is(await future, (bytes / 8) * 0.25)
})

test('a moved buffer\'s memory is freed once its kernel has settled', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const bytes = 64 << 20
  const data = new Float64Array(bytes / 8).fill(1)
  const held = process.memoryUsage().arrayBuffers
  t.is(await executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer] }), bytes / 8)
  await waitUntil(() => process.memoryUsage().arrayBuffers <= held - bytes, 'the moved memory to be freed', 5000)
  t.pass()
})

test('a bad transfer list throws TypeError at submit and detaches nothing', (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const data = Float64Array.from([1, 2])
  const twice = t.throws(() => executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer, data.buffer] }), { instanceOf: TypeError })
  t.truthy(twice?.cause, 'the clone error is kept as the cause')
  t.is(data.byteLength, 16)
  t.throws(() => executor.submit(kernels.sumOfSquares, [data], { transfer: [new SharedArrayBuffer(8)] as never }), { instanceOf: TypeError })
  t.throws(() => executor.submit(() => 1, [], { transfer: [data.buffer] }), { instanceOf: TypeError, message: /worker tasks and kernels/ })
  const gone = Float64Array.from([3])
  structuredClone(gone.buffer, { transfer: [gone.buffer] })
  const detached = t.throws(() => executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer, gone.buffer] }), { instanceOf: TypeError, message: /already detached/ })
  t.truthy(detached?.cause)
  t.is(data.byteLength, 16)
})
