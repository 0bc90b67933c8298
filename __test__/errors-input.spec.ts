/** Errors of tasks (JS, kernel failures, panics), input validation of submit, and unawaited failures. */
import test, { type ExecutionContext } from 'ava'

import {
  CancelledError,
  Executor,
  ExecutorError,
  ExecutorShutdownError,
  KernelError,
  KernelPanicError,
  QueueFullError,
  TimeoutError,
  kernels,
  type Kernel,
} from '../index.js'
import { describeRun, runScript, setup, spinTwin } from './helpers.js'

class MyErr extends Error {
  extra = 42
  override name = 'MyErr'
}

test('a throwing JS task rejects with the very same error object (class and fields kept)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const thrown = new MyErr('sync boom')
  const error = await t.throwsAsync(
    executor.submit(() => {
      throw thrown
    }),
  )
  t.is(error, thrown)
  t.true(error instanceof MyErr)
  t.is((error as MyErr).extra, 42)
})

test('a rejecting async JS task rejects with the very same error object', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const thrown = new MyErr('async boom')
  const future = executor.submit(async () => {
    await Promise.resolve()
    throw thrown
  })
  const error = await t.throwsAsync(future)
  t.is(error, thrown)
  t.is(await future.exception(), thrown)
})

test('a JS task throwing a non-Error value rejects with that value', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => {
    throw 'a string'
  })
  t.is(await future.then(() => 'fulfilled', (e: unknown) => e), 'a string')
  const frozen = Object.freeze({ code: 7 })
  t.is(await executor.submit(() => Promise.reject(frozen)).then(() => 'fulfilled', (e: unknown) => e), frozen)
})

test('a kernel failure rejects with KernelError (ERR_KERNEL, kernel name, message)', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const error = await t.throwsAsync(executor.submit(kernels.testing.fail, ['the disk is on fire']))
  t.true(error instanceof KernelError)
  t.true(error instanceof ExecutorError)
  t.false(error instanceof KernelPanicError)
  const kernelError = error as KernelError
  t.is(kernelError.code, 'ERR_KERNEL')
  t.is(kernelError.kernel, 'testing.fail')
  t.true(kernelError.message.includes('the disk is on fire'), kernelError.message)
  t.is(await executor.submit(kernels.spin, [5]), spinTwin(5))
})

test('a kernel panic rejects with KernelPanicError and the single worker lives on', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  for (let round = 0; round < 3; round++) {
    const error = await t.throwsAsync(executor.submit(kernels.testing.panic, [`panic #${round}`]))
    t.true(error instanceof KernelPanicError)
    t.true(error instanceof KernelError)
    const panic = error as KernelPanicError
    t.is(panic.code, 'ERR_KERNEL_PANIC')
    t.is(panic.kernel, 'testing.panic')
    t.true(panic.message.includes(`panic #${round}`), panic.message)
    // the same (only) worker still runs kernels and JS tasks
    t.is(await executor.submit(kernels.spin, [1000]), spinTwin(1000))
    t.is(await executor.submit(() => round), round)
  }
  // several queued after a panic
  const many = [
    executor.submit(kernels.testing.panic, ['again']),
    executor.submit(kernels.spin, [1]),
    executor.submit(kernels.sleep, [1]),
    executor.submit(() => 'js'),
  ]
  const settled = await Promise.allSettled(many)
  t.is(settled[0]!.status, 'rejected')
  t.deepEqual(
    settled.slice(1).map((s) => (s.status === 'fulfilled' ? s.value : 'rejected')),
    [spinTwin(1), null, 'js'],
  )
  const stats = executor.getStats()
  t.is(stats.failedTasks, 4)
  t.is(stats.completedTasks, 9)
})

test('every error class has a stable code, its class name and the ExecutorError base', (t) => {
  const cases: Array<[ExecutorError, string, string]> = [
    [new CancelledError(), 'ERR_CANCELLED', 'CancelledError'],
    [new TimeoutError(), 'ERR_TIMEOUT', 'TimeoutError'],
    [new QueueFullError(3), 'ERR_QUEUE_FULL', 'QueueFullError'],
    [new ExecutorShutdownError(), 'ERR_EXECUTOR_SHUTDOWN', 'ExecutorShutdownError'],
    [new KernelError('k', 'm'), 'ERR_KERNEL', 'KernelError'],
    [new KernelPanicError('k', 'm'), 'ERR_KERNEL_PANIC', 'KernelPanicError'],
  ]
  for (const [error, code, name] of cases) {
    t.true(error instanceof Error)
    t.true(error instanceof ExecutorError)
    t.is(error.code, code)
    t.is(error.name, name)
  }
})

/** Asserts submit throws synchronously (not a rejected future) with the given class, then that the executor still works. */
async function refuses(
  t: ExecutionContext,
  executor: Executor,
  submit: () => unknown,
  expected: typeof TypeError | typeof RangeError,
  label: string,
): Promise<void> {
  let result: unknown
  const error = t.throws(() => {
    result = submit()
  }, undefined, `${label}: submit did not throw synchronously`)
  if (result !== undefined) t.fail(`${label}: submit returned ${String(result)} instead of throwing`)
  if (error !== undefined) t.true(error instanceof expected, `${label}: expected ${expected.name}, got ${error.name}: ${error.message}`)
  t.is(await executor.submit((x: number) => x + 1, [1]), 2, `${label}: the executor stopped working`)
  t.is(await executor.submit(kernels.spin, [0]), spinTwin(0), `${label}: the executor stopped running kernels`)
}

test('submit validates its input synchronously and keeps working after each refusal', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  type Loose = (fn: unknown, args?: unknown, options?: unknown) => unknown
  const submit = executor.submit.bind(executor) as Loose
  await refuses(t, executor, () => submit(() => 1, 'not an array'), TypeError, 'args string')
  await refuses(t, executor, () => submit(() => 1, { 0: 1, length: 1 }), TypeError, 'args array-like')
  await refuses(t, executor, () => submit(() => 1, null), TypeError, 'args null')
  await refuses(t, executor, () => submit(42), TypeError, 'a number as the task')
  await refuses(t, executor, () => submit('spin', [1]), TypeError, 'a kernel name as the task')
  await refuses(t, executor, () => submit({ name: 'spin', params: ['count'], index: 0 }, [1]), TypeError, 'a fake kernel')
  await refuses(t, executor, () => submit(null), TypeError, 'null as the task')
  await refuses(t, executor, () => submit(() => 1, [], { priority: 'urgent' }), RangeError, 'unknown priority')
  await refuses(t, executor, () => submit(() => 1, [], { priority: 'HIGH' }), RangeError, 'priority in the wrong case')
  await refuses(t, executor, () => submit(() => 1, [], { signal: {} }), TypeError, 'a signal that is not an AbortSignal')
  const stats = executor.getStats()
  // only the successful follow-up submissions were accepted
  t.is(stats.submittedTasks, 20)
  t.is(stats.completedTasks, 20)
})

test('submit checks kernel arguments synchronously: types, counts and ranges', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  type Loose = (fn: Kernel, args?: unknown) => unknown
  const submit = executor.submit.bind(executor) as Loose
  await refuses(t, executor, () => submit(kernels.spin, [-1]), RangeError, 'spin(-1)')
  await refuses(t, executor, () => submit(kernels.spin, [1.5]), RangeError, 'spin(1.5)')
  await refuses(t, executor, () => submit(kernels.spin, [Number.NaN]), RangeError, 'spin(NaN)')
  await refuses(t, executor, () => submit(kernels.spin, [2 ** 53]), RangeError, 'spin(2^53)')
  await refuses(t, executor, () => submit(kernels.spin, ['x']), TypeError, "spin('x')")
  await refuses(t, executor, () => submit(kernels.spin, [10n]), TypeError, 'spin(10n)')
  await refuses(t, executor, () => submit(kernels.spin, []), TypeError, 'spin()')
  await refuses(t, executor, () => submit(kernels.spin, [1, 2]), TypeError, 'spin(1, 2)')
  await refuses(t, executor, () => submit(kernels.spin), TypeError, 'spin with args omitted')
  await refuses(t, executor, () => submit(kernels.sleep, [Infinity]), RangeError, 'sleep(Infinity)')
  await refuses(t, executor, () => submit(kernels.sumOfSquares, [[1, 2]]), TypeError, 'sumOfSquares([1, 2])')
  await refuses(t, executor, () => submit(kernels.sumOfSquares, [new Float32Array(2)]), TypeError, 'sumOfSquares(Float32Array)')
  await refuses(t, executor, () => submit(kernels.testing.fail, [1]), TypeError, 'testing.fail(1)')
  t.is(executor.getStats().submittedTasks, 26)
})

test('a failed future nobody awaits does not crash the process (child process)', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 1 })
    const js = executor.submit(() => { throw new Error('never awaited') })
    const asyncJs = executor.submit(async () => { throw new Error('never awaited either') })
    const kernel = executor.submit(kernels.testing.fail, ['kernel failure nobody awaits'])
    const panic = executor.submit(kernels.testing.panic, ['panic nobody awaits'])
    await new Promise((r) => setTimeout(r, 300))
    await executor.submit(kernels.spin, [10])
    await new Promise((r) => setTimeout(r, 100))
    const states = [js, asyncJs, kernel, panic].map((f) => f.done())
    console.log('DONE ' + JSON.stringify(states))
    const errors = await Promise.all([js, asyncJs, kernel, panic].map((f) => f.exception()))
    console.log('ERRORS ' + errors.map((e) => e.constructor.name).join(','))
  `)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes('DONE [true,true,true,true]'), describeRun(result))
  t.true(result.stdout.includes('ERRORS Error,Error,KernelError,KernelPanicError'), describeRun(result))
  t.false(/unhandled/i.test(result.stderr), describeRun(result))
})
