/**
 * A `Future` is a native promise to `await` and `Promise.all` (issue 20, item 2): they take it
 * as it is, with no wrapper promise and no extra job, so awaiting 100 000 futures costs what
 * awaiting 100 000 promises does (`npm run bench:overhead` has the figures). A thenable that
 * is not a promise takes one more job per await, which the ordering checks below would see.
 */
import test from 'ava'

import { Future, kernels, workerTask } from '../index.js'
import { setup } from './helpers.js'

/** Runs `first` and `second` as two async functions started in that order; the order they finished in. */
async function finishOrder(first: () => Promise<unknown>, second: () => Promise<unknown>): Promise<string[]> {
  const order: string[] = []
  const a = first().then(() => order.push('future'))
  const b = second().then(() => order.push('promise'))
  await Promise.all([a, b])
  return order
}

test('Promise.resolve and await take a future as it is, every kind of task', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, jsWorkers: 1 })
  const futures = [executor.submit(() => 1), executor.submit(kernels.spin, [0]), executor.submit(workerTask((x: number) => x), [3])]
  for (const future of futures) {
    t.true(future instanceof Future)
    t.true(future instanceof Promise)
    t.is(Promise.resolve(future), future, 'Promise.resolve wrapped the future in a new promise')
  }
  const [main, native, worker] = await Promise.all(futures)
  t.is(main, 1)
  t.is(typeof native, 'number')
  t.is(worker, 3)
})

test('await on a settled future takes as many jobs as await on a promise', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => 'value')
  await future
  const promise = Promise.resolve('value')
  // Started first, the future's await must also finish first; one extra job would put it second.
  t.deepEqual(
    await finishOrder(
      async () => await future,
      async () => await promise,
    ),
    ['future', 'promise'],
  )
  t.deepEqual(
    await finishOrder(
      () => Promise.all([future]),
      () => Promise.all([promise]),
    ),
    ['future', 'promise'],
  )
})

test('then, catch and finally give plain promises; a failure nobody awaits stays handled', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => 2)
  const derived = future.then((x) => x * 2)
  t.false(derived instanceof Future)
  t.is(await derived, 4)
  const failing = executor.submit(() => {
    throw new RangeError('no')
  })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => process.off('unhandledRejection', onUnhandled))
  // Let it settle and let Node look for unhandled rejections (it does after each macrotask).
  await new Promise<void>((resolve) => failing.addDoneCallback(() => resolve()))
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(unhandled, [])
  t.true(failing.failed())
  await t.throwsAsync(failing, { instanceOf: RangeError, message: 'no' })
  t.is(await failing.catch(() => 'caught'), 'caught')
  t.is(await failing.finally(() => {}).catch((e: unknown) => (e as Error).message), 'no')
})

test('Promise statics called on Future are refused: futures come from an executor', (t) => {
  // `Future.resolve(1)` would construct a Future around an executor function.
  t.throws(() => (Future as unknown as PromiseConstructor).resolve(1), { instanceOf: TypeError, message: /created by an executor/ })
})
