/** executor.imap: ordered streaming results, async sources, lazy pulling, early exit. */
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import test from 'ava'

import { TimeoutError, kernels } from '../index.js'
import { setup, spinTwin, waitForRest, waitUntil } from './helpers.js'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const value of iterable) out.push(value)
  return out
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r))
}

test('imap yields results in input order even when items finish out of order', async (t) => {
  const { executor } = setup(t, { maxWorkers: 4 })
  const finished: number[] = []
  const items = Array.from({ length: 30 }, (_, i) => i)
  const results = await collect(
    executor.imap(async (x: number) => {
      await turns(30 - x)
      finished.push(x)
      return `r${x}`
    }, items),
  )
  t.deepEqual(results, items.map((x) => `r${x}`))
  t.notDeepEqual(finished, items, 'items finished in input order: reordering was not exercised')
})

test('imap over an async generator', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  async function* source(): AsyncGenerator<number> {
    for (let i = 0; i < 25; i++) {
      await new Promise<void>((r) => setImmediate(r))
      yield i
    }
  }
  t.deepEqual(await collect(executor.imap((x: number) => x * 3, source())), Array.from({ length: 25 }, (_, i) => i * 3))
  t.deepEqual(await collect(executor.imap((x: number) => x + 1, source(), { chunkSize: 4 })), Array.from({ length: 25 }, (_, i) => i + 1))
})

test('imap with a kernel', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const ns = [0, 1, 5, 1000, 70_000]
  t.deepEqual(await collect(executor.imap(kernels.spin, ns)), ns.map(spinTwin))
  async function* asyncNs(): AsyncGenerator<number> {
    yield* ns
  }
  t.deepEqual(await collect(executor.imap(kernels.spin, asyncNs(), { chunkSize: 2 })), ns.map(spinTwin))
})

test('imap pulls from its source lazily: a bounded number of items ahead of the consumer', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  let produced = 0
  function* source(): Generator<number> {
    for (let i = 0; i < 10_000; i++) {
      produced++
      yield i
    }
  }
  const concurrency = 2
  const chunkSize = 3
  const iterator = executor.imap((x: number) => x, source(), { concurrency, chunkSize })
  const firstThree = [await iterator.next(), await iterator.next(), await iterator.next()]
  t.deepEqual(
    firstThree.map((r) => r.value),
    [0, 1, 2],
  )
  // let an eager implementation run ahead if it would
  await waitForRest(executor)
  await turns(20)
  const bound = 3 + concurrency * chunkSize + chunkSize
  t.true(produced <= bound, `the source produced ${produced} items for 3 consumed (bound ${bound})`)
  await iterator.return?.()
})

test('imap pulls an async source lazily too (default concurrency)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  let produced = 0
  async function* source(): AsyncGenerator<number> {
    for (let i = 0; i < 10_000; i++) {
      produced++
      yield i
    }
  }
  const iterator = executor.imap((x: number) => x * 2, source())
  t.is((await iterator.next()).value, 0)
  t.is((await iterator.next()).value, 2)
  t.is((await iterator.next()).value, 4)
  await waitForRest(executor)
  await turns(20)
  // default concurrency is 2 * maxWorkers tasks of one item each
  t.true(produced <= 3 + 4 + 2, `the source produced ${produced} items for 3 consumed`)
  await iterator.return?.()
})

test('breaking out of for await cancels the queued tasks and calls the source return()', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  let produced = 0
  let returned = false
  function* source(): Generator<number> {
    try {
      for (let i = 0; i < 100; i++) {
        produced++
        yield i
      }
    } finally {
      returned = true
    }
  }
  const calls: number[] = []
  const seen: number[] = []
  for await (const value of executor.imap(
    async (x: number) => {
      calls.push(x)
      if (x > 0) await g.promise
      return x
    },
    source(),
    { concurrency: 4 },
  )) {
    seen.push(value)
    break
  }
  t.deepEqual(seen, [0])
  t.true(returned, "the source's return() was not called")
  g.open()
  await waitForRest(executor)
  const stats = executor.getStats()
  t.true(produced <= 6, `produced ${produced}`)
  // the tasks that had not started were cancelled and never called
  t.true(stats.cancelledTasks >= 1, `cancelled ${stats.cancelledTasks}`)
  t.is(calls.length + stats.cancelledTasks, stats.submittedTasks)
  t.true(calls.every((x) => x <= 1), `calls ${calls.join(',')}`)
})

test('imap rethrows the failing item error (same object) and stops', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const boom = new TypeError('item 3')
  const seen: number[] = []
  const error = await t.throwsAsync(async () => {
    for await (const value of executor.imap((x: number) => {
      if (x === 3) throw boom
      return x
    }, [0, 1, 2, 3, 4, 5])) {
      seen.push(value)
    }
  })
  t.is(error, boom)
  t.deepEqual(seen, [0, 1, 2])
})

test('imap timeout throws TimeoutError', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const error = await t.throwsAsync(
    collect(
      executor.imap(
        async (x: number) => {
          await g.promise
          return x
        },
        [1, 2, 3],
        { timeout: 50 },
      ),
    ),
  )
  t.true(error instanceof TimeoutError, String(error))
})

test('imap validates concurrency', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  for (const concurrency of [0, 1.5, -2]) {
    const error = await t.throwsAsync(collect(executor.imap((x: number) => x, [1], { concurrency })))
    t.true(error instanceof RangeError, `concurrency ${concurrency}: ${String(error)}`)
  }
  await waitUntil(() => executor.getStats().submittedTasks === 0, 'nothing submitted')
})

test('an error thrown by the source (sync or async) ends imap with that error', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const broken = new Error('source broke')
  function* source(): Generator<number> {
    yield 1
    throw broken
  }
  async function* asyncSource(): AsyncGenerator<number> {
    yield 1
    throw broken
  }
  t.is(await t.throwsAsync(collect(executor.imap((x: number) => x, source()))), broken)
  t.is(await t.throwsAsync(collect(executor.imap((x: number) => x, asyncSource()))), broken)
})

test('imap keeps at most `concurrency` tasks in flight, even with idle workers', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 6 })
  const g = gate()
  let inside = 0
  let maxInside = 0
  const iterator = executor.imap(
    async (x: number) => {
      inside++
      maxInside = Math.max(maxInside, inside)
      await g.promise
      inside--
      return x
    },
    Array.from({ length: 20 }, (_, i) => i),
    { concurrency: 3 },
  )
  const first = iterator.next()
  await waitUntil(() => inside === 3, '3 items in flight')
  await turns(50)
  t.is(maxInside, 3, 'imap ran more items at once than its concurrency')
  t.is(executor.getStats().submittedTasks, 3)
  g.open()
  t.deepEqual(await first, { value: 0, done: false })
  const rest: number[] = []
  for await (const value of iterator) rest.push(value)
  t.deepEqual(rest, Array.from({ length: 19 }, (_, i) => i + 1))
  t.is(maxInside, 3)
})

test('ordered: false yields results as they complete', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 4 })
  const slow = gate()
  const iterator = executor.imap(
    async (x: number) => {
      if (x === 0) await slow.promise
      return x
    },
    [0, 1, 2, 3],
    { ordered: false },
  )
  // item 0 cannot finish before the gate opens: the first three results must be the others
  const firstThree = [await iterator.next(), await iterator.next(), await iterator.next()].map((r) => r.value)
  t.deepEqual([...firstThree].sort(), [1, 2, 3])
  slow.open()
  t.deepEqual(await iterator.next(), { value: 0, done: false })
  t.deepEqual(await iterator.next(), { value: undefined, done: true })
})

test('ordered: false still keeps chunks whole and rethrows a failed item', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const items = Array.from({ length: 40 }, (_, i) => i)
  const results = await collect(executor.imap((x: number) => x * 2, items, { ordered: false, chunkSize: 3 }))
  t.deepEqual([...results].sort((a, b) => a - b), items.map((x) => x * 2))
  const boom = new Error('item 5')
  const error = await t.throwsAsync(
    collect(
      executor.imap(
        (x: number) => {
          if (x === 5) throw boom
          return x
        },
        items,
        { ordered: false },
      ),
    ),
  )
  t.is(error, boom)
  await t.throwsAsync(collect(executor.imap((x: number) => x, [1], { ordered: 'yes' as unknown as boolean })), { instanceOf: TypeError })
})

test('an endless generator is pulled only as far as results are consumed (sync and async sources)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const kind of ['sync', 'async'] as const) {
    let pulled = 0
    let closed = false
    function* naturals(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++
          yield i
        }
      } finally {
        closed = true
      }
    }
    async function* asyncNaturals(): AsyncGenerator<number> {
      yield* naturals()
    }
    const concurrency = 4
    const chunkSize = 2
    const seen: number[] = []
    for await (const value of executor.imap((x: number) => x + 1, kind === 'sync' ? naturals() : asyncNaturals(), { concurrency, chunkSize })) {
      seen.push(value)
      // however far the source could run ahead, it may not outrun the consumer by more than the window
      t.true(pulled <= seen.length + (concurrency + 1) * chunkSize, `${kind}: pulled ${pulled} for ${seen.length} consumed`)
      if (seen.length === 500) break
    }
    t.deepEqual(seen, Array.from({ length: 500 }, (_, i) => i + 1))
    const atBreak = pulled
    await waitForRest(executor)
    await turns(20)
    t.is(pulled, atBreak, `${kind}: the source was pulled after the loop ended`)
    t.true(closed, `${kind}: the source was not closed`)
  }
})

test('a source that throws has the results of its earlier items yielded first', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const broken = new Error('source broke')
  async function* source(): AsyncGenerator<number> {
    yield 1
    yield 2
    throw broken
  }
  const seen: number[] = []
  const error = await t.throwsAsync(async () => {
    for await (const value of executor.imap((x: number) => x * 10, source())) seen.push(value)
  })
  t.is(error, broken)
  t.deepEqual(seen, [10, 20])
})

test('inside stream.pipeline, a slow writer holds back the source (backpressure)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  let pulled = 0
  let written = 0
  let maxAhead = 0
  function* naturals(): Generator<number> {
    for (let i = 0; ; i++) {
      pulled++
      yield i
    }
  }
  const enough = new Error('enough')
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 2,
    write(chunk: number, _encoding, callback) {
      t.is(chunk, written * 3)
      written++
      maxAhead = Math.max(maxAhead, pulled - written)
      // a slow consumer: one item per timer tick; stop the endless pipeline after 100
      setTimeout(() => callback(written === 100 ? enough : null), 1)
    },
  })
  const concurrency = 4
  const error = await t.throwsAsync(
    pipeline(Readable.from(executor.imap((x: number) => x * 3, naturals(), { concurrency }), { highWaterMark: 2 }), sink),
  )
  t.is(error, enough)
  t.is(written, 100)
  // what is in flight: the writer's buffer, the readable's buffer, imap's window, plus one each in hand
  const bound = 2 + 2 + concurrency + 3
  t.true(maxAhead <= bound, `the source ran ${maxAhead} items ahead of the writer (bound ${bound})`)
  await waitForRest(executor)
  const atEnd = pulled
  await turns(20)
  t.is(pulled, atEnd, 'the source was pulled after the pipeline ended')
})
