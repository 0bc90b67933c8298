/** getStats(), getCpuUsage() and getMemoryUsage(). */
import { availableParallelism } from 'node:os'

import test, { type ExecutionContext } from 'ava'

import { CancelledError, Executor, QueueFullError, TaskPriority, kernels, type DurationSummary, type ExecutorStats } from '../index.js'
import { delay, setup, waitForRest, waitUntil } from './helpers.js'

function checkSummary(t: ExecutionContext, name: string, s: DurationSummary): void {
  for (const key of ['min', 'mean', 'p50', 'p90', 'p99', 'max'] as const) {
    t.true(Number.isFinite(s[key]) && s[key] >= 0, `${name}.${key} = ${s[key]}`)
  }
  t.true(s.min <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, `${name} not monotonic: ${JSON.stringify(s)}`)
  t.true(s.min <= s.mean && s.mean <= s.max, `${name} mean outside [min, max]: ${JSON.stringify(s)}`)
}

function atRest(t: ExecutionContext, stats: ExecutorStats): void {
  t.is(stats.activeThreads, 0)
  t.is(stats.idleThreads, stats.maxWorkers)
  t.is(stats.queuedTasks, 0)
  t.is(stats.oldestRunningMs, 0)
  t.deepEqual(stats.queuedByPriority, { high: 0, normal: 0, low: 0 })
  t.is(stats.submittedTasks, stats.completedTasks + stats.failedTasks + stats.cancelledTasks)
}

test('a fresh executor reports zeros and sane values', (t) => {
  const { executor } = setup(t, { maxWorkers: 3 })
  const stats = executor.getStats()
  t.is(stats.maxWorkers, 3)
  t.is(executor.maxWorkers, 3)
  atRest(t, stats)
  t.is(stats.submittedTasks, 0)
  t.is(stats.rejectedTasks, 0)
  t.is(stats.stolenTasks, 0)
  t.is(stats.totalExecutionTime, 0)
  t.true(stats.utilization >= 0 && stats.utilization <= 1)
  for (const key of ['min', 'mean', 'p50', 'p90', 'p99', 'max'] as const) {
    t.true(Number.isFinite(stats.waitTime[key]), `waitTime.${key}`)
    t.true(Number.isFinite(stats.runTime[key]), `runTime.${key}`)
  }
})

test('maxWorkers defaults to os.availableParallelism()', (t) => {
  const { executor } = setup(t)
  t.is(executor.getStats().maxWorkers, availableParallelism())
})

test('at rest, submitted = completed + failed + cancelled after a mix of outcomes (exact counts)', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2, queueCapacity: 4 })
  const g1 = gate()
  const g2 = gate()
  const b1 = executor.submit(() => g1.promise)
  await waitUntil(() => b1.running(), 'first blocker running')
  const b2 = executor.submit(() => g2.promise)
  await waitUntil(() => b2.running(), 'second blocker running')
  t.throws(() => executor.submit(() => 'aborted', [], { signal: AbortSignal.abort() }), { instanceOf: CancelledError }) // rejected 1
  // 4 queued: 2 get cancelled (one by cancel(), one by its signal)
  const controller = new AbortController()
  const c1 = executor.submit(() => 'cancelled 1')
  const c2 = executor.submit(kernels.spin, [1], { signal: controller.signal })
  const q1 = executor.submit(() => 'queued ok')
  const q2 = executor.submit(kernels.testing.fail, ['queued failure'])
  t.throws(() => executor.submit(() => 'refused'), { instanceOf: QueueFullError }) // rejected 2
  t.true(c1.cancel())
  controller.abort()
  g1.open()
  g2.open()
  await Promise.allSettled([b1, b2, c1, c2, q1, q2])
  // (in two rounds: the queue holds 4)
  const outcomes: PromiseLike<unknown>[] = [
    executor.submit(() => 'ok'),
    executor.submit(async () => 'ok async'),
    executor.submit(kernels.spin, [5]),
    executor.submit(kernels.sleep, [1]),
  ]
  await Promise.allSettled(outcomes)
  outcomes.push(
    executor.submit(() => {
      throw new Error('sync failure')
    }),
    executor.submit(async () => {
      throw new Error('async failure')
    }),
    executor.submit(kernels.testing.panic, ['panic for the stats']),
  )
  await Promise.allSettled([b1, b2, c1, c2, q1, q2, ...outcomes])
  await waitForRest(executor)
  const stats = executor.getStats()
  atRest(t, stats)
  t.is(stats.submittedTasks, 13)
  t.is(stats.completedTasks, 7) // b1 b2 q1 ok, ok async, spin, sleep
  t.is(stats.failedTasks, 4) // q2, sync, async, panic
  t.is(stats.cancelledTasks, 2) // c1, c2
  t.is(stats.rejectedTasks, 2)
})

test('queuedByPriority and queuedTasks reflect what waits behind a blocked worker', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const blocker = executor.submit(() => g.promise)
  await waitUntil(() => blocker.running(), 'blocker running')
  const lows = [executor.submit(() => 1, [], { priority: TaskPriority.LOW }), executor.submit(kernels.spin, [1], { priority: TaskPriority.LOW })]
  const high = executor.submit(() => 2, [], { priority: TaskPriority.HIGH })
  const normals = [executor.submit(() => 3), executor.submit(kernels.spin, [2]), executor.submit(() => 4, [], { priority: TaskPriority.NORMAL })]
  // submissions may be batched until the end of the microtask: look after it
  await Promise.resolve()
  let stats = executor.getStats()
  t.deepEqual(stats.queuedByPriority, { high: 1, normal: 3, low: 2 })
  t.is(stats.queuedTasks, 6)
  t.is(stats.activeThreads, 1)
  t.is(stats.idleThreads, 0)
  t.true(lows[0]!.cancel())
  stats = executor.getStats()
  t.deepEqual(stats.queuedByPriority, { high: 1, normal: 3, low: 1 })
  t.is(stats.queuedTasks, 5)
  g.open()
  await Promise.allSettled([blocker, ...lows, high, ...normals])
  await waitForRest(executor)
  atRest(t, executor.getStats())
})

test('getStats() right after the futures resolved already includes their wait and run times', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const stale: string[] = []
  for (let round = 1; round <= 5; round++) {
    await Promise.all([executor.submit(kernels.sleep, [20]), executor.submit(kernels.sleep, [20])])
    const stats = executor.getStats()
    // 2 * round sleeps of 20 ms have completed (completedTasks already says so)
    if (stats.completedTasks !== 2 * round || stats.totalExecutionTime < 2 * round * 0.02 * 0.94 || stats.runTime.min < 20 * 0.9) {
      stale.push(
        `round ${round}: completed ${stats.completedTasks}, totalExecutionTime ${stats.totalExecutionTime}, runTime.min ${stats.runTime.min}, runTime.max ${stats.runTime.max}`,
      )
    }
  }
  t.deepEqual(stale, [], 'getStats() lagged behind the settled futures')
})

/** Polls getStats() until `ready(stats)` (the pool publishes run times when a worker goes idle; the lag itself is tested above). */
async function statsWhen(executor: Executor, ready: (s: ExecutorStats) => boolean, what: string): Promise<ExecutorStats> {
  let stats = executor.getStats()
  await waitUntil(() => ready((stats = executor.getStats())), `${what}; last stats: ${JSON.stringify(stats)}`)
  return stats
}

test('waitTime and runTime summaries are ordered and bounded below by real waits and runs', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const blocker = executor.submit(() => g.promise)
  await waitUntil(() => blocker.running(), 'blocker running')
  const sleeps = Array.from({ length: 6 }, () => executor.submit(kernels.sleep, [20]))
  // the queued sleeps wait at least this long (timers never fire early)
  await delay(200)
  g.open()
  await Promise.all([blocker, ...sleeps])
  await waitForRest(executor)
  // 7 tasks ran: 6 sleeps of 20 ms and the blocker (> 200 ms)
  const stats = await statsWhen(executor, (s) => s.totalExecutionTime >= (6 * 20 + 200) * 0.9 / 1000, 'the run times of all 7 tasks')
  checkSummary(t, 'waitTime', stats.waitTime)
  checkSummary(t, 'runTime', stats.runTime)
  // percentiles are within about 6 %: allow 10 %
  t.true(stats.waitTime.max >= 200 * 0.9, `waitTime.max ${stats.waitTime.max} < 180 ms`)
  t.true(stats.waitTime.p50 >= 200 * 0.9, `waitTime.p50 ${stats.waitTime.p50}: 6 of 7 tasks waited > 200 ms`)
  t.true(stats.runTime.max >= 200 * 0.9, `runTime.max ${stats.runTime.max}: the blocker ran for more than 200 ms`)
  t.true(stats.runTime.p50 >= 20 * 0.9, `runTime.p50 ${stats.runTime.p50}: most tasks slept 20 ms`)
  t.true(stats.runTime.min >= 20 * 0.9, `runTime.min ${stats.runTime.min}: every task ran at least 20 ms`)
  t.true(stats.runTime.p90 <= stats.runTime.max)
  t.true(stats.runTime.p50 < 200 * 0.9, `runTime.p50 ${stats.runTime.p50}: only 1 of 7 tasks ran long`)
})

test('totalExecutionTime sums the run time of tasks (seconds)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  await Promise.all(Array.from({ length: 4 }, () => executor.submit(kernels.sleep, [50])))
  await waitForRest(executor)
  const stats = await statsWhen(executor, (s) => s.totalExecutionTime >= 4 * 0.05 * 0.94, 'totalExecutionTime >= 4 x 50 ms')
  t.true(stats.totalExecutionTime < 60, `totalExecutionTime ${stats.totalExecutionTime} is not in seconds`)
  t.true(stats.utilization > 0 && stats.utilization <= 1, `utilization ${stats.utilization}`)
})

test('uptime grows and utilization stays within [0, 1]', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  await delay(20)
  const first = executor.getStats()
  t.true(first.uptime > 0)
  t.true(first.uptime >= 20 * 0.9, `uptime ${first.uptime} is not in ms`)
  await executor.submit(kernels.sleep, [30])
  const second = await statsWhen(executor, (s) => s.utilization > 0, 'utilization > 0 after a 30 ms task')
  t.true(second.uptime >= first.uptime)
  t.true(second.utilization >= 0 && second.utilization <= 1)
})

test('JS task run times are measured until their promise settles', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  await executor.submit(async () => {
    await delay(100)
  })
  await waitForRest(executor)
  const stats = await statsWhen(executor, (s) => s.runTime.max > 0, 'the JS run time to be recorded')
  t.true(stats.runTime.max >= 100 * 0.9, `runTime.max ${stats.runTime.max}`)
  t.true(stats.totalExecutionTime >= 0.1 * 0.9, `totalExecutionTime ${stats.totalExecutionTime}`)
})

test.serial('getCpuUsage() is a finite number >= 0 and > 0 while a kernel spins', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const first = executor.getCpuUsage()
  t.true(Number.isFinite(first) && first >= 0, `first reading ${first}`)
  // Spins until stopped (the timeout is only a backstop), so the window below always falls
  // inside it, however late the main thread's timers fire.
  const stop = new AbortController()
  const spin = executor.submit(kernels.spin, [Number.MAX_SAFE_INTEGER], { signal: stop.signal, timeout: 60_000 })
  await waitUntil(() => spin.running(), 'the spin to run')
  await delay(300)
  executor.getCpuUsage() // a reading to start the window while the spin runs
  await delay(300)
  const busy = executor.getCpuUsage()
  t.true(spin.running(), 'the spin ended before the second reading')
  stop.abort()
  await t.throwsAsync(spin)
  t.true(Number.isFinite(busy) && busy > 0, `cpu usage while spinning: ${busy}`)
})

test('getMemoryUsage() is close to process.memoryUsage().rss', (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const ours = executor.getMemoryUsage()
  const node = process.memoryUsage().rss
  t.true(Number.isFinite(ours) && ours > 0)
  t.true(ours >= node / 2 && ours <= node * 2, `getMemoryUsage ${ours} vs rss ${node}`)
})

test('maxWorkers echoes the option', (t) => {
  for (const maxWorkers of [1, 2, 5]) {
    const executor = new Executor({ maxWorkers })
    t.is(executor.getStats().maxWorkers, maxWorkers)
    t.is(executor.getStats().idleThreads, maxWorkers)
    void executor.shutdown()
  }
})

test('stolenTasks counts the forked halves of a kernel that an idle worker took', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  // fib forks above n = 20: the idle worker is woken by the first fork and steals. Retried,
  // because a busy machine may keep that worker off the CPU for a whole call.
  for (let attempt = 0; attempt < 50 && executor.getStats().stolenTasks === 0; attempt++) {
    t.is(await executor.submit(kernels.fib, [35]), 9_227_465)
  }
  const stats = executor.getStats()
  t.true(stats.stolenTasks > 0, 'no forked half was ever stolen')
  t.is(stats.completedTasks, stats.submittedTasks, 'halves are not tasks')
})

test('with one worker nothing is stolen, and nested fork-join still completes', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.is(await executor.submit(kernels.fib, [27]), 196_418)
  t.deepEqual(await executor.submit(kernels.sort, [Float64Array.from([3, 1, 2])]), Float64Array.from([1, 2, 3]))
  t.is(executor.getStats().stolenTasks, 0)
})

test('oldestRunningMs shows how long a JS task whose promise never settles has held its slot', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  t.is(executor.getStats().oldestRunningMs, 0, 'nothing runs yet')
  const never = gate()
  const stuck = executor.submit(() => never.promise)
  await waitUntil(() => stuck.running(), 'the stuck task to be called')
  const calledBy = performance.now() // it was called before this
  const later = executor.submit(async () => {
    await delay(1)
    return 'later'
  })
  await delay(20)
  const observed = performance.now() - calledBy
  const stats = executor.getStats()
  t.true(stats.oldestRunningMs >= observed, `the stuck task has run at least ${observed} ms, stats say ${stats.oldestRunningMs}`)
  t.true(stats.oldestRunningMs <= stats.uptime)
  t.is(await later, 'later')
  never.open()
  await stuck
  t.is(executor.getStats().oldestRunningMs, 0, 'nothing runs any more')
})
