/**
 * The main-thread lane: how JS functions are called (receiver, time slices, run-time limits,
 * start order) and what `getStats()` says while they run. Each spec here failed before the
 * fix it guards (issue [room], section 3).
 */
import test from 'ava'

import { FifoScheduler, TaskPriority, TimeoutError, kernels, type Executor } from '../index.js'
import { setup, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

/** Keeps the JS thread busy for `ms` milliseconds by the clock. */
function busy(ms: number): number {
  const start = performance.now()
  let spins = 0
  while (performance.now() - start < ms) spins++
  return spins
}

test('a task function is called with this undefined, so a method returning this does not wait on itself', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  class Counter {
    x = 41
    self(): unknown {
      return this
    }
    readX(): number | undefined {
      return (this as Counter | undefined)?.x
    }
  }
  const counter = new Counter()
  // Before the fix `this` was the executor's task object, itself a thenable future: the task
  // then waited on its own result forever.
  t.is(await executor.submit(counter.self).result({ timeout: 5_000 }), undefined)
  t.is(await executor.submit(counter.readX), undefined)
  t.is(
    await executor.submit(function (this: unknown) {
      return this
    }),
    undefined,
  )
  // A bound method keeps its receiver, as in any call.
  t.is(await executor.submit(counter.readX.bind(counter)), 41)
  t.is(await executor.map(counter.self, [1, 2]).then((r) => r.length), 2)
})

/**
 * Runs 24 synchronous tasks of 10 ms each with a 1 ms interval timer and returns the most
 * tasks that ran between two timer ticks. Each task outlasts the 4 ms slice, so the executor
 * must let the event loop turn (and the timer fire) after every one of them.
 */
async function tasksBetweenTicks(executor: Executor): Promise<number> {
  const trace: string[] = []
  const timer = setInterval(() => trace.push('tick'), 1)
  try {
    await Promise.all(
      Array.from({ length: 24 }, () =>
        executor.submit(() => {
          trace.push('task')
          busy(10)
        }),
      ),
    )
  } finally {
    clearInterval(timer)
  }
  let run = 0
  let longest = 0
  for (const entry of trace) {
    run = entry === 'task' ? run + 1 : 0
    longest = Math.max(longest, run)
  }
  return longest
}

test('synchronous JS tasks yield to the event loop after every time slice, however many are handed out at once', async (t) => {
  // One task per turn of the event loop, wherever the slice ran (the poll phase, where the
  // pool's events arrive, or the check phase). Before the fix, all the tasks handed out in
  // one batch (up to maxWorkers) ran before the deadline was looked at; and a slice run in
  // the poll phase was followed by another before the timers.
  for (const maxWorkers of [1, 2, 8]) {
    const { executor } = setup(t, { maxWorkers })
    const longest = await tasksBetweenTicks(executor)
    t.true(longest <= 1, `maxWorkers ${maxWorkers}: ${longest} tasks ran between two timer ticks`)
  }
})

test('a synchronous JS task that runs past its timeout rejects with TimeoutError, its result dropped', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const late = executor.submit(() => busy(120), [], { timeout: 20 })
  const error = await t.throwsAsync(late, { instanceOf: TimeoutError })
  t.regex(error!.message, /20 ms limit/)
  t.true(late.done())

  // A throw after the limit is still a timeout; the thrown error is its cause.
  const thrown = new RangeError('too late')
  const lateThrow = executor.submit(
    () => {
      busy(120)
      throw thrown
    },
    [],
    { timeout: 20 },
  )
  const timeout = await t.throwsAsync(lateThrow, { instanceOf: TimeoutError })
  t.is(timeout!.cause, thrown)

  // An async function whose synchronous part overran its limit fails at once too.
  const asyncLate = executor.submit(
    async () => {
      busy(120)
      return 'late'
    },
    [],
    { timeout: 20 },
  )
  await t.throwsAsync(asyncLate, { instanceOf: TimeoutError })

  // Within the limit, the value comes through.
  t.is(await executor.submit(() => 'quick', [], { timeout: 60_000 }), 'quick')
  const stats = executor.getStats()
  t.is(stats.failedTasks, 3)
  t.is(stats.completedTasks, 1)
})

/**
 * The example's scenario, where the start order once came out wrong: two kernels keep both
 * workers busy while JS tasks of three priorities queue up; when the kernels are released
 * together, the two workers take the JS tasks at the same moment. Returns the start order.
 */
async function startOrder(executor: Executor): Promise<string> {
  const holds = [holdKernel(executor), holdKernel(executor)]
  await waitUntil(() => holds.every((h) => h.future.running()), 'both kernels to start')
  const started: string[] = []
  const task = (name: string) => () => {
    started.push(name)
  }
  const queued = [
    ...[1, 2, 3].map((i) => executor.submit(task(`low-${i}`), [], { priority: TaskPriority.LOW })),
    ...[1, 2, 3].map((i) => executor.submit(task(`normal-${i}`), [])),
    ...[1, 2].map((i) => executor.submit(task(`high-${i}`), [], { priority: TaskPriority.HIGH })),
  ]
  await waitUntil(() => executor.getStats().queuedTasks === queued.length, 'every JS task to queue behind the kernels')
  for (const h of holds) h.release()
  await Promise.all([...holds.map((h) => h.future), ...queued])
  return started.join(' ')
}

/** Runs `startOrder` 200 times; returns the rounds whose order differs from `expected`. */
async function wrongOrders(executor: Executor, expected: string): Promise<string[]> {
  const wrong: string[] = []
  for (let round = 0; round < 200; round++) {
    const order = await startOrder(executor)
    if (order !== expected) wrong.push(`round ${round}: ${order}`)
  }
  return wrong
}

test('JS tasks of one priority start in submission order with two workers (200 rounds)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, agingMs: 60_000 })
  t.deepEqual(await wrongOrders(executor, 'high-1 high-2 normal-1 normal-2 normal-3 low-1 low-2 low-3'), [])
})

test('under the FIFO scheduler, JS tasks start in submission order with two workers (200 rounds)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, agingMs: 60_000, scheduler: new FifoScheduler() })
  t.deepEqual(await wrongOrders(executor, 'low-1 low-2 low-3 normal-1 normal-2 normal-3 high-1 high-2'), [])
})

test('JS tasks handed out by their own submission (free slots) start after the submitting code, never inside submit, in submission order', async (t) => {
  const { executor } = setup(t, { maxWorkers: 4, queueCapacity: 4096 })
  for (let round = 0; round < 20; round++) {
    const calls: number[] = []
    const insideSubmit: number[] = []
    let submitting = false
    const record = (i: number): void => {
      if (submitting) insideSubmit.push(i)
      calls.push(i)
    }
    // 1 500 submissions in one tick: the batch goes to the pool at once (inside a submit call)
    // when it is full, and that call gets the first hand-outs back.
    const futures = []
    for (let i = 0; i < 1500; i++) {
      submitting = true
      futures.push(executor.submit(record, [i]))
      submitting = false
    }
    t.is(calls.length, 0, 'nothing is called before the submitting code is done')
    await Promise.all(futures)
    t.deepEqual(insideSubmit, [], `round ${round}: called inside submit`)
    t.deepEqual(calls, Array.from({ length: 1500 }, (_, i) => i), `round ${round}: not in submission order`)
  }
})

test('activeThreads counts the tasks running at the moment of the call', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 4 })
  t.is(executor.getStats().activeThreads, 0)

  // Synchronous JS tasks: none is running once their futures settled.
  await Promise.all(Array.from({ length: 8 }, (_, i) => executor.submit(() => i)))
  let stats = executor.getStats()
  t.is(stats.activeThreads, 0, 'nothing runs once every future settled')
  t.is(stats.idleThreads, 4)

  // Two async JS tasks held open, and a kernel.
  const open = gate()
  let started = 0
  const held = [0, 1].map(() =>
    executor.submit(async () => {
      started++
      await open.promise
    }),
  )
  // Long enough to still run when the next task looks, even on a stalled machine.
  const sleeping = executor.submit(kernels.sleep, [3_000])
  await waitUntil(() => started === 2 && executor.getStats().activeThreads === 3, 'two JS tasks and a kernel to run')
  // Seen from inside a running synchronous task, that task counts too.
  const inside = await executor.submit(() => executor.getStats().activeThreads)
  t.is(inside, 4)
  open.open()
  await Promise.all([...held, sleeping])
  stats = executor.getStats()
  t.is(stats.activeThreads, 0)
  t.is(stats.idleThreads, 4)

  // A kernel that forks over every worker is still one running task.
  const fib = executor.submit(kernels.fib, [35])
  let most = 0
  while (!fib.done()) {
    most = Math.max(most, executor.getStats().activeThreads)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  t.true(most <= 1, `${most} tasks running for one fib`)
  t.is(executor.getStats().activeThreads, 0)
})
