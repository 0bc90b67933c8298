/** shutdown: refusing new work, waiting, cancelling pending tasks, not waiting, and disposal. */
import test from 'ava'

import { CancelledError, Executor, ExecutorShutdownError, kernels } from '../index.js'
import { delay, flush, gate, setup, spinTwin, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

test('after shutdown, submit throws ExecutorShutdownError synchronously and counts as rejected', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.is(await executor.submit(() => 1), 1)
  await executor.shutdown()
  let called = false
  const error = t.throws(() =>
    executor.submit(() => {
      called = true
    }),
  )
  t.true(error instanceof ExecutorShutdownError, String(error))
  t.is((error as ExecutorShutdownError).code, 'ERR_EXECUTOR_SHUTDOWN')
  t.throws(() => executor.submit(kernels.spin, [1]), { instanceOf: ExecutorShutdownError })
  const stats = executor.getStats()
  t.is(stats.rejectedTasks, 2)
  t.is(stats.submittedTasks, 1)
  // map and imap refuse too
  await t.throwsAsync(executor.map((x: number) => x, [1, 2]), { instanceOf: ExecutorShutdownError })
  await t.throwsAsync(async () => {
    for await (const value of executor.imap((x: number) => x, [1])) t.fail(`got ${value}`)
  }, { instanceOf: ExecutorShutdownError })
  // shutting down again is harmless
  await executor.shutdown()
  await flush()
  t.false(called)
})

test('shutdown() waits for the running and the queued tasks', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  let runningFinished = false
  let queuedRan = false
  const running = executor.submit(async () => {
    await g.promise
    runningFinished = true
    return 'running'
  })
  await waitUntil(() => running.running(), 'the first task to run')
  const queuedJs = executor.submit(() => {
    queuedRan = true
    return 'queued'
  })
  const queuedKernel = executor.submit(kernels.spin, [100])
  let stateAtResolve: boolean[] | undefined
  const shutdown = executor.shutdown().then(() => {
    stateAtResolve = [runningFinished, queuedRan, running.done(), queuedJs.done(), queuedKernel.done()]
  })
  t.throws(() => executor.submit(() => 1), { instanceOf: ExecutorShutdownError })
  await flush(10)
  t.is(stateAtResolve, undefined, 'shutdown resolved while a task was still running')
  g.open()
  await shutdown
  t.deepEqual(stateAtResolve, [true, true, true, true, true])
  t.is(await running, 'running')
  t.is(await queuedJs, 'queued')
  t.is(await queuedKernel, spinTwin(100))
})

test('shutdown() waits for a running native kernel', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const hold = holdKernel(executor)
  await waitUntil(() => executor.getStats().activeThreads === 1, 'the kernel to run')
  let doneAtResolve: boolean | undefined
  let resolved = false
  const shutdown = executor.shutdown().then(() => {
    resolved = true
    doneAtResolve = hold.future.done()
  })
  await delay(100)
  t.false(resolved, 'shutdown() resolved while a kernel was still running')
  hold.release()
  await shutdown
  t.true(doneAtResolve)
  t.is(typeof (await hold.future), 'number')
})

test('shutdown({ cancelPending: true }) cancels queued tasks while the running one completes', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const running = executor.submit(async () => {
    await g.promise
    return 'finished'
  })
  await waitUntil(() => running.running(), 'the first task to run')
  let queuedCalled = false
  const queuedJs = executor.submit(() => {
    queuedCalled = true
  })
  const queuedKernel = executor.submit(kernels.spin, [10])
  let resolved = false
  const shutdown = executor.shutdown({ cancelPending: true }).then(() => (resolved = true))
  t.true(queuedJs.cancelled())
  t.true(queuedKernel.cancelled())
  t.true((await t.throwsAsync(queuedJs)) instanceof CancelledError)
  t.true((await t.throwsAsync(queuedKernel)) instanceof CancelledError)
  t.false(running.done())
  await flush()
  t.false(resolved, 'shutdown (wait: true) resolved before the running task finished')
  g.open()
  await shutdown
  t.is(await running, 'finished')
  t.false(queuedCalled)
  const stats = executor.getStats()
  t.is(stats.cancelledTasks, 2)
  t.is(stats.completedTasks, 1)
})

test('shutdown({ wait: false }) resolves while work is still running, and the work still completes', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const running = executor.submit(async () => {
    await g.promise
    return 'done later'
  })
  await waitUntil(() => running.running(), 'the task to run')
  const queued = executor.submit(() => 'queued done later')
  let resolved = false
  void executor.shutdown({ wait: false }).then(() => (resolved = true))
  await waitUntil(() => resolved, 'shutdown({ wait: false }) to resolve without waiting for the task')
  t.false(running.done())
  t.false(queued.done())
  t.throws(() => executor.submit(() => 1), { instanceOf: ExecutorShutdownError })
  g.open()
  t.is(await running, 'done later')
  t.is(await queued, 'queued done later')
})

test('await using shuts the executor down and waits for its work', async (t) => {
  let finished = false
  let escaped: Executor | undefined
  {
    await using executor = new Executor({ maxWorkers: 1 })
    escaped = executor
    void executor.submit(async () => {
      await new Promise((r) => setTimeout(r, 30))
      finished = true
    })
  }
  t.true(finished, 'await using did not wait for the running task')
  t.throws(() => escaped!.submit(() => 1), { instanceOf: ExecutorShutdownError })
})

test('Symbol.asyncDispose shuts down and waits', async (t) => {
  const executor = new Executor({ maxWorkers: 1 })
  const g = gate()
  const running = executor.submit(() => g.promise.then(() => 'v'))
  await waitUntil(() => running.running(), 'the task to run')
  let resolved = false
  const disposing = executor[Symbol.asyncDispose]().then(() => (resolved = true))
  t.throws(() => executor.submit(() => 1), { instanceOf: ExecutorShutdownError })
  await flush()
  t.false(resolved)
  g.open()
  await disposing
  t.true(running.done())
})

test('Symbol.dispose (using) shuts down without waiting; the work still completes', async (t) => {
  const g = gate()
  let escaped: Executor | undefined
  let running: PromiseLike<string> | undefined
  {
    using executor = new Executor({ maxWorkers: 1 })
    escaped = executor
    running = executor.submit(() => g.promise.then(() => 'still completes'))
  }
  t.throws(() => escaped!.submit(() => 1), { instanceOf: ExecutorShutdownError })
  g.open()
  t.is(await running, 'still completes')
  const direct = new Executor({ maxWorkers: 1 })
  direct[Symbol.dispose]()
  t.throws(() => direct.submit(() => 1), { instanceOf: ExecutorShutdownError })
})

test('getStats() still works after shutdown', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  await executor.submit(kernels.spin, [10])
  await executor.submit(() => 1)
  await executor.shutdown()
  const stats = executor.getStats()
  t.is(stats.submittedTasks, 2)
  t.is(stats.completedTasks, 2)
  t.is(stats.maxWorkers, 2)
})

test('after shutdown() waited for a running JS task, getStats() shows the executor at rest with that run', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2 })
  const g = gate()
  const running = executor.submit(async () => {
    await g.promise
    await delay(30)
    return 'finished'
  })
  await waitUntil(() => running.running(), 'the task to run')
  const shutdown = executor.shutdown()
  g.open()
  await shutdown
  t.is(await running, 'finished')
  await delay(20)
  const stats = executor.getStats()
  t.is(stats.completedTasks, 1)
  t.is(stats.activeThreads, 0, 'a finished task still counts as running after shutdown')
  t.is(stats.idleThreads, 2)
  t.true(stats.runTime.max >= 30 * 0.9, `runTime.max ${stats.runTime.max}: the task ran > 30 ms`)
  t.true(stats.totalExecutionTime >= 0.03 * 0.9, `totalExecutionTime ${stats.totalExecutionTime}`)
})

test('after shutdown(), getStats() includes the run time of the kernels that ran', async (t) => {
  const stale: string[] = []
  for (let round = 0; round < 4; round++) {
    const { executor } = setup(t, { maxWorkers: 1 })
    await Promise.all([executor.submit(kernels.sleep, [20]), executor.submit(kernels.sleep, [20])])
    await executor.shutdown()
    await delay(20)
    const stats = executor.getStats()
    t.is(stats.completedTasks, 2)
    t.is(stats.activeThreads, 0)
    if (stats.totalExecutionTime < 2 * 0.02 * 0.9 || stats.runTime.min < 20 * 0.9) {
      stale.push(`round ${round}: totalExecutionTime ${stats.totalExecutionTime}, runTime.min ${stats.runTime.min}`)
    }
  }
  t.deepEqual(stale, [], 'the final statistics miss the run times of kernels that completed')
})
