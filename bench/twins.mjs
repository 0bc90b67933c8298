// JavaScript twins of the native kernels: the same computations, written the way a JS
// developer would, for `npm run bench` (js-main, js-executor, and js-workers, which loads this
// module in worker threads) and for the tests that check each kernel against its twin. Each
// twin's result is comparable to its kernel's: integers and counts identical, floating-point
// sums equal up to rounding (summation order differs).
import { createHash } from 'node:crypto'

/** Sum of x² over `data`, from `start` to `end`. */
export function sumOfSquares(data, start = 0, end = data.length) {
  let sum = 0
  for (let i = start; i < end; i++) sum += data[i] * data[i]
  return sum
}

/** Dot product of `a` and `b` (same length), from `start` to `end`. */
export function dot(a, b, start = 0, end = a.length) {
  let sum = 0
  for (let i = start; i < end; i++) sum += a[i] * b[i]
  return sum
}

/** n x n row-major product of `a` and `b`, rows `rowStart` to `rowEnd` (i-k-j order). */
export function matmul(a, b, n, rowStart = 0, rowEnd = n) {
  const out = new Float64Array((rowEnd - rowStart) * n)
  for (let i = rowStart; i < rowEnd; i++) {
    const row = (i - rowStart) * n
    for (let k = 0; k < n; k++) {
      const factor = a[i * n + k]
      const bRow = k * n
      for (let j = 0; j < n; j++) out[row + j] += factor * b[bRow + j]
    }
  }
  return out
}

/** Escape counts of rows `rowStart` to `rowEnd` (see `kernels.mandelbrot`). */
export function mandelbrot(width, height, maxIter, rowStart = 0, rowEnd = height) {
  const counts = new Uint32Array(width * (rowEnd - rowStart))
  let o = 0
  for (let py = rowStart; py < rowEnd; py++) {
    const ci = -1.5 + (py + 0.5) * 3 / height
    for (let px = 0; px < width; px++) {
      const cr = -2 + (px + 0.5) * 3 / width
      let zr = 0
      let zi = 0
      let n = 0
      while (n < maxIter) {
        const nextZr = zr * zr - zi * zi + cr
        zi = 2 * zr * zi + ci
        zr = nextZr
        n++
        if (zr * zr + zi * zi > 4) break
      }
      counts[o++] = n
    }
  }
  return counts
}

/** Number of primes in [lo, hi), by a segmented sieve over odd numbers. */
export function primeCount(lo, hi) {
  let count = lo <= 2 && hi > 2 ? 1 : 0
  const start = Math.max(lo, 3) | 1
  const end = hi % 2 === 0 ? hi + 1 : hi
  if (start >= end) return count
  const limit = Math.floor(Math.sqrt(end))
  const small = new Uint8Array(limit + 1)
  const primes = []
  for (let p = 3; p <= limit; p += 2) {
    if (small[p]) continue
    primes.push(p)
    for (let m = p * p; m <= limit; m += 2 * p) small[m] = 1
  }
  const SEGMENT = 1 << 18 // odd numbers per segment
  const sieve = new Uint8Array(SEGMENT)
  for (let segLo = start; segLo < end; segLo += 2 * SEGMENT) {
    const segHi = Math.min(segLo + 2 * SEGMENT, end)
    const odds = (segHi - segLo) / 2
    sieve.fill(0, 0, odds)
    for (const p of primes) {
      if (p * p >= segHi) break
      let m = Math.max(p * p, Math.ceil(segLo / p) * p)
      if (m % 2 === 0) m += p
      for (let j = (m - segLo) / 2; j < odds; j += p) sieve[j] = 1
    }
    for (let j = 0; j < odds; j++) if (sieve[j] === 0) count++
  }
  return count
}

/** A sorted copy (ascending, NaN last): what a JS developer calls. */
export function sort(data) {
  return Float64Array.from(data).sort()
}

/** Naive recursive Fibonacci. */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2)
}

/** lowbias32 (see crates/kernels/src/monte_carlo.rs). */
function mix32(x) {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

/** Samples per block, as in the kernel. */
export const MONTE_CARLO_BLOCK = 1 << 16

/** Hits inside the quarter circle in blocks `firstBlock` to `endBlock` of `samples` points. */
export function monteCarloHits(samples, seed, firstBlock = 0, endBlock = Math.ceil(samples / MONTE_CARLO_BLOCK)) {
  const seedLo = seed >>> 0
  const seedHi = Math.floor(seed / 2 ** 32) >>> 0
  let hits = 0
  for (let block = firstBlock; block < endBlock; block++) {
    const blockLo = block >>> 0
    const blockHi = Math.floor(block / 2 ** 32) >>> 0
    let state = mix32(seedLo ^ mix32(seedHi ^ mix32(blockLo ^ mix32(blockHi ^ 0x9e3779b9))))
    const size = Math.min(MONTE_CARLO_BLOCK, samples - block * MONTE_CARLO_BLOCK)
    for (let i = 0; i < size; i++) {
      // Mulberry32, twice: x then y.
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296
      state = (state + 0x6d2b79f5) >>> 0
      t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      const y = ((t ^ (t >>> 14)) >>> 0) / 4294967296
      if (x * x + y * y < 1) hits++
    }
  }
  return hits
}

/** pi estimated from `samples` points: the kernel's exact result. */
export function monteCarloPi(samples, seed) {
  return (4 * monteCarloHits(samples, seed)) / samples
}

/** Counts per bin (see `kernels.histogram`). */
export function histogram(data, bins, min, max) {
  const counts = new Uint32Array(bins)
  for (let i = 0; i < data.length; i++) {
    const x = data[i]
    if (x >= min && x <= max) counts[Math.min(Math.floor((x - min) / (max - min) * bins), bins - 1)]++
  }
  return counts
}

/** SHA-256 digest of `bytes`: what a JS developer calls, `node:crypto` (OpenSSL). */
export function sha256(bytes) {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}
