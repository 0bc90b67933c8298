/** The bounded queue: queueCapacity, QueueFullError, and how refusals are counted. */
import test from 'ava'

import { QueueFullError, TaskPriority, kernels } from '../index.js'
import { setup, waitForRest, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

test('a full queue refuses the next submission synchronously with QueueFullError; cancelling frees a place', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 2 })
  const release = gate()
  const blocker = executor.submit(() => release.promise)
  await waitUntil(() => blocker.running(), 'the blocker to run (so it no longer counts as queued)')
  const a = executor.submit(() => 'a')
  const b = executor.submit(() => 'b')
  let called = false
  const error = t.throws(() =>
    executor.submit(() => {
      called = true
    }),
  )
  t.true(error instanceof QueueFullError, String(error))
  t.is((error as QueueFullError).code, 'ERR_QUEUE_FULL')
  t.is((error as QueueFullError).capacity, 2)
  // a kernel and a HIGH task are refused as well
  t.throws(() => executor.submit(kernels.spin, [1]), { instanceOf: QueueFullError })
  t.throws(() => executor.submit(() => 'high', [], { priority: TaskPriority.HIGH }), { instanceOf: QueueFullError })
  let stats = executor.getStats()
  t.is(stats.rejectedTasks, 3)
  t.is(stats.submittedTasks, 3, 'refused submissions must not count as submitted')
  t.is(stats.queuedTasks, 2)

  // cancelling a queued task makes room for exactly one more
  t.true(b.cancel())
  const c = executor.submit(() => 'c')
  t.throws(() => executor.submit(() => 'd'), { instanceOf: QueueFullError })

  release.open()
  t.deepEqual(await Promise.all([blocker, a, c]), [undefined, 'a', 'c'])
  await waitForRest(executor)
  t.false(called)
  stats = executor.getStats()
  t.is(stats.rejectedTasks, 4)
  t.is(stats.submittedTasks, 4) // blocker, a, b, c
  t.is(stats.completedTasks, 3) // blocker, a, c
  t.is(stats.cancelledTasks, 1)
  t.is(stats.submittedTasks, stats.completedTasks + stats.failedTasks + stats.cancelledTasks)
  // once drained, the queue accepts work again
  t.deepEqual(await Promise.all([executor.submit(() => 1), executor.submit(() => 2)]), [1, 2])
})

test('running tasks do not take queue places: capacity 1 with every worker busy still takes one', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2, queueCapacity: 1 })
  const release = gate()
  // one at a time: a JS task counts as queued until the pool hands it to the JS thread
  const first = executor.submit(() => release.promise)
  await waitUntil(() => first.running(), 'the first slot taken')
  const second = executor.submit(() => release.promise)
  await waitUntil(() => second.running(), 'the second slot taken')
  const running = [first, second]
  const queued = executor.submit(kernels.spin, [0])
  t.throws(() => executor.submit(kernels.spin, [0]), { instanceOf: QueueFullError })
  release.open()
  await Promise.all([...running, queued])
})

test('a queue of native kernels behind a busy worker fills up too', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1, queueCapacity: 3 })
  const hold = holdKernel(executor)
  await waitUntil(() => executor.getStats().activeThreads === 1, 'the kernel to run')
  const queued = [1, 2, 3].map((n) => executor.submit(kernels.spin, [n]))
  t.throws(() => executor.submit(kernels.spin, [4]), { instanceOf: QueueFullError })
  t.is(executor.getStats().queuedTasks, 3)
  for (const f of queued) t.true(f.cancel())
  t.is(executor.getStats().queuedTasks, 0)
  hold.release()
  await hold.future
})
