/** The run-time `timeout` of submit: the clock starts when the task starts, not when it is queued. */
import test from 'ava'

import { TimeoutError, kernels } from '../index.js'
import { delay, setup, waitUntil } from './helpers.js'

test('a kernel past its limit is stopped through its cancellation flag and rejects with TimeoutError', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const sleeper = executor.submit(kernels.sleep, [60_000], { timeout: 50 })
  const spinner = executor.submit(kernels.spin, [1e15], { timeout: 50 })
  const error = await t.throwsAsync(sleeper, { instanceOf: TimeoutError })
  t.is(error?.code, 'ERR_TIMEOUT')
  // Both would take minutes if they were not stopped; the single slot serves them in turn.
  await t.throwsAsync(spinner, { instanceOf: TimeoutError })
  t.is(await executor.submit(kernels.spin, [3]), await executor.submit(kernels.spin, [3]))
  const stats = executor.getStats()
  t.is(stats.failedTasks, 2)
  t.is(stats.activeThreads, 0)
})

test('a JS task past its limit rejects with TimeoutError, frees its slot, and its late result is ignored', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const never = gate()
  let lateSettled = false
  const stuck = executor.submit(
    async () => {
      await never.promise
      lateSettled = true
      return 'late'
    },
    [],
    { timeout: 30 },
  )
  const next = executor.submit(() => 'next') // needs the only slot
  await t.throwsAsync(stuck, { instanceOf: TimeoutError })
  t.is(await next, 'next')
  never.open()
  await waitUntil(() => lateSettled, 'the late promise to settle')
  await delay(10)
  const stats = executor.getStats()
  t.is(stats.failedTasks, 1, 'the late result did not count as a second outcome')
  t.is(stats.completedTasks, 1)
  t.is(stats.activeThreads, 0, 'the slot was given back once, not twice or never')
})

test('time spent queued does not count against the limit', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const first = executor.submit(() => blocker.promise)
  await waitUntil(() => first.running(), 'the blocker to run')
  const js = executor.submit(async () => 'js', [], { timeout: 100 })
  const native = executor.submit(kernels.spin, [10], { timeout: 100 })
  await delay(300) // both have waited three times their limit, queued
  blocker.open()
  t.is(await js, 'js')
  t.is(typeof (await native), 'number')
})

test('timeout is checked: a negative or non-number limit throws, Infinity means no limit', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.throws(() => executor.submit(() => 1, [], { timeout: -1 }), { instanceOf: RangeError })
  t.throws(() => executor.submit(() => 1, [], { timeout: Number.NaN }), { instanceOf: RangeError })
  t.throws(() => executor.submit(() => 1, [], { timeout: '5' as unknown as number }), { instanceOf: TypeError })
  t.is(await executor.submit(kernels.spin, [0], { timeout: Infinity }), await executor.submit(kernels.spin, [0]))
  t.is(await executor.submit(async () => 2, [], { timeout: Infinity }), 2)
})

test('limits beyond what a timer or a duration can hold mean "not yet", not "now" or an error', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1, agingMs: 1e300 })
  const huge = 2 ** 31 + 5 // Node fires a plain setTimeout this long at once
  const js = executor.submit(async () => {
    await delay(30)
    return 'js'
  }, [], { timeout: huge })
  const native = executor.submit(kernels.spin, [10], { timeout: 1e300 })
  const neighbour = executor.submit(kernels.spin, [10]) // batched with the one above
  t.is(await js, 'js')
  t.is(await native, await neighbour)
  const waited = executor.submit(async () => {
    await delay(30)
    return 'waited'
  })
  t.is(await waited.result({ timeout: huge }), 'waited')
})
