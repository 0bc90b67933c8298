/** Every compute kernel gives its JS twin's result (bench/twins.mjs) on small random inputs. */
import { createHash } from 'node:crypto'

import test from 'ava'

import { kernels } from '../index.js'
import * as twins from '../bench/twins.mjs'
import { setup } from './helpers.js'

/** Random doubles in [-scale, scale), from a seeded generator so failures reproduce. */
function randomArray(length: number, seed: number, scale = 100): Float64Array {
  let state = seed >>> 0 || 1
  const data = new Float64Array(length)
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    data[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 2 * scale
  }
  return data
}

function closeTo(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected))
}

test('dot equals the twin, on arrays long enough to be split over the workers', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const [length, seed] of [[0, 1], [1, 2], [7, 3], [100_003, 4], [300_001, 5]] as const) {
    const a = randomArray(length, seed)
    const b = randomArray(length, seed + 100)
    const native = await executor.submit(kernels.dot, [a, b])
    t.true(closeTo(native, twins.dot(a, b)), `length ${length}: ${native} vs ${twins.dot(a, b)}`)
  }
})

test('matmul equals the twin for several sizes', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const n of [0, 1, 2, 5, 33, 130]) {
    const a = randomArray(n * n, n + 1, 10)
    const b = randomArray(n * n, n + 2, 10)
    const native = await executor.submit(kernels.matmul, [a, b, n])
    const js = twins.matmul(a, b, n)
    t.true(native instanceof Float64Array)
    t.is(native.length, n * n)
    t.true(native.every((x, i) => closeTo(x, js[i]!)), `n = ${n}`)
  }
})

test('mandelbrot gives the twin\'s counts bit for bit, whole or by rows through map', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const [width, height, maxIter] of [[1, 1, 10], [17, 9, 50], [96, 64, 300]] as const) {
    const native = await executor.submit(kernels.mandelbrot, [width, height, maxIter])
    t.true(native instanceof Uint32Array)
    t.deepEqual(native, twins.mandelbrot(width, height, maxIter), `${width}x${height}`)
  }
  const bands = await executor.map(kernels.mandelbrot, [
    [96, 64, 300, 0, 20],
    [96, 64, 300, 20, 21],
    [96, 64, 300, 21, 64],
  ])
  const joined = new Uint32Array(96 * 64)
  let offset = 0
  for (const band of bands) {
    joined.set(band, offset)
    offset += band.length
  }
  t.deepEqual(joined, twins.mandelbrot(96, 64, 300))
  t.deepEqual(await executor.submit(kernels.mandelbrot, [10, 10, 20, 4, undefined]), twins.mandelbrot(10, 10, 20, 4, 10))
})

test('primeCount equals the twin on random ranges', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const ranges: Array<[number, number]> = [[0, 0], [0, 2], [0, 3], [2, 3], [3, 4], [0, 100], [90, 97], [0, 1_000_003]]
  let state = 12345
  for (let i = 0; i < 20; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    const lo = state % 2_000_000
    ranges.push([lo, lo + (state % 700_001)])
  }
  const natives = await executor.map(kernels.primeCount, ranges)
  ranges.forEach(([lo, hi], i) => t.is(natives[i], twins.primeCount(lo, hi), `[${lo}, ${hi})`))
  t.is(natives[5], 25, 'there are 25 primes below 100')
})

test('sort matches Float64Array.prototype.sort, NaN last and -0 before +0', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const length of [0, 1, 2, 1000, 70_001]) {
    const data = randomArray(length, length + 7)
    if (length > 10) data.set([NaN, -0, 0, Infinity, -Infinity, NaN, 5, 5], 3)
    const native = await executor.submit(kernels.sort, [data])
    const js = twins.sort(data)
    t.is(native.length, js.length)
    t.true(native.every((x, i) => Object.is(x, js[i])), `length ${length}`)
  }
})

test('fib equals the twin', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const ns = [0, 1, 2, 10, 20, 21, 25]
  t.deepEqual(await executor.map(kernels.fib, ns), ns.map(twins.fib))
})

test('monteCarloPi equals the twin exactly, and the same seed gives the same estimate', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const [samples, seed] of [[1, 0], [1000, 1], [65_536, 7], [65_537, 2 ** 40 + 3], [300_000, 99]] as const) {
    t.is(await executor.submit(kernels.monteCarloPi, [samples, seed]), twins.monteCarloPi(samples, seed), `${samples}, ${seed}`)
  }
  const estimate = await executor.submit(kernels.monteCarloPi, [1_000_000, 5])
  t.true(Math.abs(estimate - Math.PI) < 0.01, String(estimate))
})

test('histogram equals the twin, dropping NaN and values outside [min, max]', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const data = randomArray(200_001, 3)
  data.set([NaN, -80, 80, 81, -81, Infinity], 0)
  for (const [bins, min, max] of [[1, -80, 80], [10, -80, 80], [37, -50.5, 12.25], [1000, 0, 1]] as const) {
    const native = await executor.submit(kernels.histogram, [data, bins, min, max])
    t.true(native instanceof Uint32Array)
    t.deepEqual(native, twins.histogram(data, bins, min, max), `${bins} bins over [${min}, ${max}]`)
  }
})

test('sha256 equals node:crypto on random bytes, Buffers and subarray views', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  for (const length of [0, 1, 55, 56, 64, 1_000_003]) {
    const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 255)
    const digest = await executor.submit(kernels.sha256, [bytes])
    t.true(digest instanceof Uint8Array)
    t.is(Buffer.from(digest).toString('hex'), createHash('sha256').update(bytes).digest('hex'), `length ${length}`)
  }
  const buffer = Buffer.from('abc')
  t.is(Buffer.from(await executor.submit(kernels.sha256, [buffer])).toString('hex'), createHash('sha256').update('abc').digest('hex'))
  const view = new Uint8Array(100).fill(9).subarray(10, 20)
  t.is(Buffer.from(await executor.submit(kernels.sha256, [view])).toString('hex'), createHash('sha256').update(view).digest('hex'))
})

test('typed arrays over a SharedArrayBuffer give the same results as ordinary ones', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const plain = randomArray(50_001, 11)
  const shared = new Float64Array(new SharedArrayBuffer(plain.byteLength))
  shared.set(plain)
  t.is(await executor.submit(kernels.dot, [shared, shared]), await executor.submit(kernels.dot, [plain, plain]))
  t.deepEqual(await executor.submit(kernels.sort, [shared]), await executor.submit(kernels.sort, [plain]))
})
