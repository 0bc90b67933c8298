/**
 * The last resorts: `destroy()` and `shutdown({ timeout })`. Queued tasks are cancelled;
 * running ones of every kind (a worker task in an endless loop, a kernel, a main-thread
 * function that never settles) reject with `ExecutorShutdownError`; every thread is gone when
 * the promise resolves, and a process that did it exits on its own.
 */
import test from 'ava'

import { CancelledError, Executor, ExecutorShutdownError, kernels, workerTask } from '../index.js'
import { describeRun, runScript, waitUntil } from './helpers.js'
import { HOLD_MS, setupWorkers, waitForFlag, waitOnGate } from './worker-helpers.js'

const endless = workerTask(() => {
  for (;;);
})

/**
 * Resolves with `promise`, or rejects once `ms` have passed: a hang fails the test instead of
 * holding it until ava's timeout.
 */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Every kind of running task at once, plus queued ones; resolves once all are running. */
async function fill(executor: Executor, flags: Int32Array) {
  const worker = executor.submit(workerTask((f: Int32Array) => {
    Atomics.store(f, 0, 1)
    for (;;);
  }), [flags])
  const kernel = executor.submit(kernels.sleep, [10 * HOLD_MS])
  const mainThread = executor.submit(() => new Promise<never>(() => {}))
  await waitForFlag(flags, 0, 1, 'the worker task to run')
  await waitUntil(() => kernel.running() && mainThread.running(), 'the kernel and the main-thread task to run')
  // maxWorkers: 3 slots, all taken: these wait.
  const queued = [executor.submit(kernels.spin, [1]), executor.submit(() => 1), executor.submit(endless, [])]
  return { running: [worker, kernel, mainThread], queued }
}

test('destroy() cancels the queued tasks, stops the running ones of every kind with ExecutorShutdownError, and ends every thread', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 3, jsWorkers: 2 })
  const { running, queued } = await fill(executor, gates.flags)
  const exits: number[] = []
  executor.on('workerExit', (id) => exits.push(id))
  await executor.destroy()
  for (const future of running) {
    const error = await future.exception()
    t.true(error instanceof ExecutorShutdownError, String(error))
    t.is((error as ExecutorShutdownError).code, 'ERR_EXECUTOR_SHUTDOWN')
  }
  for (const future of queued) {
    t.true(future.cancelled())
    await t.throwsAsync(future, { instanceOf: CancelledError })
  }
  const stats = executor.getStats()
  t.like(stats, { submittedTasks: 6, failedTasks: 3, cancelledTasks: 3, completedTasks: 0 })
  t.is(stats.workers.alive, 0, 'a worker thread outlived destroy()')
  t.true(exits.length >= 1)
  t.throws(() => executor.submit(() => 1), { instanceOf: ExecutorShutdownError })
  await executor.destroy() // again: harmless
  await executor.shutdown()
})

test('shutdown({ timeout }) lets work that ends in time finish, and destroys what still runs past it', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  const finishing = executor.submit(waitOnGate, [gates.flags, 1, 2, HOLD_MS])
  const stuck = executor.submit(endless, [])
  await waitForFlag(gates.flags, 1, 1, 'the gated task to start')
  let resolved = false
  const shutdown = executor.shutdown({ timeout: 300 }).then(() => (resolved = true))
  gates.open(2)
  t.true(await finishing, 'the task that finished in time lost its result')
  await shutdown
  t.true(resolved)
  t.true((await stuck.exception()) instanceof ExecutorShutdownError)
  t.is(executor.getStats().workers.alive, 0)
})

test('shutdown({ timeout }) with nothing running resolves without destroying; a bad timeout is refused', async (t) => {
  const executor = new Executor({ maxWorkers: 1 })
  t.is(await executor.submit(() => 7), 7)
  await t.throwsAsync(executor.shutdown({ timeout: -1 }), { instanceOf: RangeError })
  await executor.shutdown({ timeout: 10 * HOLD_MS }) // would hold the test for its length if the timer stayed
  t.like(executor.getStats(), { completedTasks: 1, failedTasks: 0 })
})

test('destroy() while shutdown() waits: the waiting shutdown resolves too', async (t) => {
  // destroy() lands within milliseconds of the worker's start of its task: a terminate()
  // request then could be lost on Node 20 (the worker ran on, and this test hung about once
  // in 20 runs under load). Bounded, so that a worker that never exits fails the test; no
  // `setupWorkers`, whose teardown would wait for that worker.
  const executor = new Executor({ maxWorkers: 1, jsWorkers: 1 })
  const stuck = executor.submit(endless, [])
  await waitUntil(() => stuck.running(), 'the task to run')
  const shutdown = executor.shutdown()
  await within(executor.destroy(), HOLD_MS, 'destroy()')
  await within(shutdown, HOLD_MS, 'the waiting shutdown()')
  t.true((await stuck.exception()) instanceof ExecutorShutdownError)
  t.is(executor.getStats().workers.alive, 0)
})

for (const [how, end] of [
  ['destroy()', 'await executor.destroy()'],
  ['shutdown({ timeout })', 'await executor.shutdown({ timeout: 100 })'],
] as const) {
  test(`after ${how} with a for (;;) worker task running, the process exits on its own`, async (t) => {
    const result = await runScript(
      `
      import { Executor, workerTask, kernels } from {{PACKAGE}}
      const executor = new Executor({ maxWorkers: 3, jsWorkers: 2 })
      const flags = new Int32Array(new SharedArrayBuffer(4))
      const stuck = executor.submit(workerTask((f) => { Atomics.store(f, 0, 1); for (;;); }), [flags])
      const kernel = executor.submit(kernels.sleep, [1e9])
      stuck.catch((e) => console.log('worker task: ' + e.code))
      kernel.catch((e) => console.log('kernel: ' + e.code))
      while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1))
      ${end}
      console.log('ENDED')
    `,
      30_000,
    )
    t.false(result.timedOut, `the process did not exit\n${describeRun(result)}`)
    t.is(result.code, 0, describeRun(result))
    t.regex(result.stdout, /worker task: ERR_EXECUTOR_SHUTDOWN/)
    t.regex(result.stdout, /kernel: ERR_EXECUTOR_SHUTDOWN/)
    t.regex(result.stdout, /ENDED/)
  })
}

test('shutdown({ timeout }) after the executor is gone holds nothing: the process exits without waiting for the deadline', async (t) => {
  const result = await runScript(`
    import { Executor } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 1 })
    await executor.submit(() => 1)
    await executor.shutdown()
    await executor.shutdown({ timeout: 600_000 })
    console.log('ENDED')
  `)
  t.false(result.timedOut, `the deadline held the process\n${describeRun(result)}`)
  t.is(result.code, 0, describeRun(result))
  t.regex(result.stdout, /ENDED/)
})
