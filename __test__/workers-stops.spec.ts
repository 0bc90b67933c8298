/**
 * Real stops and crashes of worker tasks: a running task past its `timeout` or whose signal
 * aborts is stopped by terminating its worker, which is replaced and frees its slot; a task
 * that ends its worker (`process.exit`, an uncaught exception from a timer, running out of
 * memory) rejects with `WorkerExitError`, and every other task settles normally.
 */
import test from 'ava'

import { CancelledError, TimeoutError, WorkerExitError, workerTask, type Executor, type Future } from '../index.js'
import { waitUntil } from './helpers.js'
import { HOLD_MS, setupWorkers, waitForFlag } from './worker-helpers.js'

/** Runs forever (only terminating its worker ends it); counts its start in `flags[0]`. */
const forever = workerTask((flags: Int32Array) => {
  Atomics.add(flags, 0, 1)
  for (;;);
})

/** The same without arguments (which would travel by the main thread when they hold shared memory). */
const foreverAlone = workerTask(() => {
  for (;;);
})

const square = workerTask((n: number) => n * n)

/** Ten quick tasks that must all complete, whatever happened to other tasks meanwhile. */
function bystanders(executor: Executor): Array<Future<number>> {
  return Array.from({ length: 10 }, (_, i) => executor.submit(square, [i]))
}

const SQUARES = Array.from({ length: 10 }, (_, i) => i * i)

test('a running worker task past its timeout is stopped: TimeoutError, its worker replaced, its slot freed', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const future = executor.submit(foreverAlone, [], { timeout: 100 })
  const error = await t.throwsAsync(future, { instanceOf: TimeoutError })
  t.is(error?.code, 'ERR_TIMEOUT')
  // The only slot comes back, on a new worker.
  t.deepEqual(await Promise.all(bystanders(executor)), SQUARES)
  const stats = executor.getStats()
  t.is(stats.workers.replaced, 1)
  t.is(stats.workers.started, 2)
  t.like(stats, { failedTasks: 1, completedTasks: 10, activeThreads: 0 })
})

test('a running worker task whose signal aborts is stopped: CancelledError, its worker replaced, its slot freed', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const controller = new AbortController()
  const future = executor.submit(forever, [gates.flags], { signal: controller.signal })
  await waitForFlag(gates.flags, 0, 1, 'the task to start')
  t.true(future.running())
  const queued = bystanders(executor)
  controller.abort(new Error('stop it'))
  const error = await t.throwsAsync(future, { instanceOf: CancelledError })
  t.is((error?.cause as Error).message, 'stop it')
  t.true(future.cancelled())
  t.deepEqual(await Promise.all(queued), SQUARES)
  await waitUntil(() => executor.getStats().workers.replaced === 1, 'the worker to be replaced')
  t.like(executor.getStats(), { cancelledTasks: 1, completedTasks: 10, activeThreads: 0 })
})

test('cancel() does not stop a running worker task (it returns false), unlike its signal', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const held = workerTask((flags: Int32Array, holdMs: number) => {
    Atomics.add(flags, 0, 1)
    const deadline = Date.now() + holdMs
    while (Atomics.load(flags, 1) === 0 && Date.now() < deadline) Atomics.wait(flags, 1, 0, 10)
    return 'finished'
  })
  const future = executor.submit(held, [gates.flags, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the task to start')
  t.false(future.cancel())
  gates.open(1)
  t.is(await future, 'finished')
  t.is(executor.getStats().workers.replaced, 0)
})

test('stops of several running tasks at once: each is replaced, and every other task settles', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const stopped = [executor.submit(foreverAlone, [], { timeout: 50 }), executor.submit(foreverAlone, [], { timeout: 50 })]
  const others = bystanders(executor)
  for (const future of stopped) await t.throwsAsync(future, { instanceOf: TimeoutError })
  t.deepEqual(await Promise.all(others), SQUARES)
  await waitUntil(() => executor.getStats().workers.replaced === 2, 'both workers to be replaced')
  t.like(executor.getStats().workers, { replaced: 2, busy: 0 })
  t.true(executor.getStats().workers.alive <= 2)
})

test('process.exit() in a worker task rejects it with WorkerExitError and its exit code; the others settle', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const exit = workerTask((code: number) => process.exit(code))
  const before = bystanders(executor)
  const crashed = executor.submit(exit, [7])
  const after = bystanders(executor)
  const error = await t.throwsAsync(crashed, { instanceOf: WorkerExitError })
  t.is(error?.code, 'ERR_FERRIS_WORKER_EXIT')
  t.is(error?.exitCode, 7)
  t.deepEqual(await Promise.all([...before, ...after]), [...SQUARES, ...SQUARES])
  await waitUntil(() => executor.getStats().workers.replaced === 1, 'the worker to be replaced')
  t.like(executor.getStats(), { failedTasks: 1, completedTasks: 20 })
  t.is(await executor.submit(square, [12]), 144)
})

test('an uncaught exception from a timer a task started rejects that task with WorkerExitError, with the exception as cause', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const timerThrows = workerTask(
    (message: string) =>
      new Promise(() => {
        setTimeout(() => {
          throw new Error(message)
        }, 1)
      }),
  )
  const before = bystanders(executor)
  const crashed = executor.submit(timerThrows, ['thrown from a timer'])
  const after = bystanders(executor)
  const error = await t.throwsAsync(crashed, { instanceOf: WorkerExitError })
  t.is(error?.exitCode, 1)
  t.regex(String((error?.cause as Error | undefined)?.message), /thrown from a timer/)
  t.deepEqual(await Promise.all([...before, ...after]), [...SQUARES, ...SQUARES])
  await waitUntil(() => executor.getStats().workers.replaced === 1, 'the worker to be replaced')
})

test("an uncaught exception after the task completed loses no task: the executor emits 'error', the worker is replaced", async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const errors: unknown[] = []
  executor.on('error', (error) => errors.push(error))
  const leavesTimer = workerTask(() => {
    setTimeout(() => {
      throw new Error('late')
    }, 1)
    return 'done'
  })
  t.is(await executor.submit(leavesTimer, []), 'done')
  await waitUntil(() => executor.getStats().workers.replaced === 1, 'the worker to be replaced')
  await waitUntil(() => errors.length === 1, "the 'error' event")
  t.is((errors[0] as Error).message, 'late')
  t.deepEqual(await Promise.all(bystanders(executor)), SQUARES)
  t.like(executor.getStats(), { completedTasks: 11, failedTasks: 0 })
})

test('a worker out of memory (resourceLimits) rejects its task with WorkerExitError; the others settle', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 32 } })
  const hog = workerTask(() => {
    const hoard: number[][] = []
    for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => i + hoard.length))
  })
  const before = bystanders(executor)
  const crashed = executor.submit(hog, [])
  const after = bystanders(executor)
  const error = await t.throwsAsync(crashed, { instanceOf: WorkerExitError })
  t.is(error?.code, 'ERR_FERRIS_WORKER_EXIT')
  t.is(typeof error?.exitCode, 'number')
  t.not(error?.exitCode, 0)
  t.is((error?.cause as { code?: string } | undefined)?.code, 'ERR_WORKER_OUT_OF_MEMORY')
  t.deepEqual(await Promise.all([...before, ...after]), [...SQUARES, ...SQUARES])
  await waitUntil(() => executor.getStats().workers.replaced === 1, 'the worker to be replaced')
})

test('a crash inside map rejects the map; the executor serves the next tasks', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const exitsOnFive = workerTask((n: number) => (n === 5 ? process.exit(3) : n))
  const error = await t.throwsAsync(executor.map(exitsOnFive, Array.from({ length: 20 }, (_, i) => i), { chunkSize: 2 }), { instanceOf: WorkerExitError })
  t.is(error?.exitCode, 3)
  t.deepEqual(await Promise.all(bystanders(executor)), SQUARES)
})
