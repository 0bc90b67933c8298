/**
 * How close the kernels come to the machine's limits and to numpy: the "limits" group of
 * `npm run bench` (bench/kernels.mjs).
 *
 * - The machine's limits, measured once per run by native code on one worker and on every
 *   core: the rate memory is read at (a plain summing loop over 256 MB, `limits.memoryRead`)
 *   and peak FMA throughput (a register-only multiply-add loop, `limits.peakFma`).
 * - The figures the kernels are held to against numpy, side by side: matmul 512 x 512 on one
 *   worker and on every core, dot and sumOfSquares of 4M doubles on every core, with shared
 *   arrays, ordinary ones passed with `transfer`, and ordinary ones copied at `submit`.
 *   numpy (OpenBLAS) runs in a `python3` child with OPENBLAS_NUM_THREADS=1, then = cores
 *   (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed for it); without numpy its columns are
 *   skipped, saying so.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import { getKernel, kernels } from '../dist/index.js'
import { CORES, fmt, median, sharedRandom } from './common.mjs'

const numpyScript = fileURLToPath(new URL('./numpy-baseline.py', import.meta.url))

/** The machine's limits on one worker (`native1`) and on every core (`nativeN`). */
export async function measureLimits(native1, nativeN, quick) {
  const read = getKernel('limits.memoryRead')
  const fma = getKernel('limits.peakFma')
  const megabytes = quick ? 64 : 256
  return {
    read1GBps: await native1.submit(read, [megabytes]),
    readNGBps: await nativeN.submit(read, [megabytes]),
    fma1Gflops: await native1.submit(fma, [4]),
    fmaNGflops: await nativeN.submit(fma, [4 * CORES]),
  }
}

/** numpy's medians on 1 thread and on every core, or why there are none. */
export function runNumpy(n, length, samples) {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' })
  } catch {
    return { skipped: "python3 -c 'import numpy' failed: numpy columns skipped (pip install numpy to add them)" }
  }
  const run = (threads) => {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) }
    delete env.OPENBLAS_CORETYPE
    delete env.OPENBLAS_L2_SIZE
    return JSON.parse(execFileSync('python3', [numpyScript, String(n), String(length), String(samples)], { env, encoding: 'utf8' }))
  }
  return { one: run(1), all: run(CORES) }
}

setFlagsFromString('--expose-gc')
/** A full garbage collection, run between samples: buffers of earlier samples are freed then, not while one is timed. */
const collectGarbage = runInNewContext('gc')

/** An ordinary (not shared) copy of `array`. */
const ordinary = (array) => Float64Array.from(array)

/**
 * Our side of the numpy figures. Each variant runs a warm-up, then its samples. Before every
 * sample, outside the clock: a `transfer` sample gets fresh ordinary arrays (the transferred
 * ones are detached), then garbage is collected and the process idles 10 ms, so that freeing
 * earlier samples' buffers (which V8 does on a background thread) is not timed. numpy's script
 * pauses the same way before each of its samples, so that both start from parked threads and
 * the same cache state (see bench/numpy-baseline.py).
 */
export async function runVsNumpy(native1, nativeN, n, length, samples, onRun = () => {}) {
  const [ma, mb] = [sharedRandom(n * n, 11), sharedRandom(n * n, 12)]
  const [x, y] = [sharedRandom(length, 13), sharedRandom(length, 14)]
  const [ox, oy] = [ordinary(x), ordinary(y)]
  const variants = {
    'matmul native-1': () => native1.submit(kernels.matmul, [ma, mb, n]),
    'matmul native-N': () => nativeN.submit(kernels.matmul, [ma, mb, n]),
    'dot shared': () => nativeN.submit(kernels.dot, [x, y]),
    'dot transfer': {
      prepare: () => [ordinary(x), ordinary(y)],
      run: ([a, b]) => nativeN.submit(kernels.dot, [a, b], { transfer: [a.buffer, b.buffer] }),
    },
    'dot copied': () => nativeN.submit(kernels.dot, [ox, oy]),
    'sumOfSquares shared': () => nativeN.submit(kernels.sumOfSquares, [x]),
    'sumOfSquares transfer': {
      prepare: () => [ordinary(x)],
      run: ([a]) => nativeN.submit(kernels.sumOfSquares, [a], { transfer: [a.buffer] }),
    },
    'sumOfSquares copied': () => nativeN.submit(kernels.sumOfSquares, [ox]),
  }
  const medians = {}
  for (const [name, variant] of Object.entries(variants)) {
    const { prepare = () => undefined, run } = typeof variant === 'function' ? { run: variant } : variant
    const times = []
    for (let sample = -1; sample < samples; sample++) {
      const input = prepare()
      collectGarbage()
      await new Promise((resolve) => setTimeout(resolve, 10))
      const start = performance.now()
      await run(input)
      if (sample >= 0) times.push(performance.now() - start) // sample -1 warms up
      onRun()
    }
    medians[name] = median(times)
  }
  return medians
}

/** Runs `runVsNumpy` makes for `samples` (its progress ticks): a warm-up and the samples, per variant. */
export const vsNumpyTicks = (samples) => VS_NUMPY_VARIANTS * (samples + 1)
const VS_NUMPY_VARIANTS = 8

/** Prints the numpy table and the Done-when ratios; returns them for the JSON output. */
export function reportVsNumpy(ours, numpy, n, length, samples) {
  const gflops = (ms) => (2 * n ** 3) / ms / 1e6
  console.log(`\nagainst numpy: matmul ${n} x ${n}, dot and sumOfSquares of ${length / (1 << 20)}M doubles; medians of ${samples} samples`)
  if (numpy.skipped) console.log(`  ${numpy.skipped}`)
  else console.log(`  numpy ${numpy.one.numpy} (OpenBLAS): 1 thread and ${CORES} threads (OPENBLAS_NUM_THREADS)`)
  const rows = [['figure', 'ours', 'numpy', 'ours / numpy speed']]
  const ratios = {}
  const add = (figure, oursText, numpyText, ratio, key) => {
    rows.push([figure, oursText, numpyText, ratio === undefined ? '-' : `${fmt(ratio, 2)}x`])
    if (ratio !== undefined) ratios[key] = ratio
  }
  const np = (pick) => (numpy.skipped ? undefined : pick(numpy))
  for (const [label, key, npKey] of [['1 thread', 'matmul native-1', 'one'], [`${CORES} threads`, 'matmul native-N', 'all']]) {
    const theirs = np((r) => r[npKey].matmulMs)
    add(`matmul ${n}, ${label}`, `${fmt(gflops(ours[key]), 1)} GFLOPS`, theirs === undefined ? 'skipped' : `${fmt(gflops(theirs), 1)} GFLOPS`, theirs && theirs / ours[key], key)
  }
  for (const kernel of ['dot', 'sumOfSquares']) {
    const theirs = np((r) => r.all[`${kernel}Ms`])
    const shared = ours[`${kernel} shared`]
    add(`${kernel}, shared arrays, ${CORES} workers`, `${fmt(shared, 2)} ms`, theirs === undefined ? 'skipped' : `${fmt(theirs, 2)} ms`, theirs && theirs / shared, `${kernel} shared`)
    if (kernel === 'sumOfSquares' && theirs !== undefined) {
      const xy = np((r) => r.all.dotMs)
      add(`${kernel}, shared, against numpy's x @ y`, `${fmt(shared, 2)} ms`, `${fmt(xy, 2)} ms`, xy / shared, `${kernel} shared vs x @ y`)
    }
    for (const how of ['transfer', 'copied']) {
      const ms = ours[`${kernel} ${how}`]
      rows.push([`${kernel}, ordinary arrays, ${how}`, `${fmt(ms, 2)} ms`, '', `${fmt(ms / shared, 2)}x the shared time`])
      ratios[`${kernel} ${how} / shared`] = ms / shared
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  return ratios
}
