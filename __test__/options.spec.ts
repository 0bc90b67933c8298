/** Constructor options: validation, and valid values that must work. */
import test from 'ava'

import { Executor, FifoScheduler, WorkStealingScheduler, kernels, type ExecutorOptions } from '../index.js'
import { isTypeOrRangeError, setup, spinTwin } from './helpers.js'

const invalid: Array<[string, unknown, typeof TypeError | typeof RangeError | undefined]> = [
  ['maxWorkers 0', { maxWorkers: 0 }, RangeError],
  ['maxWorkers 1025', { maxWorkers: 1025 }, RangeError],
  ['maxWorkers 1.5', { maxWorkers: 1.5 }, RangeError],
  ['maxWorkers -1', { maxWorkers: -1 }, RangeError],
  ['maxWorkers NaN', { maxWorkers: Number.NaN }, RangeError],
  ["maxWorkers '2'", { maxWorkers: '2' }, TypeError],
  ['queueCapacity 0', { queueCapacity: 0 }, RangeError],
  ['queueCapacity -1', { queueCapacity: -1 }, RangeError],
  ['queueCapacity 1.5', { queueCapacity: 1.5 }, RangeError],
  ['queueCapacity Infinity', { queueCapacity: Infinity }, RangeError],
  ['threadStackSize 1000 (< 64 KiB)', { threadStackSize: 1000 }, RangeError],
  ['threadStackSize 1.5', { threadStackSize: 1.5 }, RangeError],
  ["threadStackSize '1MiB'", { threadStackSize: '1MiB' }, TypeError],
  ['scheduler {}', { scheduler: {} }, undefined],
  ["scheduler 'fifo'", { scheduler: 'fifo' }, undefined],
  ['agingMs -1', { agingMs: -1 }, RangeError],
  ['agingMs NaN', { agingMs: Number.NaN }, RangeError],
  ["agingMs '5'", { agingMs: '5' }, TypeError],
  ['memoryLimit 0', { memoryLimit: 0 }, RangeError],
  ['memoryLimit -1', { memoryLimit: -1 }, RangeError],
  ['memoryLimit 1.5', { memoryLimit: 1.5 }, RangeError],
  ['memoryLimit Infinity', { memoryLimit: Infinity }, RangeError],
  ["memoryLimit '1GB'", { memoryLimit: '1GB' }, TypeError],
  ['unknown option key', { maxWorker: 2 }, undefined],
  ['options not an object', 5, undefined],
]

for (const [label, options, expected] of invalid) {
  test(`new Executor refuses ${label}`, (t) => {
    const error = t.throws(() => new Executor(options as ExecutorOptions))
    t.true(isTypeOrRangeError(error), `expected TypeError or RangeError, got ${String(error)}`)
    if (expected !== undefined) t.true(error instanceof expected, `expected ${expected.name}, got ${error?.name}`)
  })
}

test('a valid threadStackSize (1 MiB, and the 64 KiB minimum) works', async (t) => {
  for (const threadStackSize of [1024 * 1024, 64 * 1024]) {
    const { executor } = setup(t, { maxWorkers: 2, threadStackSize })
    t.is(await executor.submit(kernels.spin, [1000]), spinTwin(1000))
    t.is(await executor.submit(() => 'js'), 'js')
    t.deepEqual(await executor.map(kernels.spin, [1, 2, 3]), [1, 2, 3].map(spinTwin))
  }
})

test('valid options are accepted and echoed', async (t) => {
  const { executor } = setup(t, { maxWorkers: 3, queueCapacity: 7, agingMs: 0, scheduler: new FifoScheduler() })
  t.is(executor.maxWorkers, 3)
  t.is(executor.queueCapacity, 7)
  t.is(executor.getStats().maxWorkers, 3)
  t.is(await executor.submit(() => 1), 1)
  const { executor: other } = setup(t, { scheduler: new WorkStealingScheduler(), agingMs: 2.5 })
  t.is(await other.submit(kernels.spin, [0]), spinTwin(0))
  const { executor: defaults } = setup(t)
  t.is(defaults.queueCapacity, 10_000)
  const { executor: empty } = setup(t, {})
  t.is(await empty.submit(() => 2), 2)
})
