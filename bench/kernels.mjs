/**
 * Native kernels against their JavaScript twins: the package's main benchmark.
 *
 * For each workload, five variants, each checked for a correct result before it is timed:
 *   js-main      the JS twin (bench/twins.mjs) on the main thread
 *   js-executor  the JS twin submitted through an Executor, in chunks (JS tasks run on the
 *                main thread: this shows the executor's overhead, not parallelism)
 *   js-workers   the same chunks as worker tasks (`workerTask(twins.mjs URL, name)`) on JS
 *                workers on every core: parallel JavaScript, what a kernel has to beat
 *   native-1     the native kernel on an Executor with maxWorkers: 1
 *   native-N     the native kernel with maxWorkers = cores
 * Chunked workloads (mandelbrot rows, primeCount ranges, dot and sumOfSquares slices) go
 * through `map`; the others are one `submit` whose kernel splits its work over the pool.
 * The JS variants cut every workload into the same chunks (CHUNKS of them, or the few
 * independent calls fib and sort allow): js-executor through `map`, js-workers one `submit`
 * per chunk (the arrays are in shared memory, so workers read them in place).
 * Medians of several samples after a warm-up (tinybench), all measured in this one run.
 *
 *   npm run bench                 # full sizes; table, bench/results/latest.json + .svg
 *   npm run bench -- --quick      # small sizes, under a minute
 *   npm run bench -- --json FILE  # JSON (and the SVG next to it) somewhere else
 *   npm run bench -- --only sort,fib   # some workloads only ('small': the group below)
 *
 * Then the "limits" group (bench/limits.mjs): the machine's memory read rate and peak FMA
 * rate, measured by native loops, which the table's rates are shares of; and matmul 512, dot
 * and sumOfSquares of 4M doubles against numpy (skipped, saying so, without numpy).
 *
 * Then the "small kernels" group (bench/small-kernels.mjs): kernels of a few milliseconds
 * submitted to an idle executor, native-1 against native-N, the spin(0) round trip on an
 * idle and on a warm executor, and the CPU an idle executor burns.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { isDeepStrictEqual } from 'node:util'

import { Executor, kernels, workerTask } from '../dist/index.js'
import { addon } from '../dist/lib/addon.js'
import { speedupChart } from './chart.mjs'
import { CORES, closeTo, fmt, machine, measure as measureRuns, options, sameFloats, sharedRandom, writeJson } from './common.mjs'
import { measureLimits, reportVsNumpy, runNumpy, runVsNumpy, vsNumpyTicks } from './limits.mjs'
import { createProgress } from './progress.mjs'
import { reportSmallKernels, runSmallKernels, smallKernelTicks } from './small-kernels.mjs'
import * as twins from './twins.mjs'

const twinsUrl = new URL('./twins.mjs', import.meta.url)

const { quick, jsonPath, only } = options('latest.json')
const loadAtStart = (await import('./common.mjs')).loadAverage() // figures from a busy machine are not comparable
const SAMPLES = quick ? 3 : 7
/** Chunks per chunked workload: several per core, so that uneven chunks still balance. */
const CHUNKS = CORES * 8
const VARIANTS = ['js-main', 'js-executor', 'js-workers', 'native-1', 'native-N']

/** `[start, end)` bounds cutting `length` into `parts` nearly equal ranges. */
function ranges(length, parts) {
  const out = []
  for (let i = 0; i < parts; i++) {
    const start = Math.floor((length * i) / parts)
    const end = Math.floor((length * (i + 1)) / parts)
    if (end > start) out.push([start, end])
  }
  return out
}

function concat(arrays, Type) {
  const out = new Type(arrays.reduce((n, a) => n + a.length, 0))
  let offset = 0
  for (const a of arrays) {
    out.set(a, offset)
    offset += a.length
  }
  return out
}

const sum = (values) => values.reduce((a, b) => a + b, 0)


/**
 * A workload: `jsMain()` runs the twin, `chunks` lists `[twin, argsPerChunk, combine]` for
 * js-executor and js-workers (the export of bench/twins.mjs, its arguments for each chunk,
 * how the chunks' results make the whole), `native(executor)` runs the kernel,
 * `same(result, reference)` checks a result.
 */
function workloads() {
  const list = []

  const [mw, mh, mi] = quick ? [400, 300, 200] : [1200, 900, 500]
  const bands = ranges(mh, CHUNKS).map(([r0, r1]) => [mw, mh, mi, r0, r1])
  list.push({
    workload: 'mandelbrot',
    size: `${mw}x${mh}, ${mi} iterations`,
    jsMain: () => twins.mandelbrot(mw, mh, mi),
    chunks: ['mandelbrot', bands, (parts) => concat(parts, Uint32Array)],
    native: async (ex) => concat(await ex.map(kernels.mandelbrot, bands), Uint32Array),
    same: isDeepStrictEqual,
    // Each step of z -> z² + c and its test: 4 multiplications and 4 additions.
    flops: (counts) => 8 * sum(counts),
  })

  const primeHi = quick ? 20_000_000 : 200_000_000
  const primeRanges = ranges(primeHi, CHUNKS)
  list.push({
    workload: 'primeCount',
    size: `[0, ${primeHi.toExponential(0)})`,
    jsMain: () => twins.primeCount(0, primeHi),
    chunks: ['primeCount', primeRanges, sum],
    native: async (ex) => sum(await ex.map(kernels.primeCount, primeRanges)),
    same: (a, b) => a === b,
  })

  const n = quick ? 256 : 768
  const [ma, mb] = [sharedRandom(n * n, 1), sharedRandom(n * n, 2)]
  list.push({
    workload: 'matmul',
    size: `${n}x${n}`,
    jsMain: () => twins.matmul(ma, mb, n),
    chunks: ['matmul', ranges(n, CHUNKS).map(([r0, r1]) => [ma, mb, n, r0, r1]), (parts) => concat(parts, Float64Array)],
    native: (ex) => ex.submit(kernels.matmul, [ma, mb, n]),
    same: sameFloats,
    flops: () => 2 * n ** 3,
  })

  const fibN = quick ? 30 : 36
  list.push({
    workload: 'fib',
    size: `n = ${fibN}`,
    jsMain: () => twins.fib(fibN),
    // fib(n) = 2 fib(n-2) + fib(n-3): three independent calls.
    chunks: ['fib', [[fibN - 2], [fibN - 2], [fibN - 3]], sum],
    native: (ex) => ex.submit(kernels.fib, [fibN]),
    same: (a, b) => a === b,
  })

  const samples = quick ? 20_000_000 : 100_000_000
  const blocks = ranges(Math.ceil(samples / twins.MONTE_CARLO_BLOCK), CHUNKS)
  list.push({
    workload: 'monteCarloPi',
    size: `${samples.toExponential(0)} samples`,
    jsMain: () => twins.monteCarloPi(samples, 42),
    chunks: ['monteCarloHits', blocks.map(([b0, b1]) => [samples, 42, b0, b1]), (hits) => (4 * sum(hits)) / samples],
    native: (ex) => ex.submit(kernels.monteCarloPi, [samples, 42]),
    same: (a, b) => a === b,
  })

  const sortLength = quick ? 1_000_000 : 10_000_000
  const unsorted = sharedRandom(sortLength, 3)
  list.push({
    workload: 'sort',
    size: `${sortLength.toExponential(0)} doubles`,
    jsMain: () => twins.sort(unsorted),
    // A sort does not split into independent chunks: one task.
    chunks: ['sort', [[unsorted]], (parts) => parts[0]],
    native: (ex) => ex.submit(kernels.sort, [unsorted]),
    same: (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i])),
  })

  const histLength = quick ? 10_000_000 : 50_000_000
  const histData = sharedRandom(histLength, 4)
  const histSlices = ranges(histLength, CHUNKS).map(([s, e]) => histData.subarray(s, e))
  const addCounts = (parts) => parts.reduce((acc, c) => acc.map((x, i) => x + c[i]))
  list.push({
    workload: 'histogram',
    size: `${histLength.toExponential(0)} doubles, 64 bins`,
    jsMain: () => twins.histogram(histData, 64, -1, 1),
    chunks: ['histogram', histSlices.map((slice) => [slice, 64, -1, 1]), addCounts],
    native: (ex) => ex.submit(kernels.histogram, [histData, 64, -1, 1]),
    same: isDeepStrictEqual,
    bytes: histLength * 8,
  })

  const streamLength = quick ? 10_000_000 : 100_000_000
  const x = sharedRandom(streamLength, 5)
  const y = sharedRandom(streamLength, 6)
  const slices = ranges(streamLength, CHUNKS)
  list.push({
    workload: 'sumOfSquares',
    size: `${streamLength.toExponential(0)} doubles`,
    bytes: streamLength * 8,
    jsMain: () => twins.sumOfSquares(x),
    chunks: ['sumOfSquares', slices.map(([s, e]) => [x, s, e]), sum],
    native: async (ex) => sum(await ex.map(kernels.sumOfSquares, slices.map(([s, e]) => x.subarray(s, e)))),
    same: closeTo,
  })
  list.push({
    workload: 'dot',
    size: `${streamLength.toExponential(0)} doubles`,
    bytes: streamLength * 16,
    jsMain: () => twins.dot(x, y),
    chunks: ['dot', slices.map(([s, e]) => [x, y, s, e]), sum],
    native: async (ex) => sum(await ex.map(kernels.dot, slices.map(([s, e]) => [x.subarray(s, e), y.subarray(s, e)]))),
    same: closeTo,
  })

  const hashLength = quick ? 32 << 20 : 256 << 20
  const bytes = new Uint8Array(new SharedArrayBuffer(hashLength))
  for (let i = 0; i < hashLength; i++) bytes[i] = i * 7
  list.push({
    workload: 'sha256',
    size: `${hashLength >> 20} MiB (js: node:crypto)`,
    jsMain: () => twins.sha256(bytes),
    chunks: ['sha256', [[bytes]], (parts) => parts[0]],
    native: (ex) => ex.submit(kernels.sha256, [bytes]),
    same: isDeepStrictEqual,
    bytes: hashLength,
  })
  return list
}

/** Times one variant after checking its result against the reference. */
async function variant(workload, name, workers, run, reference) {
  const result = await run()
  if (!workload.same(result, reference)) throw new Error(`${workload.workload} ${name}: wrong result`)
  progress.tick(`${workload.workload} ${name}`)
  const medianMs = await measure(`${workload.workload} ${name}`, run)
  return { workload: workload.workload, size: workload.size, variant: name, workers, medianMs, samples: SAMPLES, reference }
}

const all = workloads().filter((w) => only === undefined || only.includes(w.workload))
const withSmall = only === undefined || only.includes('small')
const withLimits = only === undefined || only.includes('limits')
/** The numpy figures' sizes (the issue's "Done when"), and their samples. */
const [NUMPY_N, NUMPY_LENGTH, NUMPY_SAMPLES] = [512, 4 << 20, quick ? 5 : 15]
const SMALL_SAMPLES = quick ? 11 : 21
// Per variant: a check run, a warm-up and the samples; then the copy for the bandwidth.
const mainTicks = all.length > 0 ? all.length * VARIANTS.length * (SAMPLES + 2) + SAMPLES + 1 : 0
const limitsTicks = withLimits ? vsNumpyTicks(NUMPY_SAMPLES) : 0
const progress = createProgress({ total: mainTicks + limitsTicks + (withSmall ? smallKernelTicks(SMALL_SAMPLES) : 0), label: 'bench' })
const measure = (name, fn) => measureRuns(name, fn, SAMPLES, progress.tick)

/** The main group: every workload in every variant, then the memory bandwidth. */
async function runMain() {
  const results = []
  const jsExecutor = new Executor({ maxWorkers: CORES })
  const jsWorkers = new Executor({ maxWorkers: CORES, jsWorkers: CORES })
  await jsWorkers.startWorkers()
  const native1 = new Executor({ maxWorkers: 1 })
  const nativeN = new Executor({ maxWorkers: CORES })
  for (const w of all) {
    const reference = w.jsMain()
    const [twin, argsPerChunk, combine] = w.chunks
    const task = workerTask(twinsUrl, twin)
    const onWorkers = async () => combine(await Promise.all(argsPerChunk.map((args) => jsWorkers.submit(task, args))))
    results.push(await variant(w, 'js-main', 0, w.jsMain, reference))
    results.push(await variant(w, 'js-executor', CORES, async () => combine(await jsExecutor.map((args) => twins[twin](...args), argsPerChunk)), reference))
    results.push(await variant(w, 'js-workers', CORES, onWorkers, reference))
    results.push(await variant(w, 'native-1', 1, () => w.native(native1), reference))
    results.push(await variant(w, 'native-N', CORES, () => w.native(nativeN), reference))
  }
  const limits = await measureLimits(native1, nativeN, quick)
  await Promise.all([jsExecutor.shutdown(), jsWorkers.shutdown(), native1.shutdown(), nativeN.shutdown()])

  // Memory bandwidth for the streaming kernels: a plain copy of 100 million doubles reads and
  // writes 800 MB each; sumOfSquares reads 800 MB, dot 1.6 GB.
  const copyLength = quick ? 10_000_000 : 100_000_000
  const source = new Float64Array(copyLength).fill(1)
  const target = new Float64Array(copyLength)
  const copyMs = await measure('copy', () => target.set(source))
  return { results, limits, copyLength, copyGBps: (2 * copyLength * 8) / copyMs / 1e6 }
}

/** Prints the main group's table; returns the bandwidth figures and the chart's speedups. */
function reportMain({ results, limits, copyLength, copyGBps }) {
  const byWorkload = new Map()
  for (const r of results) byWorkload.set(r.workload, { ...byWorkload.get(r.workload), [r.variant]: r })
  const header = ['workload', 'size', ...VARIANTS.map((v) => `${v} ms`), ...VARIANTS.slice(1).map((v) => (v === 'native-1' ? 'native-1 vs JS twin' : `${v} x`)), 'N/1']
  const lines = [header]
  const speedups = []
  for (const [workload, row] of byWorkload) {
    const base = row['js-main'].medianMs
    const ratios = VARIANTS.slice(1).map((v) => base / row[v].medianMs)
    const scaling = row['native-1'].medianMs / row['native-N'].medianMs
    speedups.push({ workload, ratios: { ...Object.fromEntries(VARIANTS.slice(1).map((v, i) => [v, ratios[i]])), 'N/1': scaling } })
    lines.push([workload, row['js-main'].size, ...VARIANTS.map((v) => fmt(row[v].medianMs, 1)), ...ratios.map((r) => `${fmt(r, 2)}x`), `${fmt(scaling, 2)}x`])
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  console.log(`\nferris-executor kernels (${addon.kernelIsa()}): medians of ${SAMPLES} samples, ${CORES} cores, ${machine().cpu}\n`)
  for (const l of lines) console.log(l.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  console.log(`\n"x" columns: speedup over js-main (native-1 vs JS twin: the kernel on one worker against its twin on the main thread); N/1: native-N over native-1 (ideal ${CORES}x).`)
  const rates = reportRates(byWorkload, limits)
  console.log(`memory bandwidth (copy of ${copyLength.toExponential(0)} doubles): ${fmt(copyGBps, 2)} GB/s`)
  const bandwidth = { copyGBps }
  for (const w of all.filter((w) => w.bytes)) {
    const gbps = w.bytes / byWorkload.get(w.workload)['native-N'].medianMs / 1e6
    bandwidth[`${w.workload}GBps`] = gbps
    console.log(`${w.workload} native-N reads ${fmt(gbps, 2)} GB/s = ${fmt((gbps / copyGBps) * 100, 0)} % of the copy's rate`)
  }
  return { bandwidth, speedups, rates }
}

/**
 * Prints each kernel's rate (GFLOPS for matmul and mandelbrot, GB/s read for the streaming
 * ones) as a share of the machine's limit on as many workers: peak FMA, memory read.
 */
function reportRates(byWorkload, limits) {
  console.log(`\nmachine limits (native loops, best of 5): memory read ${fmt(limits.read1GBps, 1)} GB/s on 1 worker, ${fmt(limits.readNGBps, 1)} GB/s on ${CORES}; ` +
    `peak FMA ${fmt(limits.fma1Gflops, 1)} GFLOPS on 1 worker, ${fmt(limits.fmaNGflops, 1)} on ${CORES}`)
  const lines = [['workload', 'native-1 rate', 'of limit', 'native-N rate', 'of limit']]
  const rates = {}
  for (const w of all.filter((w) => w.flops || w.bytes)) {
    const row = byWorkload.get(w.workload)
    const [unit, amount, limit1, limitN] = w.flops
      ? ['GFLOPS', w.flops(row['native-1'].reference), limits.fma1Gflops, limits.fmaNGflops]
      : ['GB/s', w.bytes, limits.read1GBps, limits.readNGBps]
    const [r1, rN] = [amount / row['native-1'].medianMs / 1e6, amount / row['native-N'].medianMs / 1e6]
    rates[w.workload] = { unit, native1: r1, nativeN: rN, share1: r1 / limit1, shareN: rN / limitN }
    lines.push([w.workload, `${fmt(r1, 1)} ${unit}`, `${fmt((r1 / limit1) * 100, 0)} %`, `${fmt(rN, 1)} ${unit}`, `${fmt((rN / limitN) * 100, 0)} %`])
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  console.log('(mandelbrot may not fuse its multiply-adds, its counts must equal the twin\'s: its ceiling is about half the FMA peak)')
  return rates
}

const main = all.length > 0 ? await runMain() : undefined
/** The numpy group: its own executors, after the main group's are shut down. */
async function runLimitsGroup() {
  const native1 = new Executor({ maxWorkers: 1 })
  const nativeN = new Executor({ maxWorkers: CORES })
  const ours = await runVsNumpy(native1, nativeN, NUMPY_N, NUMPY_LENGTH, NUMPY_SAMPLES, progress.tick)
  await Promise.all([native1.shutdown(), nativeN.shutdown()])
  return { ours, numpy: runNumpy(NUMPY_N, NUMPY_LENGTH, NUMPY_SAMPLES) }
}
const vsNumpy = withLimits ? await runLimitsGroup() : undefined
const small = withSmall ? await runSmallKernels({ samples: SMALL_SAMPLES, onRun: progress.tick }) : undefined
progress.done()

const output = { machine: { ...machine(), kernelIsa: addon.kernelIsa() } }
let speedups
if (main) {
  const reported = reportMain(main)
  const results = main.results.map(({ reference, ...result }) => result)
  Object.assign(output, { results, bandwidth: reported.bandwidth, limits: main.limits, rates: reported.rates })
  speedups = reported.speedups
}
if (vsNumpy) {
  const ratios = reportVsNumpy(vsNumpy.ours, vsNumpy.numpy, NUMPY_N, NUMPY_LENGTH, NUMPY_SAMPLES)
  output.vsNumpy = { ...vsNumpy, ratios }
}
if (small) {
  reportSmallKernels(small)
  output.smallKernels = small
}
const load = { start: loadAtStart, end: loadavg()[0] }
output.loadAverage = load
writeJson(jsonPath, output)
if (speedups) {
  const svgPath = jsonPath.replace(/\.json$/, '') + '.svg'
  const legend = { 'N/1': 'N/1: native-N over native-1' }
  writeFileSync(svgPath, speedupChart(speedups, [...VARIANTS.slice(1), 'N/1'], machine(), { legend, load }))
  console.log(`\nwrote ${jsonPath} and ${svgPath}`)
} else {
  console.log(`\nwrote ${jsonPath}`)
}
