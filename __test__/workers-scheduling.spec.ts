/**
 * Worker tasks under the executor's scheduling: they run in parallel, in priority order, never
 * more than `maxWorkers` tasks of any kind at once; an async function holds its slot; the
 * bounded queue, cancellation of queued tasks, `ready()`/'drain'; and dispatch without the
 * main thread.
 *
 * Tasks on workers signal through shared memory (`worker-helpers.ts`); windows left for a
 * misbehaving executor to misbehave are followed by counts, never by durations.
 */
import test, { type ExecutionContext } from 'ava'

import { CancelledError, QueueFullError, TaskPriority, kernels, workerTask } from '../index.js'
import { delay, flush, waitUntil } from './helpers.js'
import { HOLD_MS, setupWorkers, waitForFlag, waitOnGate } from './worker-helpers.js'

/** Long enough for a broken executor to start a task it must not start (a window, not an assertion). */
const WINDOW_MS = 150

test('worker tasks run in parallel: two tasks that each wait for the other both see it', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  // Each announces itself in its own flag and waits for the other's: run one after the other,
  // the first gives up (after HOLD_MS). Both workers are started first, so that a loaded
  // machine's slow worker start-up is not what the wait measures.
  await executor.startWorkers()
  const both = await Promise.all([executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS]), executor.submit(waitOnGate, [gates.flags, 1, 0, HOLD_MS])])
  t.deepEqual(both, [true, true], 'the two tasks did not run at the same time')
})

/** Records the order tasks ran in: `log[0]` is the count, `log[1..]` the tags. */
const record = workerTask((log: Int32Array, tag: number) => {
  const at = Atomics.add(log, 0, 1) + 1
  Atomics.store(log, at, tag)
})

/** Strict priorities: with aging on, a slow machine can make a queued lower level overdue (a jump the aging tests check). */
const STRICT = { agingMs: 0 }

test('queued worker tasks run HIGH, then NORMAL, then LOW, FIFO within a level', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, ...STRICT })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking worker task to start')
  const log = new Int32Array(new SharedArrayBuffer(4 * 16))
  const plan: Array<[number, TaskPriority]> = [
    [31, TaskPriority.LOW],
    [21, TaskPriority.NORMAL],
    [11, TaskPriority.HIGH],
    [32, TaskPriority.LOW],
    [12, TaskPriority.HIGH],
    [22, TaskPriority.NORMAL],
  ]
  const futures = plan.map(([tag, priority]) => executor.submit(record, [log, tag], { priority }))
  t.deepEqual(executor.getStats().queuedByPriority, { high: 2, normal: 2, low: 2 })
  gates.open(1)
  t.true(await blocker)
  await Promise.all(futures)
  t.deepEqual([...log.subarray(1, 1 + Atomics.load(log, 0))], [11, 12, 21, 22, 31, 32])
})

/**
 * The order queued worker tasks ran in: an old LOW one (queued `waitMs` before the others), then
 * two HIGH ones. No level between them: an overdue lower level goes before HIGH whatever HIGH's
 * own wait, so a NORMAL task made overdue by a slow machine would jump the HIGH ones too.
 */
async function agingOrder(t: ExecutionContext, agingMs: number, waitMs: number): Promise<number[]> {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, agingMs })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking worker task to start')
  const log = new Int32Array(new SharedArrayBuffer(4 * 8))
  const futures = [executor.submit(record, [log, 30], { priority: TaskPriority.LOW })]
  await delay(waitMs)
  futures.push(
    executor.submit(record, [log, 11], { priority: TaskPriority.HIGH }),
    executor.submit(record, [log, 12], { priority: TaskPriority.HIGH }),
  )
  t.is(executor.getStats().queuedTasks, 3)
  gates.open(1)
  await Promise.all([blocker, ...futures])
  return [...log.subarray(1, 1 + Atomics.load(log, 0))]
}

test('aging: a LOW worker task older than agingMs starts before younger HIGH ones', async (t) => {
  t.deepEqual(await agingOrder(t, 50, 300), [30, 11, 12])
})

test('aging disabled (agingMs 0): the old LOW worker task still runs last', async (t) => {
  t.deepEqual(await agingOrder(t, 0, 300), [11, 12, 30])
})

test('priorities order worker tasks, main-thread functions and kernels together', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, ...STRICT })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking worker task to start')
  const order: string[] = []
  const done = (name: string) => () => void order.push(name)
  const futures = [
    executor.submit(kernels.spin, [10], { priority: TaskPriority.LOW }),
    executor.submit(() => 'main', [], { priority: TaskPriority.NORMAL }),
    executor.submit(workerTask(() => 'worker'), [], { priority: TaskPriority.HIGH }),
  ]
  // One slot: each task finishes before the next starts, so completion order is start order.
  futures[0]!.addDoneCallback(done('kernel-low'))
  futures[1]!.addDoneCallback(done('main-normal'))
  futures[2]!.addDoneCallback(done('worker-high'))
  // Reading the statistics sends the submission batch to the pool: all three are queued now.
  t.deepEqual(executor.getStats().queuedByPriority, { high: 1, normal: 1, low: 1 })
  gates.open(1)
  await blocker
  await Promise.all(futures)
  t.deepEqual(order, ['worker-high', 'main-normal', 'kernel-low'])
})

test('a worker task holding the only slot keeps queued kernels and main-thread functions from starting', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 2 })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking worker task to start')
  let mainRan = false
  const kernel = executor.submit(kernels.spin, [10])
  const main = executor.submit(() => (mainRan = true))
  const worker = executor.submit(waitOnGate, [gates.flags, 2, 3, 0])
  await delay(WINDOW_MS)
  t.false(kernel.done(), 'a kernel ran while a worker task held the only slot')
  t.false(mainRan, 'a main-thread function ran while a worker task held the only slot')
  t.is(Atomics.load(gates.flags, 2), 0, 'a second worker task ran while a worker task held the only slot')
  t.like(executor.getStats(), { activeThreads: 1, queuedTasks: 3 })
  gates.open(1)
  await Promise.all([blocker, kernel, main, worker])
  t.true(mainRan)
})

test('kernels and main-thread functions holding every slot keep queued worker tasks from starting', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  t.teardown(() => release())
  const main = executor.submit(() => held)
  // `kernels.sleep` holds a pool thread for its whole duration: 3 s, long beyond the window even
  // on a loaded machine (the window's checks are skipped, and logged, if it ended first).
  const kernel = executor.submit(kernels.sleep, [3_000])
  await waitUntil(() => kernel.running() || kernel.done(), 'the kernel to start')
  const worker = executor.submit(waitOnGate, [gates.flags, 0, 1, 0])
  await delay(WINDOW_MS)
  if (kernel.done()) t.log('the kernel ended before the window did: its checks were skipped')
  else {
    t.is(Atomics.load(gates.flags, 0), 0, 'a worker task started while a kernel and a JS task held both slots')
    t.like(executor.getStats(), { activeThreads: 2, workers: { busy: 0 } })
  }
  await kernel
  // One slot frees: the worker task takes it although the main-thread task still runs.
  await waitForFlag(gates.flags, 0, 1, 'the worker task to start once a slot freed')
  t.false(main.done())
  t.false(await worker, 'it gave up at once: its gate was never opened')
  release()
  await main
})

test('tasks of every kind running together never exceed maxWorkers', async (t) => {
  const maxWorkers = 3
  const { executor } = setupWorkers(t, { maxWorkers, jsWorkers: 3 })
  // counters[0]: tasks running now (worker and main-thread tasks), counters[1]: the most seen.
  const counters = new Int32Array(new SharedArrayBuffer(8))
  const occupy = workerTask((c: Int32Array, spinMs: number) => {
    const now = Atomics.add(c, 0, 1) + 1
    for (let seen = Atomics.load(c, 1); now > seen && Atomics.compareExchange(c, 1, seen, now) !== seen; seen = Atomics.load(c, 1));
    const until = Date.now() + spinMs
    while (Date.now() < until);
    Atomics.sub(c, 0, 1)
  })
  const onMain = async (c: Int32Array): Promise<void> => {
    const now = Atomics.add(c, 0, 1) + 1
    if (now > Atomics.load(c, 1)) Atomics.store(c, 1, now)
    await delay(2)
    Atomics.sub(c, 0, 1)
  }
  let activeMax = 0
  const sampler = setInterval(() => (activeMax = Math.max(activeMax, executor.getStats().activeThreads)), 1)
  t.teardown(() => clearInterval(sampler))
  const futures: Array<PromiseLike<unknown>> = []
  for (let i = 0; i < 60; i++) {
    futures.push(executor.submit(occupy, [counters, 3]))
    if (i % 3 === 0) futures.push(executor.submit(onMain, [counters]))
    if (i % 4 === 0) futures.push(executor.submit(kernels.sleep, [2]))
  }
  await Promise.all(futures)
  clearInterval(sampler)
  const peak = Atomics.load(counters, 1)
  t.true(peak <= maxWorkers, `${peak} worker and main-thread tasks ran at once with maxWorkers ${maxWorkers}`)
  t.true(peak >= 2, `the tasks never overlapped (peak ${peak}): the test saw no concurrency to bound`)
  t.true(activeMax <= maxWorkers, `activeThreads reached ${activeMax}`)
})

test('an async worker function holds its slot until its promise settles', async (t) => {
  // Two workers and one slot: a slot freed early would start the second task on the idle worker.
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 2 })
  await executor.startWorkers()
  const asyncHold = workerTask(async (flags: Int32Array, holdMs: number) => {
    Atomics.add(flags, 0, 1)
    const deadline = Date.now() + holdMs
    // Awaits on the worker's event loop (timers), not in a blocking wait.
    while (Atomics.load(flags, 1) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2))
    return Atomics.load(flags, 1) === 1
  })
  const first = executor.submit(asyncHold, [gates.flags, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the async task to start')
  const second = executor.submit(waitOnGate, [gates.flags, 2, 3, 0])
  await delay(WINDOW_MS)
  t.is(Atomics.load(gates.flags, 2), 0, 'a second task started while the async task was pending')
  t.like(executor.getStats(), { activeThreads: 1, queuedTasks: 1 })
  t.is(executor.getStats().workers.busy, 1)
  gates.open(1)
  t.true(await first)
  await second
  t.is(Atomics.load(gates.flags, 2), 1)
})

test('the bounded queue refuses worker tasks with QueueFullError, and counts them', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, queueCapacity: 2 })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking task to start')
  const square = workerTask((n: number) => n * n)
  const queued = [executor.submit(square, [2]), executor.submit(square, [3])]
  const error = t.throws(() => executor.submit(square, [4]), { instanceOf: QueueFullError })
  t.is(error?.code, 'ERR_QUEUE_FULL')
  t.is(executor.getStats().rejectedTasks, 1)
  gates.open(1)
  await blocker
  t.deepEqual(await Promise.all(queued), [4, 9])
  t.is(await executor.submit(square, [5]), 25, 'the queue has room again')
})

test("ready() waits while worker tasks fill the queue, and 'drain' follows a refusal", async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, queueCapacity: 2 })
  let drains = 0
  executor.on('drain', () => drains++)
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking task to start')
  const queued = [executor.submit(waitOnGate, [gates.flags, 2, 1, HOLD_MS]), executor.submit(waitOnGate, [gates.flags, 2, 1, HOLD_MS])]
  t.throws(() => executor.submit(waitOnGate, [gates.flags, 2, 1, HOLD_MS]), { instanceOf: QueueFullError })
  let ready = false
  const waiting = executor.ready().then(() => (ready = true))
  await delay(WINDOW_MS)
  t.false(ready, 'ready() resolved while worker tasks filled the queue')
  t.is(drains, 0)
  gates.open(1)
  await waiting
  await Promise.all([blocker, ...queued])
  await waitUntil(() => drains === 1, "the 'drain' event")
  await flush()
  t.is(drains, 1)
})

test('a queued worker task can be cancelled, by cancel() or its signal, and never runs', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking task to start')
  const runs = new Int32Array(new SharedArrayBuffer(4))
  const count = workerTask((c: Int32Array) => Atomics.add(c, 0, 1))
  const cancelled = executor.submit(count, [runs])
  const controller = new AbortController()
  const aborted = executor.submit(count, [runs], { signal: controller.signal })
  const kept = executor.submit(count, [runs])
  await flush() // in the pool's queue, past the submission batch
  t.true(cancelled.cancel())
  controller.abort(new Error('no longer needed'))
  await t.throwsAsync(cancelled, { instanceOf: CancelledError })
  const abortError = await t.throwsAsync(aborted, { instanceOf: CancelledError })
  t.is((abortError?.cause as Error).message, 'no longer needed')
  gates.open(1)
  await blocker
  t.is(await kept, 0, 'a cancelled task ran before the one after it')
  t.is(Atomics.load(runs, 0), 1, 'a cancelled worker task ran')
  t.like(executor.getStats(), { cancelledTasks: 2, completedTasks: 2 })
})

test('a worker task handed out but not taken by a worker can be cancelled, and its slot comes back', async (t) => {
  // One worker, two slots: the second worker task gets a slot but no worker to take it.
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 1 })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking task to start')
  const waiting = executor.submit(waitOnGate, [gates.flags, 2, 3, 0])
  // Out of the pool's queue, not running: handed out, waiting for the busy worker.
  await waitUntil(() => executor.getStats().queuedTasks === 0, 'the second task to leave the queue')
  t.false(waiting.running())
  t.true(waiting.cancel(), 'a task no worker took could not be cancelled')
  await t.throwsAsync(waiting, { instanceOf: CancelledError })
  // Its slot came back: a kernel runs while the blocker still holds the other one.
  t.is(await executor.submit(kernels.spin, [3]), (await executor.submit(kernels.spin, [3])))
  t.is(Atomics.load(gates.flags, 2), 0, 'the cancelled task ran')
  gates.open(1)
  await blocker
  await flush()
  t.is(Atomics.load(gates.flags, 2), 0, 'the cancelled task ran after all')
})

test('a worker task waiting for a free worker counts as active or queued, and its slot is not idle', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 1 })
  const blocker = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the blocking task to start')
  const waiting = executor.submit(waitOnGate, [gates.flags, 2, 3, 0])
  await waitUntil(() => executor.getStats().queuedTasks === 0, 'the second task to leave the queue')
  const kernel = executor.submit(kernels.spin, [3])
  await delay(WINDOW_MS)
  t.false(kernel.done(), 'both slots are held: the kernel cannot start')
  const stats = executor.getStats()
  t.is(stats.activeThreads + stats.queuedTasks, 3, `3 tasks pending, stats show ${stats.activeThreads} active and ${stats.queuedTasks} queued`)
  t.is(stats.idleThreads, 0)
  gates.open(1)
  await Promise.all([blocker, waiting, kernel])
})

test('idle workers keep taking and finishing queued tasks while the main thread is busy', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const TASKS = 40
  // counters[0]: tasks finished, counted from inside the tasks; counters[1]: workers set up.
  const counters = new Int32Array(new SharedArrayBuffer(8))
  // Each worker is given the counters once, beforehand (the two setup tasks wait for each
  // other, so each worker gets one), so that the counted tasks take numbers only: the test
  // then needs nothing of the main thread but the tasks' submission.
  const install = workerTask((c: Int32Array, holdMs: number) => {
    ;(globalThis as { counters?: Int32Array }).counters = c
    Atomics.add(c, 1, 1)
    const deadline = Date.now() + holdMs
    while (Atomics.load(c, 1) < 2 && Date.now() < deadline) Atomics.wait(c, 1, 1, 5)
    return Atomics.load(c, 1)
  })
  t.deepEqual(await Promise.all([executor.submit(install, [counters, HOLD_MS]), executor.submit(install, [counters, HOLD_MS])]), [2, 2])
  const work = workerTask((i: number) => {
    const until = Date.now() + 2
    while (Date.now() < until);
    Atomics.add((globalThis as { counters?: Int32Array }).counters!, 0, 1)
    return i
  })
  const futures = Array.from({ length: TASKS }, (_, i) => executor.submit(work, [i]))
  executor.getStats() // sends the submission batch to the pool now
  // Busy main thread: no event-loop turn until every task is counted, or a generous limit.
  const limit = Date.now() + 5_000
  let seenInLoop = 0
  while (Date.now() < limit) {
    seenInLoop = Atomics.load(counters, 0)
    if (seenInLoop === TASKS) break
  }
  t.is(seenInLoop, TASKS, `only ${seenInLoop} of ${TASKS} worker tasks finished while the main thread was busy (maxWorkers 2)`)
  t.deepEqual(await Promise.all(futures), Array.from({ length: TASKS }, (_, i) => i))
  t.is(executor.getStats().completedTasks, TASKS + 2)
})
