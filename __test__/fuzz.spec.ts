/**
 * Bad input, tried systematically: fast-check properties over the public surface. Every call
 * either succeeds or fails with a documented error class (TypeError, RangeError, an
 * ExecutorError subclass, or the very value a user callback threw); nothing crashes or hangs;
 * and one shared executor keeps working correctly after each property. Valid kernel inputs
 * (including subarray views at an offset) must give the right answer, not just any answer.
 */
import test, { type ExecutionContext } from 'ava'
import fc from 'fast-check'

import {
  Executor,
  ExecutorError,
  FifoScheduler,
  Future,
  TaskPriority,
  WorkStealingScheduler,
  kernels,
  listKernels,
  getKernel,
  type Kernel,
} from '../index.js'
import { spinTwin, waitForRest } from './helpers.js'

/** What a callback of ours throws: recognisable, and deliberately not an Error. */
const THROWN = Symbol('thrown by a fuzzed callback')

/** Documented failures of the executor itself. */
function documented(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ExecutorError
}

/** Fails the property if `promise` does not settle in `ms`: a hang, not a slow machine (generous). */
async function settles<T>(promise: PromiseLike<T>, what: string, ms = 20_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return { ok: true, value: await Promise.race([promise, hang]) }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hang:')) throw error
    return { ok: false, error }
  } finally {
    clearTimeout(timer)
  }
}

/** Numbers that break naive checks. */
const oddNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.integer({ min: -10, max: 100 }),
  fc.double(),
)

/** Any kind of JS value a caller might pass by mistake. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddNumber,
  fc.constantFrom(undefined, null, true, false, '', '1', 'HIGH', 10n, Symbol('s'), () => 1, [], {}, new Date(0), /re/),
  fc.string({ maxLength: 8 }),
  fc.array(oddNumber, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), oddNumber, { maxKeys: 3 }),
)

function detachedFloat64Array(): Float64Array {
  const buffer = new ArrayBuffer(64)
  const view = new Float64Array(buffer)
  structuredClone(buffer, { transfer: [buffer] })
  return view
}

/** Float64Arrays of every layout (with their expected sum of squares), and the wrong kinds of arrays. */
const float64Input = fc
  .record({
    values: fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 40 }),
    offset: fc.nat(5),
    shared: fc.boolean(),
  })
  .map(({ values, offset, shared }) => {
    const length = values.length + offset + 2
    const buffer = shared ? new SharedArrayBuffer(8 * length) : new ArrayBuffer(8 * length)
    const whole = new Float64Array(buffer)
    whole.fill(1e9) // outside the view: must not be read
    const view = whole.subarray(offset, offset + values.length)
    view.set(values)
    return { arg: view as unknown, expected: values.reduce((sum, x) => sum + x * x, 0) }
  })
/** Uint8Arrays and Buffers, shared or not, at offsets. */
const bytesInput = fc
  .record({ bytes: fc.uint8Array({ maxLength: 64 }), offset: fc.nat(5), kind: fc.constantFrom('plain', 'shared', 'Buffer') })
  .map(({ bytes, offset, kind }) => {
    const length = bytes.length + offset
    const whole = kind === 'shared' ? new Uint8Array(new SharedArrayBuffer(length)) : kind === 'Buffer' ? Buffer.alloc(length) : new Uint8Array(length)
    const view = whole.subarray(offset)
    view.set(bytes)
    return { arg: view as unknown }
  })
const wrongArray = fc.constantFrom<() => unknown>(
  () => new Float32Array([1, 2]),
  () => new Int32Array([1, 2]),
  () => new Uint8Array(3),
  () => new BigInt64Array(2),
  () => new DataView(new ArrayBuffer(8)),
  () => new ArrayBuffer(16),
  () => [1, 2, 3],
  () => detachedFloat64Array(),
  () => new Float64Array(0),
).map((make) => ({ arg: make(), expected: undefined as number | undefined }))

/** One argument for a parameter of `kind`: often valid, often not. */
function kernelArg(kind: string): fc.Arbitrary<{ arg: unknown; expected?: number }> {
  const odd = oddValue.map((arg) => ({ arg, expected: undefined as number | undefined }))
  switch (kind) {
    case 'count':
      return fc.oneof(fc.nat(2000).map((arg) => ({ arg })), oddNumber.map((arg) => ({ arg })), odd)
    case 'number':
      return fc.oneof(fc.double().map((arg) => ({ arg })), odd)
    case 'Float64Array':
      return fc.oneof({ arbitrary: float64Input, weight: 4 }, { arbitrary: wrongArray, weight: 2 }, { arbitrary: odd, weight: 1 })
    case 'Uint8Array':
      return fc.oneof({ arbitrary: bytesInput, weight: 4 }, { arbitrary: wrongArray, weight: 2 }, { arbitrary: odd, weight: 1 })
    default:
      return fc.oneof(fc.string({ maxLength: 10 }).map((arg) => ({ arg })), odd)
  }
}

/** A kernel call: the kernel, its arguments (sometimes too few or too many), and the expected sum for sumOfSquares. */
const kernelCall = fc
  // sumOfSquares often, so that many valid calls are checked against their JS result.
  .oneof({ arbitrary: fc.constant('sumOfSquares'), weight: 4 }, { arbitrary: fc.constantFrom(...listKernels().map((k) => k.name)), weight: 10 })
  .chain((name) => {
    const kernel = getKernel(name)!
    const params = fc.tuple(...kernel.params.map((p) => kernelArg(p)))
    const arity = fc.constantFrom('exact', 'exact', 'exact', 'fewer', 'more')
    return fc.tuple(fc.constant(kernel), params, arity)
  })
  .map(([kernel, params, arity]) => {
    let args = params.map((p) => p.arg)
    if (arity === 'fewer') args = args.slice(0, -1)
    if (arity === 'more') args = [...args, 1]
    const expected = arity === 'exact' && kernel.name === 'sumOfSquares' ? params[0]?.expected : undefined
    const label = `${kernel.name}(${args.map(describe).join(', ')})`
    // fast-check prints counterexamples through this (its own printer trips over detached buffers).
    return { kernel, args, expected, label, [fc.toStringMethod]: () => label }
  })

function describe(value: unknown): string {
  if (ArrayBuffer.isView(value)) {
    const detached = value.buffer.byteLength === 0 && !(value.buffer instanceof SharedArrayBuffer)
    return `${value.constructor.name}(${detached ? 'detached' : `length ${value.byteLength}, offset ${value.byteOffset}`})`
  }
  try {
    return typeof value === 'symbol' ? value.toString() : typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** JS callbacks of every awkward kind; `thrown` says whether their failure is THROWN. */
const callback = fc.constantFrom<{ name: string; fn: (...args: unknown[]) => unknown }>(
  { name: 'returns a value', fn: (...a) => a.length },
  { name: 'returns undefined', fn: () => undefined },
  { name: 'throws', fn: () => { throw THROWN } },
  { name: 'throws an Error', fn: () => { throw Object.assign(new Error('mine'), { mark: THROWN }) } },
  { name: 'async resolves', fn: async () => 1 },
  { name: 'async rejects', fn: async () => { throw THROWN } },
  { name: 'rejected thenable', fn: () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(THROWN) }) },
  { name: 'thenable that throws', fn: () => ({ then: () => { throw THROWN } }) },
  { name: 'promise of a promise', fn: () => Promise.resolve(Promise.resolve(2)) },
  { name: 'resolves with a thenable', fn: () => Promise.resolve({ then: (ok: (v: unknown) => void) => ok(3) }) },
  { name: 'returns a promise-like non-promise', fn: () => ({ then: 5 }) },
  { name: 'slow', fn: () => new Promise((r) => setTimeout(r, 2, 'slow')) },
)

/** The rejection a fuzzed callback may cause by itself. */
function ownFailure(error: unknown): boolean {
  return error === THROWN || (error instanceof Error && (error as Error & { mark?: unknown }).mark === THROWN)
}

const signal = fc.constantFrom<() => unknown>(
  () => undefined,
  () => new AbortController().signal,
  () => AbortSignal.abort(new Error('already')),
  () => AbortSignal.timeout(1),
  () => ({ aborted: false }),
  () => 'signal',
)
const priority = fc.oneof(fc.constantFrom(undefined, TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.LOW), oddValue)
const timeout = fc.oneof(fc.constantFrom(undefined, 0, 1, 5, 1000, Infinity, 2 ** 31 + 5), oddNumber, oddValue)
const submitOptions = fc.oneof(
  fc.record({ priority, signal, timeout }, { requiredKeys: [] }).map(({ signal: s, ...rest }) => ({ ...rest, ...(s ? { signal: s() } : {}) })),
  oddValue,
)

let cases = 0
/** sumOfSquares calls over valid views whose result was compared with the JS sum. */
let sumsChecked = 0
const executor = new Executor({ maxWorkers: 2, queueCapacity: 256 })

/** The shared executor still computes correctly and its counts add up at rest. */
async function stillWorks(t: ExecutionContext): Promise<void> {
  t.is(await executor.submit(kernels.spin, [10]), spinTwin(10))
  t.is(await executor.submit(async (x: number) => x * 2, [21]), 42)
  t.deepEqual(await executor.map(kernels.spin, [1, 2]), [spinTwin(1), spinTwin(2)])
  await waitForRest(executor, 30_000)
  const s = executor.getStats()
  t.is(s.submittedTasks, s.completedTasks + s.failedTasks + s.cancelledTasks)
}

/** Runs a property, counting its cases; a counterexample fails the test with fast-check's report. */
async function check<T>(t: ExecutionContext, arbitrary: fc.Arbitrary<T>, body: (value: T) => Promise<boolean | void>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      cases++
      return body(value)
    }),
    { numRuns },
  )
  t.pass()
}

test.after.always(async () => {
  await executor.shutdown({ cancelPending: true })
})

test.serial('constructor options: a working executor or a TypeError/RangeError', async (t) => {
  const options = fc.oneof(
    fc.record(
      {
        maxWorkers: fc.oneof(fc.integer({ min: -2, max: 6 }), oddValue),
        queueCapacity: fc.oneof(fc.integer({ min: -2, max: 100 }), oddValue),
        threadStackSize: fc.oneof(fc.constantFrom(65_536, 1 << 20, 1 << 30, (1 << 30) + 1, 1000), oddValue),
        scheduler: fc.oneof(fc.constantFrom<() => unknown>(() => new WorkStealingScheduler(), () => new FifoScheduler()).map((f) => f()), oddValue),
        agingMs: fc.oneof(fc.constantFrom(0, 1, 1000, 1e300), oddValue),
        unknownOption: oddValue,
      },
      { requiredKeys: [] },
    ),
    oddValue,
  )
  await check(t, options, async (opts) => {
    let created: Executor
    try {
      created = new Executor(opts as never)
    } catch (error) {
      return documented(error) && !(error instanceof ExecutorError)
    }
    const value = await settles(created.submit(kernels.spin, [3]), 'a task on a fuzzed executor')
    await created.shutdown()
    return value.ok && value.value === spinTwin(3)
  }, 150)
  await stillWorks(t)
})

test.serial('submit with kernels: arguments of every wrong kind, views at offsets, detached and empty buffers', async (t) => {
  await check(t, fc.tuple(kernelCall, fc.boolean()), async ([{ kernel, args, expected, label }, bounded]) => {
    let future: Future<unknown>
    try {
      // A limit keeps valid but huge counts (spin(2^53), sleep(1e9)) from running for ever.
      future = executor.submit(kernel as Kernel<unknown[], unknown>, args, bounded ? { timeout: 20 } : { timeout: 2000 })
    } catch (error) {
      return documented(error)
    }
    const outcome = await settles(future, label)
    if (!outcome.ok) return documented(outcome.error) && !(outcome.error instanceof TypeError && expected !== undefined)
    if (expected !== undefined) {
      sumsChecked++
      return Math.abs((outcome.value as number) - expected) <= 1e-9 * Math.max(1, expected)
    }
    return true
  }, 400)
  t.log(`sumOfSquares results checked against JS: ${sumsChecked}`)
  t.true(sumsChecked >= 10, 'valid views were generated')
  await stillWorks(t)
})

test.serial('submit with JS callbacks of every kind, arguments and option objects', async (t) => {
  const call = fc.tuple(fc.oneof(callback.map((c) => c.fn as unknown), oddValue), fc.oneof(fc.array(oddValue, { maxLength: 3 }), oddValue), fc.oneof(fc.constant(undefined), submitOptions))
  await check(t, call, async ([fn, args, options]) => {
    let future: Future<unknown>
    try {
      future = executor.submit(fn as () => unknown, args as [], options as never)
    } catch (error) {
      return documented(error)
    }
    const outcome = await settles(future, 'a fuzzed JS task')
    return outcome.ok || ownFailure(outcome.error) || documented(outcome.error)
  }, 500)
  await stillWorks(t)
})

test.serial('map and imap: functions, kernels, iterables and options of every kind', async (t) => {
  const source = fc.constantFrom<{ name: string; make: () => unknown }>(
    { name: 'array', make: () => [1, 2, 3, 4, 5] },
    { name: 'empty', make: () => [] },
    { name: 'generator', make: () => (function* () { for (let i = 0; i < 7; i++) yield i })() },
    { name: 'async generator', make: () => (async function* () { for (let i = 0; i < 3; i++) yield i })() },
    { name: 'throwing iterable', make: () => (function* () { yield 1; throw THROWN })() },
    { name: 'Float64Array', make: () => new Float64Array([1, 2, 3]) },
    { name: 'string', make: () => 'abc' },
    { name: 'number', make: () => 5 },
    { name: 'null', make: () => null },
    { name: 'array of arrays', make: () => [[1], ['x'], [new Float64Array(2)]] },
  )
  const mapOptions = fc.oneof(
    fc.record({ chunkSize: fc.oneof(fc.integer({ min: -1, max: 4 }), oddValue), priority, timeout, concurrency: fc.oneof(fc.integer({ min: -1, max: 4 }), oddValue) }, { requiredKeys: [] }),
    oddValue,
  )
  const fnOrKernel = fc.oneof(callback.map((c) => c.fn as unknown), fc.constantFrom<unknown>(kernels.spin, kernels.sumOfSquares, kernels.testing.fail, kernels.testing.panic), oddValue)
  await check(t, fc.tuple(fc.boolean(), fnOrKernel, source, mapOptions), async ([lazy, fn, src, options]) => {
    const iterable = src.make()
    const run = lazy
      ? (async () => {
          const out: unknown[] = []
          for await (const value of executor.imap(fn as never, iterable as never, options as never)) if (out.push(value) >= 20) break
          return out
        })()
      : (async () => executor.map(fn as never, iterable as never, options as never))()
    const outcome = await settles(run, `${lazy ? 'imap' : 'map'} over ${src.name}`)
    return outcome.ok || ownFailure(outcome.error) || documented(outcome.error)
  }, 400)
  await stillWorks(t)
})

test.serial('wait, asCompleted, result, exception and addDoneCallback with odd arguments', async (t) => {
  const futuresArg = fc.oneof(
    fc.array(fc.constantFrom<() => unknown>(() => executor.submit(async () => 1), () => executor.submit(kernels.testing.fail, ['x']), () => 'not a future', () => null), { maxLength: 4 }).map((makers) => makers.map((m) => m())),
    oddValue,
  )
  const waitOptions = fc.oneof(fc.record({ timeout, returnWhen: fc.oneof(fc.constantFrom('ALL_COMPLETED', 'FIRST_COMPLETED', 'FIRST_EXCEPTION'), oddValue) }, { requiredKeys: [] }), oddValue)
  await check(t, fc.tuple(fc.nat(3), futuresArg, waitOptions, oddValue), async ([which, futures, options, odd]) => {
    let run: Promise<unknown>
    try {
      if (which === 0) run = executor.wait(futures as never, options as never)
      else if (which === 1) {
        run = (async () => {
          for await (const f of executor.asCompleted(futures as never, options as never)) void f
        })()
      } else {
        const future = executor.submit(async () => 'v')
        run = which === 2 ? future.result(odd as never) : (future.addDoneCallback(odd as never), future.exception(options as never))
      }
    } catch (error) {
      return documented(error)
    }
    const outcome = await settles(run, 'a wait')
    return outcome.ok || documented(outcome.error)
  }, 300)
  await stillWorks(t)
  t.log(`fast-check cases run in this file: ${cases}`)
})
