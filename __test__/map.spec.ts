/** executor.map: ordering, scale with a bounded queue, errors, timeout, abort, chunking, laziness, kernels. */
import test from 'ava'

import { CancelledError, TimeoutError, kernels } from '../index.js'
import { delay, isTypeOrRangeError, setup, spinTwin, throwsOrRejects, waitForRest, waitUntil } from './helpers.js'

/** Resolves after `n` turns of the event loop (setImmediate), to make later items finish earlier. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r))
}

test('map resolves with results in input order even when items finish out of order', async (t) => {
  const { executor } = setup(t, { maxWorkers: 4 })
  const finished: number[] = []
  const items = Array.from({ length: 40 }, (_, i) => i)
  const results = await executor.map(async (x: number) => {
    await turns(40 - x) // later items take fewer turns
    finished.push(x)
    return x * 10
  }, items)
  t.deepEqual(results, items.map((x) => x * 10))
  t.notDeepEqual(finished, items, 'items finished in input order: this run did not exercise reordering')
})

test('map with a kernel: one argument per item, results in order', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const ns = [1000, 0, 5, 70_000, 1, 2, 3, 65_536, 65_537]
  t.deepEqual(await executor.map(kernels.spin, ns), ns.map(spinTwin))
  t.deepEqual(await executor.map(kernels.spin, ns, { chunkSize: 2 }), ns.map(spinTwin))
  const arrays = [new Float64Array([1, 2]), new Float64Array([3]), new Float64Array(0)]
  t.deepEqual(await executor.map(kernels.sumOfSquares, arrays), [5, 9, 0])
  t.deepEqual(await executor.map(kernels.sleep, [1, 1, 1]), [null, null, null])
})

test('map of an empty iterable resolves with []', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.deepEqual(await executor.map((x: number) => x, []), [])
  t.deepEqual(await executor.map(kernels.spin, []), [])
})

test('map maps 1 000 000 items through a 10 000-place queue (JS function and kernel)', async (t) => {
  t.timeout(60_000)
  const { executor } = setup(t, { maxWorkers: 2, queueCapacity: 10_000 })
  const n = 1_000_000
  function* range(): Generator<number> {
    for (let i = 0; i < n; i++) yield i
  }
  // chunkSize 10 still means 100 000 tasks, ten times the queue's capacity
  const js = await executor.map((x: number) => x * 2 + 1, range(), { chunkSize: 10 })
  t.is(js.length, n)
  let ok = true
  for (let i = 0; i < n; i++) if (js[i] !== i * 2 + 1) ok = false
  t.true(ok, 'a JS result is missing or out of place')

  const zeros = new Array<number>(n).fill(0)
  const native = await executor.map(kernels.spin, zeros)
  t.is(native.length, n)
  const expected = spinTwin(0)
  t.true(native.every((v) => v === expected), 'a kernel result is wrong or missing')
  const stats = executor.getStats()
  t.is(stats.rejectedTasks, 0, 'map must feed the queue as it has room, not overflow it')
  t.is(stats.failedTasks, 0)
})

test('map feeds many more single-item tasks than the queue holds', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, queueCapacity: 16 })
  const items = Array.from({ length: 5000 }, (_, i) => i)
  t.deepEqual(await executor.map((x: number) => -x, items), items.map((x) => -x))
  t.deepEqual(await executor.map(kernels.spin, items.slice(0, 2000).map(() => 3), { chunkSize: 1 }), items.slice(0, 2000).map(() => spinTwin(3)))
  t.is(executor.getStats().submittedTasks, 7000)
})

test("map's own flow control is not counted as refused submissions (rejectedTasks stays 0)", async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, queueCapacity: 16 })
  const items = Array.from({ length: 2000 }, (_, i) => i)
  t.deepEqual(await executor.map((x: number) => x, items), items)
  const stats = executor.getStats()
  t.is(stats.submittedTasks, 2000)
  t.is(stats.rejectedTasks, 0, 'the user submitted nothing that was refused')
})

test('chunkSize groups items into tasks', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const items = Array.from({ length: 100 }, (_, i) => i)
  t.deepEqual(await executor.map((x: number) => x + 1, items, { chunkSize: 10 }), items.map((x) => x + 1))
  t.is(executor.getStats().submittedTasks, 10)
  t.deepEqual(await executor.map((x: number) => x + 1, items.slice(0, 7), { chunkSize: 3 }), [1, 2, 3, 4, 5, 6, 7])
  t.is(executor.getStats().submittedTasks, 13)
  t.deepEqual(await executor.map(kernels.spin, items.slice(0, 10), { chunkSize: 4 }), items.slice(0, 10).map(spinTwin))
  t.is(executor.getStats().submittedTasks, 16)
})

test('chunkSize is validated: 0, 1.5, -1 and NaN are RangeErrors, a string is a TypeError', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  for (const chunkSize of [0, 1.5, -1, Number.NaN]) {
    await throwsOrRejects(t, () => executor.map((x: number) => x, [1, 2], { chunkSize }), (e): e is RangeError => e instanceof RangeError, `chunkSize ${chunkSize}`)
  }
  await throwsOrRejects(
    t,
    () => executor.map((x: number) => x, [1], { chunkSize: '2' as unknown as number }),
    isTypeOrRangeError,
    "chunkSize '2'",
  )
  t.is(executor.getStats().submittedTasks, 0)
})

test('map rejects with the error of the first failing item (same object)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const errors = new Map<number, Error>()
  const error = await t.throwsAsync(
    executor.map((x: number) => {
      if (x === 7 || x === 15) {
        const e = new Error(`item ${x}`)
        errors.set(x, e)
        throw e
      }
      return x
    }, Array.from({ length: 20 }, (_, i) => i)),
  )
  t.truthy(errors.get(7))
  t.is(error, errors.get(7) as Error)
  await waitForRest(executor)
})

test('map of a failing kernel rejects with its KernelError', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const error = await t.throwsAsync(executor.map(kernels.testing.fail, ['first failure']))
  t.is(error?.name, 'KernelError')
  t.true(error?.message.includes('first failure'))
})

test('map timeout rejects with TimeoutError and cancels the items that have not started', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const calls: number[] = []
  const error = await t.throwsAsync(
    executor.map(
      async (x: number) => {
        calls.push(x)
        await g.promise
        return x
      },
      [0, 1, 2, 3, 4, 5],
      { timeout: 100 },
    ),
  )
  t.true(error instanceof TimeoutError, String(error))
  const calledBeforeTimeout = calls.length
  t.true(calledBeforeTimeout <= 1, `calls ${calls.join(',')}: one slot, and item 0 never finishes`)
  g.open()
  await waitForRest(executor)
  await delay(20)
  t.is(calls.length, calledBeforeTimeout, 'items queued when the map timed out still ran')
  // (item 0 normally started before the timeout; on a very loaded machine it may have been queued still)
  t.is(executor.getStats().cancelledTasks, 6 - calledBeforeTimeout)
})

test('aborting the signal rejects map with CancelledError (cause = reason) and cancels the rest', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const controller = new AbortController()
  const calls: number[] = []
  const mapping = executor.map(
    async (x: number) => {
      calls.push(x)
      await g.promise
      return x
    },
    [0, 1, 2, 3],
    { signal: controller.signal },
  )
  mapping.catch(() => {}) // awaited below; this only keeps a failed test from adding an unhandled rejection
  await waitUntil(() => calls.length === 1, 'the first item to start')
  const reason = new Error('stop mapping')
  controller.abort(reason)
  const error = await t.throwsAsync(mapping)
  t.true(error instanceof CancelledError, String(error))
  t.is((error as CancelledError).cause, reason)
  g.open()
  await waitForRest(executor)
  t.deepEqual(calls, [0])
})

test('map with an already aborted signal fails with CancelledError and runs nothing', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  let called = false
  await throwsOrRejects(
    t,
    () =>
      executor.map(
        () => {
          called = true
        },
        [1],
        { signal: AbortSignal.abort() },
      ),
    (e): e is CancelledError => e instanceof CancelledError,
    'aborted signal',
  )
  await delay(20)
  t.false(called)
})

test('map over a generator works, and pulls it lazily (an endless source does not hang)', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 8 })
  function* finite(): Generator<number> {
    for (let i = 0; i < 50; i++) yield i
  }
  t.deepEqual(await executor.map((x: number) => x * x, finite()), Array.from({ length: 50 }, (_, i) => i * i))

  let produced = 0
  function* endless(): Generator<number> {
    for (;;) yield produced++
  }
  const g = gate()
  const controller = new AbortController()
  const mapping = executor.map(
    async (x: number) => {
      await g.promise
      return x
    },
    endless(),
    { signal: controller.signal },
  )
  mapping.catch(() => {}) // awaited below; this only keeps a failed test from adding an unhandled rejection
  // (the queue may stay one short of full: map refills it when one of its tasks settles)
  await waitUntil(() => executor.getStats().queuedTasks >= 7, 'the queue to fill up')
  await delay(50)
  // one running + a full queue, and at most a chunk held back
  t.true(produced <= 1 + 8 + 2, `the map pulled ${produced} items from an endless source`)
  controller.abort()
  t.true((await t.throwsAsync(mapping)) instanceof CancelledError)
  g.open()
})

test('map rejects a non-iterable and a non-function', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  type Loose = (fn: unknown, items: unknown) => Promise<unknown>
  const map = executor.map.bind(executor) as Loose
  await throwsOrRejects(t, () => map((x: number) => x, 42), (e): e is TypeError => e instanceof TypeError, 'map(fn, 42)')
  await throwsOrRejects(t, () => map(7, [1]), (e): e is TypeError => e instanceof TypeError, 'map(7, [1])')
})

test('an error thrown by the source iterable rejects map with that error', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const broken = new Error('source broke')
  function* source(): Generator<number> {
    yield 1
    yield 2
    throw broken
  }
  t.is(await t.throwsAsync(executor.map((x: number) => x, source())), broken)
  await waitForRest(executor)
})

test('onProgress: throttled calls with a known total, then exactly one final call with done === total', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const calls: Array<{ done: number; total: number | undefined; at: number }> = []
  const items = Array.from({ length: 40 }, (_, i) => i)
  const results = await executor.map(
    async (x: number) => {
      await delay(10) // about 400 ms in all, on one worker: room for several intermediate reports
      return x
    },
    items,
    { onProgress: (done, total) => calls.push({ done, total, at: performance.now() }) },
  )
  t.deepEqual(results, items)
  const last = calls.at(-1)!
  t.deepEqual([last.done, last.total], [40, 40])
  t.is(calls.filter((c) => c.done === c.total).length, 1, 'the final report must be made exactly once')
  t.true(calls.length >= 2, `only ${calls.length} report(s) over a map of at least 400 ms`)
  for (let i = 1; i < calls.length; i++) {
    t.true(calls[i]!.done >= calls[i - 1]!.done, 'done went backwards')
    t.is(calls[i]!.total, 40)
    // intermediate reports at most every 100 ms (10 ms of slack: the test reads the clock
    // after the throttle did, and a loaded machine can stop the process in between)
    if (i < calls.length - 1) t.true(calls[i]!.at - calls[i - 1]!.at >= 90, `reports ${i - 1} and ${i} were ${calls[i]!.at - calls[i - 1]!.at} ms apart`)
  }
})

test('onProgress over a generator: total is undefined until the source is exhausted', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  function* source(): Generator<number> {
    for (let i = 0; i < 30; i++) yield i
  }
  const calls: Array<[number, number | undefined]> = []
  await executor.map(
    async (x: number) => {
      await delay(10)
      return x
    },
    source(),
    { onProgress: (done, total) => calls.push([done, total]) },
  )
  t.deepEqual(calls.at(-1), [30, 30])
  t.true(calls.length >= 2, `only ${calls.length} report(s)`)
  for (const [, total] of calls.slice(0, -1)) t.is(total, undefined)
  const set = new Set([1, 2, 3])
  const setCalls: Array<[number, number | undefined]> = []
  await executor.map((x: number) => x, set, { onProgress: (done, total) => setCalls.push([done, total]) })
  // Usually only the final report; a slow machine may add an intermediate one.
  t.deepEqual(setCalls.at(-1), [3, 3])
  t.true(setCalls.every(([, total]) => total === 3), 'a Set has a known size')
})

test('a throwing onProgress rejects the map with its error and cancels the items not started', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const broken = new Error('progress bar broke')
  const calls: number[] = []
  const error = await t.throwsAsync(
    executor.map(
      async (x: number) => {
        calls.push(x)
        await delay(10)
        return x
      },
      Array.from({ length: 100 }, (_, i) => i),
      {
        onProgress: () => {
          throw broken
        },
      },
    ),
  )
  t.is(error, broken)
  await waitForRest(executor)
  const stats = executor.getStats()
  t.true(calls.length < 100, 'every item ran: the map did not stop')
  t.is(stats.cancelledTasks + stats.completedTasks, stats.submittedTasks)
  // the final report throwing rejects too
  const final = await t.throwsAsync(executor.map((x: number) => x, [1], { onProgress: () => {
    throw broken
  } }))
  t.is(final, broken)
  await throwsOrRejects(t, () => executor.map((x: number) => x, [1], { onProgress: 5 as unknown as () => void }), (e): e is TypeError => e instanceof TypeError, 'onProgress 5')
})
