/**
 * `submit`'s `transfer` option with kernels: the listed buffers are moved to the kernel (the
 * caller's are detached at `submit`, no new ArrayBuffer is made, the memory is freed once the
 * task settles), arrays over unlisted ordinary buffers are still copied, shared ones still
 * read in place, and a bad list throws `TypeError`.
 */
import { getHeapStatistics } from 'node:v8'

import test from 'ava'

import { kernels } from '../index.js'
import { delay, describeRun, runScript, runScripts, setup, waitUntil } from './helpers.js'

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

// The two memory figures below are read around awaits: serial, so that no other test of this
// file allocates meanwhile.
test.serial('a moved buffer leaves V8\'s external memory at submit: no new ArrayBuffer is made for it', async (t) => {
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

test.serial('a moved buffer\'s memory is freed once its kernel has settled', async (t) => {
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

const MOVER = `
  import { parentPort } from 'node:worker_threads'
  import { Executor, kernels } from {{PACKAGE}}
  const executor = new Executor({ maxWorkers: 2 })
  const small = new Float64Array([1, 2, 3])
  const sum = await executor.submit(kernels.sumOfSquares, [small], { transfer: [small.buffer] })
  const data = new Float64Array(1 << 25).fill(1) // 256 MB: tens of milliseconds to read
  const future = executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer] })
  parentPort.postMessage({ sum, detached: small.length === 0 && data.length === 0 })
  await future
`

const TERMINATOR = `
  import { Worker } from 'node:worker_threads'
  for (let i = 0; i < 6; i++) {
    const worker = new Worker(new URL('./mover.mjs', import.meta.url))
    const message = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    console.log('MOVED ' + JSON.stringify(message))
    await worker.terminate() // while its kernel reads the moved 256 MB
  }
  console.log('SURVIVED')
`

test('terminating a worker thread while its kernel reads moved buffers does not crash the process', async (t) => {
  // A worker's teardown closes its handles before the addon's cleanup hook stops the pool; memory
  // parked in a MessagePort there was freed under the running kernel (see lib/runners/moved-buffers.ts).
  const result = await runScripts({ 'main.mjs': TERMINATOR, 'mover.mjs': MOVER }, 'main.mjs', 60_000)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes('SURVIVED'), describeRun(result))
  const moved = result.stdout.split('\n').filter((l) => l.startsWith('MOVED '))
  t.is(moved.length, 6, describeRun(result))
  for (const line of moved) t.deepEqual(JSON.parse(line.slice('MOVED '.length)), { sum: 14, detached: true })
})

test('destroying the executor while its kernel reads moved buffers does not crash the process', async (t) => {
  // destroy() settles the running kernel at once, which releases the parked memory: it must be
  // freed only after the pool has stopped the kernel (see lib/runners/moved-buffers.ts).
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    for (let i = 0; i < 6; i++) {
      const executor = new Executor({ maxWorkers: 2 })
      const data = new Float64Array(1 << 25).fill(1) // 256 MB: tens of milliseconds to read
      const future = executor.submit(kernels.sumOfSquares, [data], { transfer: [data.buffer] })
      const deadline = Date.now() + 5000
      while (!future.running() && !future.done() && Date.now() < deadline) await new Promise((r) => setImmediate(r))
      await executor.destroy()
      const outcome = await future.then(() => 'completed', (e) => e.constructor.name)
      console.log('OUTCOME ' + outcome)
    }
    console.log('SURVIVED')
  `, 60_000)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes('SURVIVED'), describeRun(result))
  const outcomes = result.stdout.split('\n').filter((l) => l.startsWith('OUTCOME '))
  t.is(outcomes.length, 6, describeRun(result))
  // Running when destroyed (ExecutorShutdownError), not started yet (CancelledError), or done.
  for (const line of outcomes) t.true(['OUTCOME completed', 'OUTCOME ExecutorShutdownError', 'OUTCOME CancelledError'].includes(line), describeRun(result))
  t.true(outcomes.includes('OUTCOME ExecutorShutdownError'), 'no kernel was running when destroyed: ' + describeRun(result))
})
