/**
 * Kernel plugins: `registerKernels(path)` with the example plugin (scale, fnv1a, busy), the
 * test plugin (panics) and broken variants of a C plugin; the handles in submit, map, imap,
 * priorities, time limits and cancellation; and a `PluginError` for each bad library.
 */
import { copyFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

import test from 'ava'
import fc from 'fast-check'

import {
  CancelledError,
  ExecutorError,
  getKernel,
  Kernel,
  KernelError,
  KernelPanicError,
  listKernels,
  PluginError,
  registerKernels,
  TaskPriority,
  TimeoutError,
} from '../index.js'
import { platformSuffix } from '../lib/addon.js'
import { describeRun, PACKAGE_ROOT, runNode, runScripts, setup, waitUntil } from './helpers.js'
import { compileC, EXAMPLE_PLUGIN, libraryFile, scratchDir, TEST_PLUGIN } from './plugin-fixtures.js'

interface Example {
  readonly scale: Kernel<[data: Float64Array, factor: number], Float64Array>
  readonly fnv1a: Kernel<[bytes: Uint8Array], number>
  readonly busy: Kernel<[ms: number], number>
}

interface Fixture {
  readonly 'fixture.panic': Kernel<[message: string], never>
  readonly 'fixture.panicInHalf': Kernel<[message: string], never>
}

/** JS twin of the example's `fnv1a`: 32-bit FNV-1a, offset 2166136261, prime 16777619. */
function fnv1aTwin(bytes: Uint8Array): number {
  let hash = 2166136261
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 16777619) >>> 0
  return hash
}

test('registerKernels returns a handle per kernel of the plugin, with its declared parameters', (t) => {
  const example = registerKernels<Example>(EXAMPLE_PLUGIN)
  t.deepEqual(Object.keys(example).sort(), ['busy', 'fnv1a', 'scale'])
  t.true(example.scale instanceof Kernel)
  t.deepEqual(example.scale.params, ['Float64Array', 'number'])
  t.deepEqual(example.fnv1a.params, ['Uint8Array'])
  t.deepEqual(example.busy.params, ['number'])
  t.is(example.scale.required, 2)
  t.is(getKernel('scale'), example.scale)
  t.true(listKernels().includes(example.busy))
  t.true(Object.isFrozen(example))
})

test('the same file registered again, by the same or another path, gives the same handles', (t) => {
  const first = registerKernels<Example>(EXAMPLE_PLUGIN)
  const again = registerKernels<Example>(EXAMPLE_PLUGIN)
  const relativePath = relative(process.cwd(), EXAMPLE_PLUGIN)
  const byRelativePath = registerKernels<Example>(relativePath.startsWith('.') ? relativePath : `./${relativePath}`)
  t.is(again, first)
  t.is(byRelativePath.scale, first.scale)
})

test('scale and fnv1a give their JS twins results on random inputs', async (t) => {
  const { scale, fnv1a } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 2 })
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.double({ noNaN: false }), { maxLength: 300 }),
      fc.double({ noDefaultInfinity: true, noNaN: true }),
      async (values, factor) => {
        const data = Float64Array.from(values)
        const expected = data.map((x) => x * factor)
        const got = await executor.submit(scale, [data, factor])
        return got instanceof Float64Array && got.length === expected.length && got.every((y, i) => Object.is(y, expected[i]))
      },
    ),
    { numRuns: 200 },
  )
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 500 }), async (bytes) => (await executor.submit(fnv1a, [bytes])) === fnv1aTwin(bytes)),
    { numRuns: 200 },
  )
  // Known values, and an array long enough for scale to split over both workers.
  t.is(await executor.submit(fnv1a, [new Uint8Array()]), 2166136261)
  t.is(await executor.submit(fnv1a, [Buffer.from('foobar')]), 0xbf9cf968)
  const long = Float64Array.from({ length: 1_000_003 }, (_, i) => i)
  const scaled = await executor.submit(scale, [long, -0.5])
  t.true(scaled.every((y, i) => y === i * -0.5))
})

test('map and imap run plugin kernels like built-in ones', async (t) => {
  const { scale, fnv1a } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 2 })
  const words = ['', 'a', 'foobar', 'ferris'].map((w) => Buffer.from(w))
  t.deepEqual(await executor.map(fnv1a, words, { chunkSize: 2 }), words.map(fnv1aTwin))
  const items: [Float64Array, number][] = [1, 2, 3].map((f) => [Float64Array.of(1, -2), f])
  const scaled: number[][] = []
  for await (const out of executor.imap(scale, items)) scaled.push([...out])
  t.deepEqual(scaled, [[1, -2], [2, -4], [3, -6]])
})

test('priorities order queued plugin kernels', async (t) => {
  const { fnv1a } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const held = gate()
  const blocker = executor.submit(() => held.promise)
  // Queued only once the blocker holds the slot: submitted with it, HIGH could start first.
  await waitUntil(() => blocker.running(), 'the blocking task to run')
  const order: string[] = []
  const low = executor.submit(fnv1a, [Buffer.from('low')], { priority: TaskPriority.LOW }).then(() => order.push('low'))
  const high = executor.submit(fnv1a, [Buffer.from('high')], { priority: TaskPriority.HIGH }).then(() => order.push('high'))
  held.open()
  await Promise.all([blocker, low, high])
  t.deepEqual(order, ['high', 'low'])
})

test('arguments are checked at submission against the declared parameter kinds', (t) => {
  const { scale, busy } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 1 })
  const bad = scale as unknown as Kernel<unknown[], unknown>
  t.throws(() => executor.submit(bad, ['not an array', 2]), { instanceOf: TypeError, message: /scale: argument 1 must be a Float64Array/ })
  t.throws(() => executor.submit(bad, [new Float64Array(1)]), { instanceOf: TypeError, message: /scale takes 2 argument/ })
  t.throws(() => executor.submit(busy, [Number.NaN]), { instanceOf: RangeError, message: /busy: argument 1 must be finite/ })
})

test('a kernel error of a plugin rejects with KernelError', async (t) => {
  const { busy } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 1 })
  const error = await t.throwsAsync(executor.submit(busy, [-1]))
  t.true(error instanceof KernelError && !(error instanceof KernelPanicError), String(error))
  t.is((error as KernelError).kernel, 'busy')
  t.regex(error!.message, /ms must be >= 0/)
})

test('a panic in a plugin kernel, or in a half it forked, rejects with KernelPanicError and the worker lives on', async (t) => {
  const fixture = registerKernels<Fixture>(TEST_PLUGIN)
  const { scale } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 1 })
  for (const kernel of [fixture['fixture.panic'], fixture['fixture.panicInHalf']]) {
    const error = await t.throwsAsync(executor.submit(kernel, ['across the boundary']))
    t.true(error instanceof KernelPanicError, `${kernel.name}: ${String(error)}`)
    t.is((error as KernelPanicError).code, 'ERR_KERNEL_PANIC')
    t.regex(error!.message, /panicked: across the boundary/)
  }
  t.deepEqual([...(await executor.submit(scale, [Float64Array.of(2), 3]))], [6])
})

test("a plugin kernel's caught panic prints nothing: its message and location are in the KernelPanicError", async (t) => {
  const run = await runScripts(
    {
      'main.mjs': `
import { Executor, registerKernels } from {{PACKAGE}}
const fixture = registerKernels(${JSON.stringify(TEST_PLUGIN)})
const executor = new Executor({ maxWorkers: 2 })
for (const name of ['fixture.panic', 'fixture.panicInHalf']) {
  console.log(await executor.submit(fixture[name], ['inside']).catch((e) => e.message))
}
await executor.shutdown()
`,
    },
    'main.mjs',
  )
  t.is(run.code, 0, describeRun(run))
  const [panic, half] = run.stdout.trim().split('\n')
  t.regex(panic ?? '', /^fixture\.panic: panicked: inside \(at crates\/test-plugin\/src\/lib\.rs:\d+:\d+\)$/, describeRun(run))
  t.regex(half ?? '', /^fixture\.panicInHalf: panicked: inside \(at crates\/test-plugin\/src\/lib\.rs:\d+:\d+\)$/, describeRun(run))
  t.is(run.stderr, '', describeRun(run))
})

test('busy stops when its time limit runs out and rejects with TimeoutError', async (t) => {
  const { busy } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor } = setup(t, { maxWorkers: 1 })
  // A day of spinning: only the cancellation flag ends it within the spec's time.
  const error = await t.throwsAsync(executor.submit(busy, [86_400_000], { timeout: 50 }))
  t.true(error instanceof TimeoutError, String(error))
  // The worker is free again: a short busy runs and reports how long it ran.
  t.true((await executor.submit(busy, [1])) >= 1)
})

test('a queued busy is cancelled by cancel() and by its AbortSignal, and never runs', async (t) => {
  const { busy } = registerKernels<Example>(EXAMPLE_PLUGIN)
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const held = gate()
  const blocker = executor.submit(() => held.promise)
  await waitUntil(() => blocker.running(), 'the blocking task to run')
  const byCancel = executor.submit(busy, [86_400_000])
  const controller = new AbortController()
  const bySignal = executor.submit(busy, [86_400_000], { signal: controller.signal })
  t.true(byCancel.cancel())
  controller.abort('no longer needed')
  held.open()
  await blocker
  t.true((await t.throwsAsync(byCancel)) instanceof CancelledError)
  const aborted = await t.throwsAsync(bySignal)
  t.true(aborted instanceof CancelledError)
  t.is((aborted as CancelledError).cause, 'no longer needed')
  t.is(executor.getStats().cancelledTasks, 2)
})

test('terminating a worker thread stops the busy it runs', async (t) => {
  const worker = `
    import { parentPort } from 'node:worker_threads'
    import { Executor, registerKernels } from {{PACKAGE}}
    const { busy } = registerKernels(${JSON.stringify(EXAMPLE_PLUGIN)})
    const executor = new Executor({ maxWorkers: 1 })
    const future = executor.submit(busy, [86400000])
    while (!future.running()) await new Promise((r) => setTimeout(r, 5))
    parentPort.postMessage('running')
    await future
    parentPort.postMessage('busy returned: the worker was not terminated')
  `
  const main = `
    import { Worker } from 'node:worker_threads'
    const w = new Worker(new URL('./worker.mjs', import.meta.url))
    console.log(await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject) }))
    w.on('message', (m) => console.log('UNEXPECTED ' + m))
    console.log('terminated ' + await w.terminate())
  `
  // terminate() joins the pool's threads: it returns only if busy saw the cancellation flag.
  const run = await runScripts({ 'main.mjs': main, 'worker.mjs': worker }, 'main.mjs', 60_000)
  t.false(run.timedOut, describeRun(run))
  t.is(run.code, 0, describeRun(run))
  t.is(run.stdout, 'running\nterminated 1\n', describeRun(run))
})

/** Asserts that registering `path` throws a PluginError naming the path, with `reason`. */
function refused(t: import('ava').ExecutionContext, path: string, reason: RegExp): void {
  const error = t.throws(() => registerKernels(path), { instanceOf: PluginError })
  t.true(error instanceof ExecutorError)
  t.is(error?.code, 'ERR_FERRIS_PLUGIN')
  t.is(error?.path, path)
  t.true(error?.message.includes(path), error?.message)
  t.regex(error?.message ?? '', reason)
  t.true(error?.cause instanceof Error, 'the native error is kept as cause')
}

test('a missing file throws PluginError', (t) => {
  refused(t, join(scratchDir(), libraryFile('no-such-plugin')), /no such file/)
})

test('a file that is not a shared library throws PluginError', (t) => {
  const path = join(scratchDir(), libraryFile('not-a-library'))
  writeFileSync(path, 'just text')
  refused(t, path, /not a loadable shared library/)
})

test('a shared library without the entry point throws PluginError', (t) => {
  // The addon itself: a loadable library, but not a kernel plugin.
  const addon = join(PACKAGE_ROOT, `ferris-executor.${platformSuffix()}.node`)
  refused(t, addon, /does not export ferris_kernel_abi_version/)
})

test('a plugin built for another ABI version throws PluginError before its table is read', (t) => {
  const path = compileC('wrong-version', ['WRONG_VERSION', 'UNKNOWN_PARAM', 'PREFIX="v2."'])
  refused(t, path, /built for kernel ABI version 2, this ferris-executor supports version 1/)
  t.is(getKernel('v2.add'), undefined)
})

test('a kernel name that is already registered throws PluginError', (t) => {
  registerKernels(EXAMPLE_PLUGIN)
  const copy = join(scratchDir(), libraryFile('copy-of-example'))
  copyFileSync(EXAMPLE_PLUGIN, copy)
  refused(t, copy, /a kernel named "scale" is already registered/)
})

test('a parameter kind the host does not know throws PluginError and registers nothing', (t) => {
  const path = compileC('unknown-param', ['UNKNOWN_PARAM', 'PREFIX="unknown."'])
  refused(t, path, /kernel "unknown.add" declares parameter 2 of kind 99, which this host does not know/)
  t.is(getKernel('unknown.sum'), undefined)
})

test('a path that is not a string throws TypeError', (t) => {
  t.throws(() => registerKernels(42 as unknown as string), { instanceOf: TypeError })
})

test('examples/kernel-plugin/main runs to completion', async (t) => {
  const run = await runNode([join(PACKAGE_ROOT, 'examples', 'kernel-plugin', 'main.js')], 60_000, PACKAGE_ROOT)
  t.is(run.code, 0, describeRun(run))
  t.is(run.stderr, '', describeRun(run))
  t.regex(run.stdout, /^scale: 1000000 doubles, first 0 -1\.5 -3, agrees with JS: true$/m, describeRun(run))
  t.regex(run.stdout, /^fnv1a\("hello"\) = 1335831723 \(0x4f9f2cab\)$/m, describeRun(run))
  t.regex(run.stdout, /^busy\(10000\) with timeout 50: TimeoutError$/m, describeRun(run))
})
