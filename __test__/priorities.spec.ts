/** Priorities: HIGH before NORMAL before LOW, FIFO within a level, the FIFO scheduler, and aging. */
import test, { type ExecutionContext } from 'ava'

import { Executor, FifoScheduler, TaskPriority, WorkStealingScheduler, kernels, type ExecutorOptions } from '../index.js'
import { delay, type Gate, setup, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

/**
 * An executor with one slot, occupied by a gated JS task (running once this resolves). Aging is
 * off unless `options` sets `agingMs` (`undefined` for the default): on a stalled machine a
 * queued lower level could otherwise become overdue, a jump only the aging specs check.
 */
async function blocked(
  t: ExecutionContext,
  options: ExecutorOptions = {},
): Promise<{ executor: Executor; release: Gate; blocker: PromiseLike<unknown> }> {
  const { executor, gate } = setup(t, { maxWorkers: 1, agingMs: 0, ...options })
  const release = gate()
  const blocker = executor.submit(() => release.promise)
  await waitUntil(() => blocker.running(), 'the blocking task to run')
  return { executor, release, blocker }
}

test('queued JS tasks start HIGH, then NORMAL, then LOW (not in submission order)', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const record = (name: string) => () => void order.push(name)
  const futures = [
    executor.submit(record('low'), [], { priority: TaskPriority.LOW }),
    executor.submit(record('normal'), [], { priority: TaskPriority.NORMAL }),
    executor.submit(record('high'), [], { priority: TaskPriority.HIGH }),
  ]
  t.deepEqual(executor.getStats().queuedByPriority, { high: 1, normal: 1, low: 1 })
  release.open()
  await Promise.all(futures)
  t.deepEqual(order, ['high', 'normal', 'low'])
})

test('the default priority is NORMAL', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const futures = [
    executor.submit(() => void order.push('low'), [], { priority: TaskPriority.LOW }),
    executor.submit(() => void order.push('default')),
    executor.submit(() => void order.push('high'), [], { priority: TaskPriority.HIGH }),
  ]
  t.is(executor.getStats().queuedByPriority.normal, 1)
  release.open()
  await Promise.all(futures)
  t.deepEqual(order, ['high', 'default', 'low'])
})

test('within one priority, tasks start in submission order', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const futures = []
  const levels = [TaskPriority.LOW, TaskPriority.HIGH, TaskPriority.NORMAL]
  for (let i = 0; i < 30; i++) {
    const level = levels[i % 3]!
    futures.push(executor.submit(() => void order.push(`${level}${i}`), [], { priority: level }))
  }
  release.open()
  await Promise.all(futures)
  const expected = [
    ...Array.from({ length: 10 }, (_, k) => `high${3 * k + 1}`),
    ...Array.from({ length: 10 }, (_, k) => `normal${3 * k + 2}`),
    ...Array.from({ length: 10 }, (_, k) => `low${3 * k}`),
  ]
  t.deepEqual(order, expected)
})

test('priorities order native kernels too (one worker, completion order)', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const submitSpin = (name: string, priority: TaskPriority) => {
    const future = executor.submit(kernels.spin, [1000], { priority })
    future.addDoneCallback(() => order.push(name))
    return future
  }
  const futures = [
    submitSpin('low', TaskPriority.LOW),
    submitSpin('normal', TaskPriority.NORMAL),
    submitSpin('high', TaskPriority.HIGH),
    submitSpin('high2', TaskPriority.HIGH),
  ]
  release.open()
  await Promise.all(futures)
  t.deepEqual(order, ['high', 'high2', 'normal', 'low'])
})

test('JS tasks and kernels are ordered by priority together', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const low = executor.submit(() => void order.push('js-low'), [], { priority: TaskPriority.LOW })
  const native = executor.submit(kernels.sleep, [1], { priority: TaskPriority.HIGH })
  // The JS task at NORMAL may only start after the HIGH kernel is finished (one slot).
  const normal = executor.submit(() => void order.push(`js-normal(kernel done: ${native.done()})`), [], {
    priority: TaskPriority.NORMAL,
  })
  native.addDoneCallback(() => order.push('kernel-high'))
  release.open()
  await Promise.all([low, native, normal])
  t.is(order.indexOf('kernel-high') < order.indexOf('js-low'), true, order.join(' '))
  t.is(order.at(-1), 'js-low', order.join(' '))
})

test('map honours its priority option against queued tasks', async (t) => {
  const { executor, release } = await blocked(t)
  const order: string[] = []
  const low = executor.submit(() => void order.push('low task'), [], { priority: TaskPriority.LOW })
  const mapped = executor.map((x: number) => void order.push(`map ${x}`), [1, 2, 3], { priority: TaskPriority.HIGH })
  await waitUntil(() => executor.getStats().queuedTasks === 4, 'the map items to be queued')
  release.open()
  await Promise.all([low, mapped])
  t.deepEqual(order, ['map 1', 'map 2', 'map 3', 'low task'])
})

test('FifoScheduler runs queued tasks in submission order, ignoring priority', async (t) => {
  const { executor, release } = await blocked(t, { scheduler: new FifoScheduler() })
  const order: string[] = []
  const futures = [
    executor.submit(() => void order.push('low'), [], { priority: TaskPriority.LOW }),
    executor.submit(() => void order.push('normal'), [], { priority: TaskPriority.NORMAL }),
    executor.submit(() => void order.push('high'), [], { priority: TaskPriority.HIGH }),
    executor.submit(() => void order.push('low2'), [], { priority: TaskPriority.LOW }),
  ]
  release.open()
  await Promise.all(futures)
  t.deepEqual(order, ['low', 'normal', 'high', 'low2'])
})

test('an explicit WorkStealingScheduler orders by priority', async (t) => {
  const { executor, release } = await blocked(t, { scheduler: new WorkStealingScheduler() })
  const order: string[] = []
  const futures = [
    executor.submit(() => void order.push('low'), [], { priority: TaskPriority.LOW }),
    executor.submit(() => void order.push('high'), [], { priority: TaskPriority.HIGH }),
  ]
  release.open()
  await Promise.all(futures)
  t.deepEqual(order, ['high', 'low'])
})

/** Blocks the slot, queues one LOW task, lets it wait `waitMs`, then queues HIGH tasks; returns the start order. */
async function agingOrder(t: ExecutionContext, agingMs: number | undefined, waitMs: number): Promise<string[]> {
  const { executor, release } = await blocked(t, { agingMs })
  {
    const order: string[] = []
    const futures = [executor.submit(() => void order.push('old-low'), [], { priority: TaskPriority.LOW })]
    // This wait is the age of the LOW task (a lower bound: timers never fire early).
    await delay(waitMs)
    for (let i = 0; i < 3; i++) {
      futures.push(executor.submit(() => void order.push(`high${i}`), [], { priority: TaskPriority.HIGH }))
    }
    futures.push(executor.submit(() => void order.push('normal'), [], { priority: TaskPriority.NORMAL }))
    release.open()
    await Promise.all(futures)
    return order
  }
}

test('aging: a LOW task older than agingMs starts before younger HIGH tasks', async (t) => {
  const order = await agingOrder(t, 50, 300)
  t.is(order[0], 'old-low', order.join(' '))
  // Not where 'normal' goes: a stall of 50 ms before the HIGH tasks are handed out makes it
  // overdue too.
  t.deepEqual(
    order.slice(1).filter((name) => name !== 'normal'),
    ['high0', 'high1', 'high2'],
  )
})

test('aging disabled (agingMs 0): the old LOW task still runs last', async (t) => {
  const order = await agingOrder(t, 0, 300)
  t.deepEqual(order, ['high0', 'high1', 'high2', 'normal', 'old-low'])
})

test('aging threshold: a LOW task younger than agingMs (default 1000) does not jump ahead', async (t) => {
  // 100 ms of age: a stall of 900 ms more would be needed to make it overdue.
  const order = await agingOrder(t, undefined, 100)
  t.deepEqual(order, ['high0', 'high1', 'high2', 'normal', 'old-low'])
})

test('FifoScheduler still runs kernels in parallel', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, scheduler: new FifoScheduler() })
  const holds = [holdKernel(executor), holdKernel(executor)]
  await waitUntil(() => executor.getStats().activeThreads === 2, 'two kernels running at once')
  for (const h of holds) h.release()
  await Promise.all(holds.map((h) => h.future))
  t.pass()
})
