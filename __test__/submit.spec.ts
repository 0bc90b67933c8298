/** submit: JS functions (sync and async) and kernels, awaiting futures, and concurrency bounds. */
import test from 'ava'

import { Future, kernels } from '../index.js'
import { delay, type Gate, setup, spinTwin, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

test('submit runs a sync JS function with its arguments and resolves with its return value', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const future = executor.submit((a: number, b: string, c: boolean) => `${a}-${b}-${c}`, [7, 'x', true])
  t.true(future instanceof Future)
  t.is(await future, '7-x-true')
  // args default to []
  t.deepEqual(await executor.submit((...rest: unknown[]) => rest.length), 0)
})

test('a JS task returns its value unchanged (same object, same isolate)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const value = { nested: [1, 2, 3], fn: () => 1 }
  t.is(await executor.submit(() => value), value)
  const arg = new Map([[1, 'a']])
  t.is(await executor.submit((m: Map<number, string>) => m, [arg]), arg)
})

test('submit runs an async JS function and resolves only when its promise settles', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  let called = 0
  const future = executor.submit(async (n: number) => {
    called++
    await g.promise
    return n * 2
  }, [21])
  await waitUntil(() => called === 1, 'the async task to start')
  await delay(30)
  t.false(future.done(), 'the future settled before the promise returned by the task did')
  t.true(future.running())
  g.open()
  t.is(await future, 42)
  t.true(future.done())
  t.false(future.running())
})

test('submit runs native kernels and resolves with their results', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  t.is(await executor.submit(kernels.spin, [1000]), spinTwin(1000))
  t.is(await executor.submit(kernels.sleep, [5]), null)
  t.is(await executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])]), 14)
})

test('a future is awaitable and supports then / catch / finally', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.is(await executor.submit(() => 1).then((v) => v + 1), 2)
  const error = new Error('nope')
  t.is(
    await executor
      .submit(() => {
        throw error
      })
      .catch((e: unknown) => e),
    error,
  )
  let finallyRan = false
  t.is(
    await executor.submit(() => 'v').finally(() => {
      finallyRan = true
    }),
    'v',
  )
  t.true(finallyRan)
  // awaiting the same future twice gives the same value
  const future = executor.submit(() => ({}))
  t.is(await future, await future)
})

test('JS tasks run concurrently up to maxWorkers and never beyond it', async (t) => {
  const maxWorkers = 3
  const { executor, gate } = setup(t, { maxWorkers })
  const release = gate()
  let inside = 0
  let maxInside = 0
  let started = 0
  const futures = Array.from({ length: 10 }, (_, i) =>
    executor.submit(async () => {
      started++
      inside++
      maxInside = Math.max(maxInside, inside)
      await release.promise
      inside--
      return i
    }),
  )
  // A serial executor never gets 3 tasks inside at once: this times out there.
  await waitUntil(() => inside === maxWorkers, `${maxWorkers} JS tasks inside at once`)
  // Leave an executor that ignores maxWorkers the chance to start more.
  await delay(100)
  t.is(started, maxWorkers, 'more tasks started than maxWorkers allows')
  t.is(executor.getStats().activeThreads, maxWorkers)
  t.is(executor.getStats().queuedTasks, 10 - maxWorkers)
  release.open()
  t.deepEqual(await Promise.all(futures), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.is(maxInside, maxWorkers)
})

test('JS tasks with individual gates: concurrency stays exactly at maxWorkers while work remains', async (t) => {
  const maxWorkers = 3
  const { executor, gate } = setup(t, { maxWorkers })
  const gates: Gate[] = Array.from({ length: 10 }, () => gate())
  let inside = 0
  const running = new Set<number>()
  const samples: number[] = []
  const futures = gates.map((g, i) =>
    executor.submit(async () => {
      inside++
      running.add(i)
      samples.push(inside)
      await g.promise
      running.delete(i)
      inside--
    }),
  )
  for (let finished = 0; finished < 10; finished++) {
    const expected = Math.min(maxWorkers, 10 - finished)
    await waitUntil(() => inside === expected, `${expected} tasks inside after ${finished} finished`)
    // release the lowest running task
    const next = Math.min(...running)
    gates[next]!.open()
    await futures[next]
  }
  await Promise.all(futures)
  t.is(Math.max(...samples), maxWorkers)
  t.true(samples.every((n) => n <= maxWorkers))
})

test('native kernels run in parallel on the pool threads (two sleeps at once with maxWorkers 2)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const a = holdKernel(executor)
  const b = holdKernel(executor)
  // Impossible on a serial executor: the second hold would wait for the first one's release.
  await waitUntil(() => executor.getStats().activeThreads === 2, 'two kernels running at once', 10_000)
  t.true(a.future.running() && b.future.running())
  a.release()
  b.release()
  await Promise.all([a.future, b.future])
})

test('native kernels never exceed maxWorkers running at once', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const futures = Array.from({ length: 5 }, () => executor.submit(kernels.sleep, [250]))
  let maxActive = 0
  let allDone = false
  void Promise.all(futures).then(() => (allDone = true))
  while (!allDone) {
    maxActive = Math.max(maxActive, executor.getStats().activeThreads)
    await delay(2)
  }
  t.is(maxActive, 2)
})

test('JS and native tasks share the maxWorkers slots', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g1 = gate()
  const g2 = gate()
  const a = executor.submit(() => g1.promise)
  const b = executor.submit(() => g2.promise)
  await waitUntil(() => a.running() && b.running(), 'two JS tasks holding both slots')
  const native = executor.submit(kernels.spin, [0])
  await delay(100)
  t.false(native.done(), 'a kernel ran while JS tasks held every slot')
  t.is(executor.getStats().queuedTasks, 1)
  t.is(executor.getStats().activeThreads, 2)
  g1.open()
  t.is(await native, spinTwin(0))
  g2.open()
  await Promise.all([a, b])
})

test('a JS task waits for a slot held by a running kernel', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const hold = holdKernel(executor)
  await waitUntil(() => executor.getStats().activeThreads === 1, 'the kernel to run')
  let called = false
  let activeWhenCalled = -1
  const js = executor.submit(() => {
    called = true
    // this task itself is running; a kernel still sleeping would make it 2
    activeWhenCalled = executor.getStats().activeThreads
  })
  await delay(100)
  t.false(called, 'a JS task ran while a kernel held the only slot')
  hold.release()
  await js
  t.is(activeWhenCalled, 1)
  await hold.future
})

test('executors are independent: a blocked executor does not hold up another one', async (t) => {
  const { executor: a, gate } = setup(t, { maxWorkers: 1 })
  const { executor: b } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const blocker = a.submit(() => g.promise)
  await waitUntil(() => blocker.running(), 'a blocked')
  const queuedOnA = a.submit(() => 'a2')
  t.is(await b.submit(() => 'b1'), 'b1')
  t.is(await b.submit(kernels.spin, [3]), spinTwin(3))
  t.false(queuedOnA.done())
  t.is(a.getStats().queuedTasks, 1)
  t.is(b.getStats().queuedTasks, 0)
  t.is(b.getStats().submittedTasks, 2)
  t.is(a.getStats().submittedTasks, 2)
  g.open()
  t.is(await queuedOnA, 'a2')
})
