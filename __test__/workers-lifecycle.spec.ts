/**
 * The lifecycle of worker threads: their events ('workerStart', 'workerExit', 'error'),
 * recycling (`maxTasksPerWorker`, `recycleWorkers()`), idle exits (`idleTimeout`), progress
 * reports (`progress()` -> `onProgress`) and teardown hooks (`onTeardown`), the last two
 * imported from `ferris-executor/worker` by a fixture module.
 */
import type { Worker } from 'node:worker_threads'

import test from 'ava'

import { Executor, ExecutorShutdownError, workerTask, type WorkerTaskOf } from '../index.js'
import { describeRun, flush, linkPackage, runScripts, waitUntil } from './helpers.js'
import { HOLD_MS, fixture, setupWorkers, sharedGates, waitForFlag, waitOnGate } from './worker-helpers.js'

/** The exports of `fixtures/lifecycle.mjs`. */
interface Lifecycle {
  count: () => number
  reportUpTo: (n: number) => Promise<number>
  reportLate: (flags: Int32Array, at: number) => string
  reportFunction: () => void
  tearDownInto: (flags: Int32Array, at: number) => number
  failingTeardown: () => string
}
const lifecycle = <K extends keyof Lifecycle>(name: K): WorkerTaskOf<Lifecycle[K]> => workerTask<Lifecycle[K]>(fixture('lifecycle.mjs'), name)

/** How many tasks this worker's globals have seen: a fresh worker starts from 1 again. */
const countOnThisWorker = workerTask((): number => {
  const state = globalThis as { ferrisCount?: number }
  state.ferrisCount = (state.ferrisCount ?? 0) + 1
  return state.ferrisCount
})

async function sequentially(executor: Executor, n: number): Promise<number[]> {
  const counts: number[] = []
  for (let i = 0; i < n; i++) counts.push(await executor.submit(countOnThisWorker, []))
  return counts
}

test("'workerStart' and 'workerExit' carry the worker's threadId; 'workerExit' its exit code", async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const started = new Map<number, Worker>()
  const exits: Array<[number, number]> = []
  executor.on('workerStart', (id, worker) => started.set(id, worker))
  executor.on('workerExit', (id, code) => exits.push([id, code]))
  await executor.startWorkers()
  await waitUntil(() => started.size === 2, "two 'workerStart' events")
  for (const [id, worker] of started) t.is(worker.threadId, id)
  const crash = workerTask((code: number) => process.exit(code))
  await t.throwsAsync(executor.submit(crash, [7]))
  await waitUntil(() => exits.length === 1, "the 'workerExit' event")
  const [[id, code]] = exits as [[number, number]]
  t.true(started.has(id), 'the exit names a worker that started')
  t.is(code, 7)
  // One worker is left, enough for one task: no replacement is started for it.
  t.is(await executor.submit(countOnThisWorker, []), 1)
  t.is(started.size, 2)
})

test('maxTasksPerWorker: a worker exits after that many tasks and a fresh one (fresh module state) takes over', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, maxTasksPerWorker: 3 })
  const exits: number[] = []
  executor.on('workerExit', (_id, code) => exits.push(code))
  t.deepEqual(await sequentially(executor, 7), [1, 2, 3, 1, 2, 3, 1])
  // A module's state is fresh too: the third worker has run one task, it runs two more.
  const count = lifecycle('count')
  t.deepEqual([await executor.submit(count, []), await executor.submit(count, []), await executor.submit(count, [])], [1, 2, 1])
  await waitUntil(() => executor.getStats().workers.retired === 3, 'three workers to retire')
  t.like(executor.getStats().workers, { retired: 3, replaced: 0 })
  t.deepEqual(exits, [0, 0, 0])
  t.like(executor.getStats(), { completedTasks: 10, failedTasks: 0 })
})

test('recycleWorkers() replaces an idle worker at once, and a busy one only once its task has ended', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  await executor.startWorkers()
  t.is(await executor.submit(countOnThisWorker, []), 1)
  const held = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  await waitForFlag(gates.flags, 0, 1, 'the held task to start')
  let recycled = false
  const recycling = executor.recycleWorkers().then(() => (recycled = true))
  await waitUntil(() => executor.getStats().workers.retired === 1, 'the idle worker to retire')
  await flush()
  t.false(recycled, 'recycleWorkers() resolved while a worker still ran its task')
  t.false(held.done())
  gates.open(1)
  t.true(await held, 'the running task was not left to finish')
  await recycling
  t.like(executor.getStats().workers, { alive: 0, retired: 2, replaced: 0 })
  // The worker that runs it is new (both ran countOnThisWorker before being recycled, or the held task).
  t.is(await executor.submit(countOnThisWorker, []), 1)
})

test('recycleWorkers() right after a task, while its worker still waits for the next one, retires it', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  for (let round = 0; round < 5; round++) {
    t.is(await executor.submit(countOnThisWorker, []), 1)
    const recycled = await Promise.race([executor.recycleWorkers().then(() => true), new Promise((resolve) => setTimeout(resolve, HOLD_MS, false))])
    t.true(recycled, `round ${round}: recycleWorkers() did not resolve`)
  }
  t.is(executor.getStats().workers.retired, 5)
})

test('idleTimeout: an idle worker exits, and a new one starts when a task comes', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, idleTimeout: 20 })
  const exits: number[] = []
  executor.on('workerExit', (id) => exits.push(id))
  t.is(await executor.submit(countOnThisWorker, []), 1)
  await waitUntil(() => exits.length === 1, 'the idle worker to exit')
  t.like(executor.getStats().workers, { alive: 0, retired: 1, replaced: 0, started: 1 })
  t.is(await executor.submit(countOnThisWorker, []), 1)
  t.is(executor.getStats().workers.started, 2)
})

test('onProgress receives every progress() report in order, before the future settles', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  for (let round = 0; round < 20; round++) {
    const reports: unknown[] = []
    const future = executor.submit(lifecycle('reportUpTo'), [5], { onProgress: (value) => reports.push(value) })
    const atSettle = await future.then(() => [...reports])
    t.deepEqual(atSettle, [1, 2, 3, 4, 5])
  }
  // Without onProgress, progress() reports to nobody and the task is unaffected.
  t.is(await executor.submit(lifecycle('reportUpTo'), [3]), 3)
})

test('no progress report arrives after the future settled; an uncloneable report fails the task', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const gates = sharedGates(1)
  const reports: unknown[] = []
  t.is(await executor.submit(lifecycle('reportLate'), [gates.flags, 0], { onProgress: (value) => reports.push(value) }), 'returned')
  await waitForFlag(gates.flags, 0, 1, 'the late report to be made')
  await flush()
  t.deepEqual(reports, ['early'])
  const error = await executor.submit(lifecycle('reportFunction'), [], { onProgress: () => {} }).exception()
  t.is((error as Error).name, 'DataCloneError')
  t.throws(() => executor.submit(() => 1, [], { onProgress: () => {} }), { instanceOf: TypeError, message: /worker tasks only/ })
  t.throws(() => executor.submit(countOnThisWorker, [], { onProgress: 1 as never }), { instanceOf: TypeError })
})

test('onTeardown hooks run before a recycled, an idle and a gracefully shut-down worker exits, not on destroy()', async (t) => {
  const gates = sharedGates(4)
  const tearDownInto = lifecycle('tearDownInto')
  // recycled
  const recycled = new Executor({ maxWorkers: 1, jsWorkers: 1, maxTasksPerWorker: 2 })
  t.teardown(() => recycled.destroy())
  await recycled.submit(tearDownInto, [gates.flags, 0])
  await recycled.submit(countOnThisWorker, [])
  await waitForFlag(gates.flags, 0, 1, 'the teardown hook of the recycled worker')
  // idle
  const idle = new Executor({ maxWorkers: 1, jsWorkers: 1, idleTimeout: 10 })
  t.teardown(() => idle.destroy())
  await idle.submit(tearDownInto, [gates.flags, 1])
  await waitForFlag(gates.flags, 1, 1, 'the teardown hook of the idle worker')
  // shutdown: the hook has run when shutdown() resolves
  const shut = new Executor({ maxWorkers: 1, jsWorkers: 1 })
  await shut.submit(tearDownInto, [gates.flags, 2])
  await shut.shutdown()
  t.is(Atomics.load(gates.flags, 2), 1)
  // destroy: terminated, no hook
  const destroyed = new Executor({ maxWorkers: 1, jsWorkers: 1 })
  await destroyed.submit(tearDownInto, [gates.flags, 3])
  await destroyed.destroy()
  await flush()
  t.is(Atomics.load(gates.flags, 3), 0)
  t.throws(() => destroyed.submit(countOnThisWorker, []), { instanceOf: ExecutorShutdownError })
})

test("a teardown hook that throws is reported through 'error'; the worker is replaced", async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1, maxTasksPerWorker: 1 })
  const errors: unknown[] = []
  executor.on('error', (error) => errors.push(error))
  t.is(await executor.submit(lifecycle('failingTeardown'), []), 'registered')
  await waitUntil(() => errors.length === 1, "the 'error' event")
  t.is((errors[0] as Error).message, 'teardown failed')
  t.deepEqual(await sequentially(executor, 1), [1])
})

test("a user's module imports progress and onTeardown from 'ferris-executor/worker' by the package name", async (t) => {
  const result = await runScripts(
    {
      'task.mjs': `
        import { progress, onTeardown } from 'ferris-executor/worker'
        import { workerData } from 'node:worker_threads'
        onTeardown(() => console.log('TEARDOWN ' + workerData.tag))
        export function work(n) {
          for (let i = 1; i <= n; i++) progress(i)
          return workerData.tag
        }
      `,
      'main.mjs': `
        import { Executor, workerTask } from 'ferris-executor'
        const executor = new Executor({ maxWorkers: 1, workerOptions: { workerData: { tag: 'w1' } } })
        const reports = []
        const tag = await executor.submit(workerTask(new URL('./task.mjs', import.meta.url), 'work'), [3], { onProgress: (v) => reports.push(v) })
        console.log('RESULT ' + tag + ' ' + reports.join(','))
        await executor.shutdown()
        console.log('SHUT DOWN')
      `,
    },
    'main.mjs',
    30_000,
    linkPackage,
  )
  t.is(result.code, 0, describeRun(result))
  t.regex(result.stdout, /RESULT w1 1,2,3\nTEARDOWN w1\nSHUT DOWN/, describeRun(result))
})
