/**
 * What a `Future` shows of itself (issue [room] bug 7): `console.log(future)` gives its state
 * and its value or error, not the executor's bookkeeping; and `failed()` tells a task that
 * rejected with `undefined` from one that succeeded, which `exception()` cannot.
 */
import { inspect } from 'node:util'

import test from 'ava'

import { CancelledError, Executor, Future, kernels } from '../index.js'
import { setup, waitUntil } from './helpers.js'

/** Fields of the executor's task record that once leaked into `console.log(future)`. */
const INTERNALS = ['_id', 'fn', 'args', 'kernel', 'meta', 'timer', 'batched', 'unlisten', 'canceller', 'runner', 'level']

test('util.inspect shows each state, and no internal field', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const running = executor.submit(() => blocker.promise)
  const queued = executor.submit(() => 42)
  const cancelled = executor.submit(() => 'never')
  await waitUntil(() => running.running(), 'the first task to start')
  t.is(inspect(running), 'Future <running>')
  t.is(inspect(queued), 'Future <pending>')
  t.true(cancelled.cancel())
  t.is(inspect(cancelled), 'Future <cancelled>')
  blocker.open()
  await queued
  t.is(inspect(queued), 'Future <fulfilled> 42')
  t.is(inspect(running), 'Future <fulfilled> undefined')
  for (const future of [running, queued, cancelled]) {
    const shown = inspect(future, { depth: Infinity, showHidden: true })
    for (const field of INTERNALS) t.false(new RegExp(`\\b${field}\\b`).test(shown), `${field} in ${shown}`)
  }
})

test('a failed future shows its error, inspected as util.inspect would show it', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const boom = new RangeError('boom')
  const thrown = executor.submit(() => {
    throw boom
  })
  const timedOut = executor.submit(kernels.sleep, [10_000], { timeout: 20 })
  await Promise.allSettled([thrown, timedOut])
  t.is(inspect(thrown), `Future <rejected> ${inspect(boom)}`)
  t.true(inspect(timedOut).startsWith('Future <rejected> TimeoutError: '), inspect(timedOut))
  t.true(inspect(timedOut).includes("code: 'ERR_TIMEOUT'"), inspect(timedOut))
})

test('values are inspected one level deeper, with the caller options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const value = { a: { b: { c: { d: 1 } } }, text: 'x' }
  const future = executor.submit(() => value)
  await future
  t.is(inspect(future), `Future <fulfilled> ${inspect(value, { depth: 1 })}`) // default depth 2, less one
  t.is(inspect(future, { depth: 0 }), 'Future <fulfilled> [Object]')
  t.is(inspect(future, { depth: null }), `Future <fulfilled> ${inspect(value, { depth: null })}`)
  t.is(inspect({ future }, { depth: 0 }), '{ future: [Future] }')
  t.is(inspect(future, { colors: true }), `Future \u001b[36m<fulfilled>\u001b[39m ${inspect(value, { depth: 1, colors: true })}`)
})

test('a Future has no enumerable own property', (t) => {
  t.deepEqual(Object.keys(new Future()), [])
  t.is(JSON.stringify(new Future()), '{}')
})

test('failed() is true once a task rejected or threw, whatever the value, undefined included', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const blocking = executor.submit(() => blocker.promise)
  const rejectsUndefined = executor.submit(() => Promise.reject(undefined))
  const throwsUndefined = executor.submit(() => {
    throw undefined
  })
  const succeeds = executor.submit(() => undefined)
  const kernelFails = executor.submit(kernels.testing.fail, ['no'])
  const cancelled = executor.submit(() => 1)
  t.false(rejectsUndefined.failed(), 'pending is not failed')
  t.true(cancelled.cancel())
  blocker.open()
  await Promise.allSettled([blocking, rejectsUndefined, throwsUndefined, succeeds, kernelFails])
  // exception() cannot tell these three apart ...
  t.is(await rejectsUndefined.exception(), undefined)
  t.is(await throwsUndefined.exception(), undefined)
  t.is(await succeeds.exception(), undefined)
  // ... failed() can.
  t.true(rejectsUndefined.failed())
  t.true(throwsUndefined.failed())
  t.false(succeeds.failed())
  t.true(kernelFails.failed())
  t.false(cancelled.failed(), 'cancelled is not failed')
  t.true((await t.throwsAsync(cancelled.exception())) instanceof CancelledError)
})

test('a submitted future shows no internals either', async (t) => {
  const executor = new Executor({ maxWorkers: 1 })
  t.teardown(() => executor.shutdown())
  const futures = [executor.submit((n: number) => n, [1], { timeout: 1_000 }), executor.submit(kernels.spin, [10])]
  for (const future of futures) {
    t.deepEqual(Object.keys(future), [])
    t.is(JSON.stringify(future), '{}')
  }
  await Promise.all(futures)
})
