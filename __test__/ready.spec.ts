/** Backpressure: executor.ready(), the memoryLimit option, and the 'drain' and 'idle' events. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import test from 'ava'

import { CancelledError, ExecutorShutdownError, QueueFullError, TimeoutError, kernels } from '../index.js'
import { delay, flush, setup, waitForRest, waitUntil } from './helpers.js'

/** A full queue: one gated JS task running on the only worker, `capacity` more queued. */
async function fill(executor: ReturnType<typeof setup>['executor'], gate: Promise<void>, capacity: number): Promise<void> {
  executor.submit(() => gate)
  await waitUntil(() => executor.getStats().activeThreads === 1, 'the gated task to start')
  for (let i = 0; i < capacity; i++) executor.submit(() => i)
}

test('ready() resolves at once when the queue has room, and waits while it is full', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 2 })
  await executor.ready()
  const g = gate()
  await fill(executor, g.promise, 2)
  t.throws(() => executor.submit(() => 0), { instanceOf: QueueFullError })
  let ready = false
  const waiting = executor.ready().then(() => (ready = true))
  await flush()
  await delay(60) // longer than the poll interval: a wrong ready() would have resolved by now
  t.false(ready, 'ready() resolved while the queue was full')
  g.open()
  await waiting
  t.true(ready)
  executor.submit(() => 'fits') // what ready() promised
  await waitForRest(executor)
})

test("'drain' is emitted once a full queue has room again, and only then", async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 2 })
  let drains = 0
  executor.on('drain', () => drains++)
  // a queue that never filled up: no drain
  await Promise.all(Array.from({ length: 2 }, (_, i) => executor.submit(() => i)))
  await flush()
  t.is(drains, 0)
  const g = gate()
  await fill(executor, g.promise, 2)
  t.throws(() => executor.submit(() => 0), { instanceOf: QueueFullError })
  await flush()
  t.is(drains, 0, "'drain' while the queue was still full")
  g.open()
  await waitUntil(() => drains === 1, "the 'drain' event")
  await waitForRest(executor)
  await flush()
  t.is(drains, 1, "'drain' was emitted more than once for one refusal")
})

test("'idle' is emitted when every task has settled; once() and off() work as on any EventEmitter", async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  const seen: string[] = []
  const onIdle = (): void => {
    const stats = executor.getStats()
    seen.push(`idle queued=${stats.queuedTasks} active=${stats.activeThreads}`)
  }
  executor.on('idle', onIdle)
  const futures = [executor.submit(() => g.promise), executor.submit(kernels.spin, [1000]), executor.submit(() => 3)]
  await futures[1]
  await futures[2]
  await flush()
  t.deepEqual(seen, [], "'idle' while a task was still running")
  g.open()
  await futures[0]
  await waitUntil(() => seen.length === 1, "the 'idle' event")
  t.deepEqual(seen, ['idle queued=0 active=0'])
  executor.off('idle', onIdle)
  // the event map is typed: a misspelt event or a listener taking arguments does not compile
  // @ts-expect-error 'idel' is not an event of Executor
  executor.off('idel', onIdle)
  // @ts-expect-error 'drain' listeners take no arguments
  executor.off('drain', (n: number) => n)
  const once = new Promise<void>((resolve) => executor.once('idle', resolve))
  await executor.submit(() => 4)
  await once
  await flush()
  t.is(seen.length, 1, 'a removed listener was called')
})

test('ready() rejects with ExecutorShutdownError after shutdown, and wakes a waiter on shutdown', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 1 })
  const g = gate()
  await fill(executor, g.promise, 1)
  const waiting = executor.ready()
  waiting.catch(() => {}) // awaited below
  const shutdown = executor.shutdown()
  await t.throwsAsync(waiting, { instanceOf: ExecutorShutdownError })
  await t.throwsAsync(executor.ready(), { instanceOf: ExecutorShutdownError })
  g.open()
  await shutdown
})

test('ready() takes a timeout and a signal, and checks them', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1, queueCapacity: 1 })
  const g = gate()
  await fill(executor, g.promise, 1)
  await t.throwsAsync(executor.ready({ timeout: 30 }), { instanceOf: TimeoutError })
  const controller = new AbortController()
  const waiting = executor.ready({ signal: controller.signal })
  const reason = new Error('no more waiting')
  controller.abort(reason)
  const error = await t.throwsAsync(waiting, { instanceOf: CancelledError })
  t.is(error?.cause, reason)
  await t.throwsAsync(executor.ready({ signal: AbortSignal.abort() }), { instanceOf: CancelledError })
  await t.throwsAsync(executor.ready({ timeout: -1 }), { instanceOf: RangeError })
  await t.throwsAsync(executor.ready({ signal: 'x' as unknown as AbortSignal }), { instanceOf: TypeError })
  await t.throwsAsync(executor.ready(null as unknown as object), { instanceOf: TypeError })
  g.open()
})

test('with a memoryLimit below the resident set size, ready() waits and map feeds nothing', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1, memoryLimit: 1024 })
  t.is(executor.memoryLimit, 1024)
  await t.throwsAsync(executor.ready({ timeout: 80 }), { instanceOf: TimeoutError })
  await t.throwsAsync(executor.map((x: number) => x, [1, 2, 3], { timeout: 80 }), { instanceOf: TimeoutError })
  const iterator = executor.imap((x: number) => x, [1, 2, 3], { timeout: 80 })
  await t.throwsAsync(iterator.next(), { instanceOf: TimeoutError })
  t.is(executor.getStats().submittedTasks, 0, 'work was fed above the memory limit')
  // submit itself is not limited
  t.is(await executor.submit(() => 'submitted'), 'submitted')
  const { executor: roomy } = setup(t, { maxWorkers: 1, memoryLimit: 2 ** 50 })
  await roomy.ready()
  t.deepEqual(await roomy.map((x: number) => x * 2, [1, 2]), [2, 4])
})

test.serial('ready() resolves once the resident set size falls below memoryLimit', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  const { executor } = setup(t, { maxWorkers: 1 })
  const base = executor.getMemoryUsage()
  const MiB = 1024 * 1024
  let ballast: Buffer | undefined = Buffer.alloc(256 * MiB, 1) // touched pages: resident
  await waitUntil(() => executor.getMemoryUsage() > base + 200 * MiB, 'the ballast to become resident')
  const { executor: limited } = setup(t, { maxWorkers: 1, memoryLimit: base + 128 * MiB })
  let ready = false
  const waiting = limited.ready({ timeout: 20_000 }).then(() => (ready = true))
  await delay(100)
  t.false(ready, 'ready() resolved above the memory limit')
  t.is(ballast.length, 256 * MiB)
  ballast = undefined
  gc()
  await waiting
  t.true(ready)
  t.true(limited.getMemoryUsage() < base + 128 * MiB)
})
