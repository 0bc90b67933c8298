/** The Future API (done, running, cancelled, cancel, result/exception with timeout, callbacks) and AbortSignal. */
import test, { type ExecutionContext } from 'ava'

import { CancelledError, Executor, Future, TimeoutError, kernels } from '../index.js'
import { delay, describeRun, flush, type Gate, runScript, setup, spinTwin, waitForRest, waitUntil } from './helpers.js'
import { holdKernel } from './plugin-fixtures.js'

/** An executor with one slot, occupied by a gated JS task that is running once this resolves. */
async function blocked(t: ExecutionContext): Promise<{ executor: Executor; release: Gate; blocker: Future<void>; gate: () => Gate }> {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const release = gate()
  const blocker = executor.submit(() => release.promise)
  await waitUntil(() => blocker.running(), 'the blocking task to run')
  return { executor, release, blocker, gate }
}

test('done / running / cancelled follow a JS task through its life', async (t) => {
  const { executor, release, blocker, gate } = await blocked(t)
  let runningInside: boolean | undefined
  let doneInside: boolean | undefined
  const g = gate()
  const future: Future<string> = executor.submit(async () => {
    runningInside = future.running()
    doneInside = future.done()
    await g.promise
    return 'ok'
  })
  // queued behind the blocker: not running, not done, not cancelled
  t.false(future.running())
  t.false(future.done())
  t.false(future.cancelled())
  t.true(blocker.running())
  t.false(blocker.done())
  release.open()
  await waitUntil(() => runningInside !== undefined, 'the task function to be called')
  t.true(runningInside, 'running() was false inside the task function')
  t.false(doneInside)
  t.true(future.running())
  t.false(future.done())
  g.open()
  t.is(await future, 'ok')
  t.false(future.running())
  t.true(future.done())
  t.false(future.cancelled())
})

test('running() becomes true only when the JS function is called, not on submission', async (t) => {
  const { executor, release } = await blocked(t)
  let called = false
  const future = executor.submit(() => {
    called = true
  })
  await delay(50)
  t.false(called)
  t.false(future.running(), 'running() was true for a queued task')
  release.open()
  await future
})

test('running() is true while a native kernel runs on a pool thread', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const hold = holdKernel(executor)
  const future = hold.future
  await waitUntil(() => executor.getStats().activeThreads === 1, 'the kernel to start')
  t.false(future.done())
  t.true(future.running(), 'running() is false for a kernel that is running')
  t.false(future.cancel(), 'cancel() returned true for a running kernel')
  hold.release()
  t.is(typeof (await future), 'number')
  t.false(future.running())
})

test('cancel() cancels a queued JS task: true, CancelledError, done, and its function never runs', async (t) => {
  const { executor, release } = await blocked(t)
  let called = false
  const future = executor.submit(() => {
    called = true
    return 'ran'
  })
  t.true(future.cancel())
  t.true(future.cancelled())
  t.true(future.done())
  t.false(future.running())
  t.true(future.cancel(), 'cancel() of an already cancelled future must stay true')
  const error = await t.throwsAsync(future)
  t.true(error instanceof CancelledError)
  t.is((error as CancelledError).code, 'ERR_CANCELLED')
  // later tasks run; the cancelled one never does
  const later = executor.submit(() => 'later')
  release.open()
  t.is(await later, 'later')
  await waitForRest(executor)
  await flush()
  t.false(called, 'the cancelled task function was called')
  const stats = executor.getStats()
  t.is(stats.cancelledTasks, 1)
  t.is(stats.completedTasks, 2)
})

test('cancel() cancels a queued kernel', async (t) => {
  const { executor, release } = await blocked(t)
  const native = executor.submit(kernels.spin, [10])
  const other = executor.submit(kernels.spin, [11])
  t.is(executor.getStats().queuedTasks, 2)
  t.true(native.cancel())
  t.true(native.cancelled())
  t.is(executor.getStats().queuedTasks, 1)
  release.open()
  t.true((await t.throwsAsync(native)) instanceof CancelledError)
  t.is(await other, spinTwin(11))
  await waitForRest(executor)
  t.is(executor.getStats().cancelledTasks, 1)
})

test('cancel() returns false for a running task, which then completes normally', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const future = executor.submit(async () => {
    await g.promise
    return 'finished'
  })
  await waitUntil(() => future.running(), 'the task to run')
  t.false(future.cancel())
  t.false(future.cancelled())
  g.open()
  t.is(await future, 'finished')
  t.false(future.cancelled())
})

test('cancel() returns false for finished futures (fulfilled and failed)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const ok = executor.submit(() => 1)
  const failed = executor.submit(kernels.testing.fail, ['x'])
  await ok
  await failed.exception()
  t.false(ok.cancel())
  t.false(failed.cancel())
  t.false(ok.cancelled())
  t.false(failed.cancelled())
  t.is(await ok, 1)
})

test('result({ timeout }) rejects with TimeoutError without cancelling the task', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const g = gate()
  const future = executor.submit(async () => {
    await g.promise
    return 'late'
  })
  const error = await t.throwsAsync(future.result({ timeout: 30 }))
  t.true(error instanceof TimeoutError)
  t.is((error as TimeoutError).code, 'ERR_TIMEOUT')
  t.false(future.done())
  t.false(future.cancelled())
  g.open()
  t.is(await future, 'late')
  t.is(await future.result({ timeout: 0 }), 'late', 'a done future resolves even with timeout 0')
})

test('result({ timeout }) on a queued task does not cancel it either', async (t) => {
  const { executor, release } = await blocked(t)
  let called = false
  const future = executor.submit(() => {
    called = true
    return 'eventually'
  })
  t.true((await t.throwsAsync(future.result({ timeout: 20 }))) instanceof TimeoutError)
  t.false(future.cancelled())
  release.open()
  t.is(await future.result({ timeout: 10_000 }), 'eventually')
  t.true(called)
})

test('exception() gives the error, undefined on success, and rejects with TimeoutError or CancelledError', async (t) => {
  const { executor, release, gate } = await blocked(t)
  const thrown = new RangeError('bad')
  const failing = executor.submit(() => {
    throw thrown
  })
  const g = gate()
  const slow = executor.submit(async () => {
    await g.promise
    return 1
  })
  const cancelled = executor.submit(() => 0)
  t.true(cancelled.cancel())
  // failing is still queued behind the blocker: exception() times out without cancelling it
  t.true((await t.throwsAsync(failing.exception({ timeout: 20 }))) instanceof TimeoutError)
  t.false(failing.cancelled())
  release.open()
  t.is(await failing.exception(), thrown)
  t.is(await failing.exception({ timeout: 10 }), thrown)
  await waitUntil(() => slow.running(), 'the slow task to run')
  t.true((await t.throwsAsync(slow.exception({ timeout: 20 }))) instanceof TimeoutError)
  g.open()
  t.is(await slow.exception(), undefined)
  t.true((await t.throwsAsync(cancelled.exception())) instanceof CancelledError)
})

test('addDoneCallback runs on settle with the future, and at once when already settled', async (t) => {
  const { executor, release, gate } = await blocked(t)
  const future = executor.submit(() => 'v')
  const calls: string[] = []
  future.addDoneCallback((f) => {
    t.is(f, future)
    calls.push('first')
  })
  future.addDoneCallback(() => calls.push('second'))
  await delay(20)
  t.deepEqual(calls, [], 'a callback ran before the task settled')
  release.open()
  await future
  t.deepEqual(calls, ['first', 'second'])
  // already settled: called synchronously inside addDoneCallback
  let immediate = false
  future.addDoneCallback((f) => {
    immediate = f.done()
  })
  t.true(immediate)
  // callbacks also run for failed and cancelled futures
  const failed = executor.submit(kernels.testing.fail, ['x'])
  const onFailed = new Promise<boolean>((r) => failed.addDoneCallback((f) => r(f.done() && !f.cancelled())))
  t.true(await onFailed)
  const g = gate()
  const holder = executor.submit(() => g.promise)
  const queued = executor.submit(() => 1)
  let cancelledSeen = false
  queued.addDoneCallback((f) => (cancelledSeen = f.cancelled()))
  t.true(queued.cancel())
  t.true(cancelledSeen)
  g.open()
  await holder
})

test('addDoneCallback rejects a non-function', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => 1)
  t.throws(() => future.addDoneCallback('nope' as unknown as () => void), { instanceOf: TypeError })
  t.is(await future, 1)
})

test('a throwing done callback does not stop the others and is reported as a process warning', async (t) => {
  // In a child process: the warning is printed to stderr, where this test reads it.
  const run = await runScript(`
import { Executor } from {{PACKAGE}}
const warnings = []
process.on('warning', (w) => warnings.push([w.name, w.message]))
const executor = new Executor({ maxWorkers: 1 })
const future = executor.submit(() => 'value')
const calls = []
future.addDoneCallback(() => calls.push(1))
future.addDoneCallback(() => {
  throw new Error('callback boom 1f2e')
})
future.addDoneCallback(() => calls.push(3))
const value = await future
// Also for a callback added after settling (called at once): addDoneCallback itself must not throw.
let threw = false
try {
  future.addDoneCallback(() => {
    throw new Error('callback boom 9c4d')
  })
} catch {
  threw = true
}
await new Promise((resolve) => setTimeout(resolve, 0))
await executor.shutdown()
console.log(JSON.stringify({ value, calls, threw, warnings }))
`)
  t.is(run.code, 0, describeRun(run))
  const { value, calls, threw, warnings } = JSON.parse(run.stdout) as { value: string; calls: number[]; threw: boolean; warnings: Array<[string, string]> }
  t.is(value, 'value')
  t.deepEqual(calls, [1, 3])
  t.false(threw)
  t.deepEqual(warnings, [
    ['Error', 'callback boom 1f2e'],
    ['Error', 'callback boom 9c4d'],
  ])
  t.regex(run.stderr, /callback boom 1f2e/)
  t.regex(run.stderr, /callback boom 9c4d/)
})

test('aborting a signal cancels a queued task with the abort reason as cause', async (t) => {
  const { executor, release } = await blocked(t)
  const controller = new AbortController()
  let called = false
  const future = executor.submit(
    () => {
      called = true
    },
    [],
    { signal: controller.signal },
  )
  const reason = new Error('user gave up')
  controller.abort(reason)
  t.true(future.cancelled())
  t.true(future.done())
  const error = await t.throwsAsync(future)
  t.true(error instanceof CancelledError)
  t.is((error as CancelledError).cause, reason)
  release.open()
  await waitForRest(executor)
  await flush()
  t.false(called)
  t.is(executor.getStats().cancelledTasks, 1)
})

test('aborting a queued kernel through its signal cancels it', async (t) => {
  const { executor, release } = await blocked(t)
  const controller = new AbortController()
  const future = executor.submit(kernels.sleep, [1], { signal: controller.signal })
  controller.abort('because')
  const error = await t.throwsAsync(future)
  t.true(error instanceof CancelledError)
  t.is((error as CancelledError).cause, 'because')
  t.is(executor.getStats().queuedTasks, 0)
  release.open()
})

test('aborting after the task started changes nothing: it completes', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const controller = new AbortController()
  const g = gate()
  const future = executor.submit(
    async () => {
      await g.promise
      return 'completed'
    },
    [],
    { signal: controller.signal },
  )
  await waitUntil(() => future.running(), 'the task to run')
  controller.abort()
  t.false(future.cancelled())
  g.open()
  t.is(await future, 'completed')
})

test('an already-aborted signal makes submit throw CancelledError synchronously and counts as rejected', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const reason = new Error('too late')
  const signal = AbortSignal.abort(reason)
  let called = false
  const error = t.throws(() =>
    executor.submit(
      () => {
        called = true
      },
      [],
      { signal },
    ),
  )
  t.true(error instanceof CancelledError)
  t.is((error as CancelledError).cause, reason)
  t.throws(() => executor.submit(kernels.spin, [1], { signal }), { instanceOf: CancelledError })
  const stats = executor.getStats()
  t.is(stats.rejectedTasks, 2)
  t.is(stats.submittedTasks, 0)
  t.is(await executor.submit(() => 'still works'), 'still works')
  await flush()
  t.false(called)
})
