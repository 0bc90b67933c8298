/** The native kernels against independent JS twins, and the kernel registry. */
import test from 'ava'

import { Kernel, getKernel, kernels, listKernels } from '../index.js'
import { PACKAGE_URL, delay, describeRun, runScript, setup, spinTwin, waitUntil } from './helpers.js'

test('the JS twin itself: spin(0) is the seed shifted right by 11', (t) => {
  t.is(spinTwin(0), Number(0x9e3779b97f4a7c15n >> 11n))
  // one xorshift64 step from the seed, by hand
  const mask = (1n << 64n) - 1n
  let x = 0x9e3779b97f4a7c15n
  x = (x ^ (x << 13n)) & mask
  x = x ^ (x >> 7n)
  x = (x ^ (x << 17n)) & mask
  t.is(spinTwin(1), Number(x >> 11n))
})

test('kernels.spin(n) equals the BigInt xorshift64 twin for several n', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  // 65 536 is the kernel's cancellation-check period: cover both sides of it
  for (const n of [0, 1, 2, 5, 1000, 65_535, 65_536, 65_537, 200_000]) {
    t.is(await executor.submit(kernels.spin, [n]), spinTwin(n), `spin(${n})`)
  }
})

test('kernels.spin results are safe integers below 2^53', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const values = await executor.map(kernels.spin, [0, 3, 77, 4096])
  for (const v of values) {
    t.true(Number.isSafeInteger(v) && v >= 0 && v < 2 ** 53, String(v))
  }
})

function jsSumOfSquares(data: Float64Array): number {
  let sum = 0
  for (const x of data) sum += x * x
  return sum
}

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE)
}

test('sumOfSquares equals the JS sum on a random Float64Array', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const length of [1, 3, 4, 5, 10_001, 100_003]) {
    const data = new Float64Array(length)
    for (let i = 0; i < length; i++) data[i] = (Math.random() - 0.5) * 2000
    const native = await executor.submit(kernels.sumOfSquares, [data])
    const js = jsSumOfSquares(data)
    t.true(relativeError(native, js) < 1e-12, `length ${length}: native ${native} vs js ${js}`)
  }
  t.is(await executor.submit(kernels.sumOfSquares, [new Float64Array(0)]), 0)
  t.is(await executor.submit(kernels.sumOfSquares, [new Float64Array([3, -4])]), 25)
})

test('sumOfSquares reads a subarray view, with its offset and length, not the whole buffer', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const whole = new Float64Array(10_000)
  for (let i = 0; i < whole.length; i++) whole[i] = Math.random() * 10 + 1
  const views = [
    whole.subarray(3, 1003),
    whole.subarray(1),
    new Float64Array(whole.buffer, 8 * 4097, 17),
    whole.subarray(9_999),
  ]
  for (const view of views) {
    const native = await executor.submit(kernels.sumOfSquares, [view])
    const js = jsSumOfSquares(view)
    t.true(relativeError(native, js) < 1e-12, `view at ${view.byteOffset} (${view.length}): native ${native} vs js ${js}`)
    t.not(native, jsSumOfSquares(whole), 'the kernel read the whole buffer')
  }
})

test('kernels.sleep blocks its thread and returns null', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.is(await executor.submit(kernels.sleep, [0]), null)
  t.is(await executor.submit(kernels.sleep, [10]), null)
})

test('getKernel finds kernels by name and returns undefined for unknown names', (t) => {
  t.is(getKernel('spin'), kernels.spin)
  t.is(getKernel('sleep'), kernels.sleep)
  t.is(getKernel('sumOfSquares'), kernels.sumOfSquares)
  t.is(getKernel('testing.fail'), kernels.testing.fail)
  t.is(getKernel('testing.panic'), kernels.testing.panic)
  t.is(getKernel('nope'), undefined)
  t.is(getKernel(''), undefined)
  t.is(getKernel('SPIN'), undefined)
})

test('listKernels() lists every kernel with its parameters', (t) => {
  const listed = listKernels()
  t.true(listed.every((k) => k instanceof Kernel))
  const byName = new Map(listed.map((k) => [k.name, k]))
  const expected: Array<[Kernel, string, string[]]> = [
    [kernels.spin, 'spin', ['count']],
    [kernels.sleep, 'sleep', ['count']],
    [kernels.sumOfSquares, 'sumOfSquares', ['Float64Array']],
    [kernels.dot, 'dot', ['Float64Array', 'Float64Array']],
    [kernels.matmul, 'matmul', ['Float64Array', 'Float64Array', 'count']],
    [kernels.mandelbrot, 'mandelbrot', ['count', 'count', 'count', 'count', 'count']],
    [kernels.primeCount, 'primeCount', ['count', 'count']],
    [kernels.sort, 'sort', ['Float64Array']],
    [kernels.fib, 'fib', ['count']],
    [kernels.monteCarloPi, 'monteCarloPi', ['count', 'count']],
    [kernels.histogram, 'histogram', ['Float64Array', 'count', 'number', 'number']],
    [kernels.sha256, 'sha256', ['Uint8Array']],
    [kernels.testing.fail, 'testing.fail', ['string']],
    [kernels.testing.panic, 'testing.panic', ['string']],
  ]
  for (const [kernel, name, params] of expected) {
    t.is(byName.get(name), kernel, `${name} is listed as the same object as kernels.${name}`)
    t.is(kernel.name, name)
    t.deepEqual([...kernel.params], params, `${name} params`)
  }
  t.is(new Set(listed.map((k) => k.name)).size, listed.length, 'names are unique')
  t.is(kernels.mandelbrot.required, 3, 'rowStart and rowEnd are optional')
  t.is(kernels.dot.required, 2)
})

test('kernel handles cannot be tampered with (their index selects native code)', (t) => {
  t.true(Object.isFrozen(kernels.spin))
  t.true(Object.isFrozen(kernels.spin.params))
})

test('a Float64Array over a SharedArrayBuffer is read in place; an ordinary one is copied at submission', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const first = executor.submit(() => blocker.promise)
  await waitUntil(() => first.running(), 'the blocker to run')
  const shared = new Float64Array(new SharedArrayBuffer(3 * 8))
  shared.set([1, 2, 3])
  const plain = Float64Array.from([1, 2, 3])
  const inPlace = executor.submit(kernels.sumOfSquares, [shared])
  const copied = executor.submit(kernels.sumOfSquares, [plain])
  await delay(10) // both batched into the pool, queued behind the blocker
  shared[0] = 10
  plain[0] = 10
  blocker.open()
  t.is(await inPlace, 100 + 4 + 9, 'the kernel read the shared memory when it ran')
  t.is(await copied, 1 + 4 + 9, 'the kernel read the values as they were at submission')
})

test('transferring an array buffer away while its kernel is queued does not crash the process', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from ${JSON.stringify(PACKAGE_URL)}
    import { setFlagsFromString } from 'node:v8'
    import { runInNewContext } from 'node:vm'
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc')
    const executor = new Executor({ maxWorkers: 1 })
    const blocker = executor.submit(kernels.sleep, [200])
    const data = Float64Array.from({ length: 1 << 20 }, (_, i) => i % 7)
    const expected = data.reduce((s, x) => s + x * x, 0)
    const future = executor.submit(kernels.sumOfSquares, [data])
    await new Promise((r) => setTimeout(r, 20))
    structuredClone(data.buffer, { transfer: [data.buffer] }) // detaches data; the clone is garbage
    gc()
    new Float64Array(1 << 20).fill(1) // reuse the freed memory if anything kept pointing at it
    const got = await future
    await blocker
    console.log(got === expected ? 'same' : 'different ' + got + ' ' + expected)
    await executor.shutdown()
  `)
  t.is(result.code, 0, describeRun(result))
  t.is(result.stdout.trim(), 'same')
})
