/** executor.wait (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, timeout) and executor.asCompleted. */
import test from 'ava'

import { Future, TimeoutError, type CompletedFuture, type WaitResult } from '../index.js'
import { flush, isTypeOrRangeError, setup, throwsOrRejects, waitUntil } from './helpers.js'

/** Tracks whether a promise has settled, so a test can assert it has not (yet). */
function track<T>(promise: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  let settled = false
  const tracked = promise.finally(() => {
    settled = true
  })
  return {
    promise: tracked,
    get settled() {
      return settled
    },
  }
}

function names<T>(futures: Future<T>[], all: Map<Future<T>, string>): string[] {
  return futures.map((f) => all.get(f) ?? '?').sort()
}

test('wait ALL_COMPLETED (the default) resolves only when every future is done', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 3 })
  const gates = [gate(), gate(), gate()]
  const futures = gates.map((g, i) => executor.submit(async () => {
    await g.promise
    return i
  }))
  const waiting = track(executor.wait(futures))
  gates[0]!.open()
  gates[2]!.open()
  await waitUntil(() => futures[0]!.done() && futures[2]!.done(), 'two futures done')
  await flush()
  t.false(waiting.settled, 'wait resolved while a future was still running')
  gates[1]!.open()
  const result = await waiting.promise
  t.is(result.done.length, 3)
  t.is(result.notDone.length, 0)
  t.true(futures.every((f) => result.done.includes(f)))
  t.deepEqual(await executor.wait(futures, { returnWhen: 'ALL_COMPLETED' }), { done: futures, notDone: [] })
})

test('wait FIRST_COMPLETED resolves as soon as one future is done', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 3 })
  const gates = [gate(), gate(), gate()]
  const futures = gates.map((g) => executor.submit(() => g.promise))
  const label = new Map(futures.map((f, i) => [f, `f${i}`]))
  const waiting = track(executor.wait(futures, { returnWhen: 'FIRST_COMPLETED' }))
  await flush()
  t.false(waiting.settled)
  gates[1]!.open()
  const result = await waiting.promise
  t.deepEqual(names(result.done, label), ['f1'])
  t.deepEqual(names(result.notDone, label), ['f0', 'f2'])
})

test('wait FIRST_EXCEPTION returns as soon as one future fails while the others are still gated', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 3 })
  const [g0, g1, g2] = [gate(), gate(), gate()]
  const ok0 = executor.submit(() => g0.promise)
  const failing = executor.submit(async () => {
    await g1.promise
    throw new Error('first exception')
  })
  const ok2 = executor.submit(() => g2.promise)
  const label = new Map<Future<unknown>, string>([
    [ok0, 'ok0'],
    [failing, 'failing'],
    [ok2, 'ok2'],
  ])
  const waiting = track(executor.wait([ok0, failing, ok2], { returnWhen: 'FIRST_EXCEPTION' }))
  // a success is not enough
  g0.open()
  await waitUntil(() => ok0.done(), 'ok0 done')
  await flush()
  t.false(waiting.settled, 'FIRST_EXCEPTION returned on a success')
  g1.open()
  const result: WaitResult<unknown> = await waiting.promise
  t.deepEqual(names(result.done, label), ['failing', 'ok0'])
  t.deepEqual(names(result.notDone, label), ['ok2'])
  t.false(ok2.done())
})

test('wait FIRST_EXCEPTION without any failure waits for all', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  const a = executor.submit(() => 1)
  const b = executor.submit(() => g.promise)
  const waiting = track(executor.wait<unknown>([a, b], { returnWhen: 'FIRST_EXCEPTION' }))
  await waitUntil(() => a.done(), 'a done')
  await flush()
  t.false(waiting.settled)
  g.open()
  const result = await waiting.promise
  t.is(result.done.length, 2)
})

test('wait with a timeout returns the partial split without throwing', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  const quick = executor.submit(() => 'quick')
  await quick
  const slow = executor.submit(() => g.promise)
  const result = await executor.wait<unknown>([quick, slow], { timeout: 50 })
  t.deepEqual(result.done, [quick])
  t.deepEqual(result.notDone, [slow])
  t.false(slow.done())
  g.open()
  await slow
})

test('a cancelled future counts as done (and not as an exception)', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const blocker = executor.submit(() => g.promise)
  await waitUntil(() => blocker.running(), 'the blocker to run')
  const queued = executor.submit(() => 'never')
  t.true(queued.cancel())
  const all = await executor.wait([queued])
  t.deepEqual(all, { done: [queued], notDone: [] })
  const first = await executor.wait<unknown>([queued, blocker], { returnWhen: 'FIRST_COMPLETED' })
  t.deepEqual(first, { done: [queued], notDone: [blocker] })
  const exception = track(executor.wait<unknown>([queued, blocker], { returnWhen: 'FIRST_EXCEPTION' }))
  await flush()
  t.false(exception.settled, 'a cancellation was treated as an exception')
  g.open()
  t.is((await exception.promise).done.length, 2)
})

test('wait lists each distinct future once, handles [], and validates its options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const f = executor.submit(() => 1)
  const result = await executor.wait([f, f, f])
  t.deepEqual(result, { done: [f], notDone: [] })
  t.deepEqual(await executor.wait([]), { done: [], notDone: [] })
  await throwsOrRejects(
    t,
    () => executor.wait([f], { returnWhen: 'SOMETIMES' as unknown as 'ALL_COMPLETED' }),
    (e): e is RangeError => e instanceof RangeError,
    'invalid returnWhen',
  )
  await throwsOrRejects(
    t,
    () => executor.wait([f, Promise.resolve(1) as unknown as Future<number>]),
    isTypeOrRangeError,
    'a promise that is not a future',
  )
})

test('asCompleted yields the submitted Future objects themselves, finished ones first, then in completion order', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 4 })
  const [g1, g2, g3] = [gate(), gate(), gate()]
  const f1 = executor.submit(async () => {
    await g1.promise
    return 'one'
  })
  const f2 = executor.submit(async () => {
    await g2.promise
    return 'two'
  })
  const f3 = executor.submit(async () => {
    await g3.promise
    return 'three'
  })
  const f0 = executor.submit(() => 'zero')
  await f0
  const iterator = executor.asCompleted([f1, f2, f3, f0])
  const first = await iterator.next()
  t.false(first.done)
  t.is(first.value, f0, 'the already finished future must come first')
  t.true(first.value instanceof Future)
  // complete 3 then 1 then 2, asking for each after it completed
  g3.open()
  await waitUntil(() => f3.done(), 'f3 done')
  g1.open()
  await waitUntil(() => f1.done(), 'f1 done')
  const second = await iterator.next()
  const third = await iterator.next()
  t.is(second.value, f3)
  t.is(third.value, f1)
  // and one that completes while next() is pending
  const pending = iterator.next()
  g2.open()
  const fourth = await pending
  t.is(fourth.value, f2)
  t.is(await (fourth.value as Future<string>), 'two')
  t.true((await iterator.next()).done)
})

test('asCompleted yields each distinct future once even if passed twice, including failed ones', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const ok = executor.submit(() => 'ok')
  const failed = executor.submit(() => {
    throw new Error('failed')
  })
  const seen: CompletedFuture<unknown>[] = []
  for await (const future of executor.asCompleted<unknown>([ok, failed, ok, failed, ok])) seen.push(future)
  t.is(seen.length, 2)
  t.true(seen.every((f) => f instanceof Future), 'for await unwrapped the futures')
  t.true(seen.includes(ok))
  t.true(seen.includes(failed))
  t.is(await failed.exception().then((e) => (e as Error).message), 'failed')
})

test('asCompleted throws TimeoutError when time runs out with futures still pending', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  const quick = executor.submit(() => 1)
  await quick
  const slow = executor.submit(() => g.promise)
  const seen: CompletedFuture<unknown>[] = []
  const error = await t.throwsAsync(async () => {
    for await (const future of executor.asCompleted<unknown>([quick, slow], { timeout: 50 })) seen.push(future)
  })
  t.true(error instanceof TimeoutError, String(error))
  t.deepEqual(seen, [quick])
  t.false(slow.done(), 'the timeout must not cancel or settle the task')
  t.false(slow.cancelled())
  g.open()
  await slow
})

test('asCompleted of nothing ends at once', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.true((await executor.asCompleted([]).next()).done)
})
