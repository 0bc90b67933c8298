/**
 * The "small kernels" group of `npm run bench`: kernels of one to a few milliseconds, the
 * size a user calls most often, each submitted to an executor that has been idle for a
 * while. What it shows is how fast parked workers join in: by the time a sibling wakes, much
 * of a 2 ms kernel may be done already.
 *
 *   scaling    fib(30), matmul 256, mandelbrot 400x300x200, sumOfSquares 1e6: one `submit`
 *              each after IDLE_BEFORE_KERNEL_MS of idleness, on maxWorkers 1 and on every
 *              core (samples of the two interleaved), medians and N/1
 *   round trip `submit(kernels.spin, [0])` after IDLE_BEFORE_SPIN_MS of idleness against
 *              the same call back to back (workers still awake), p50 of each
 *   idle CPU   a started executor doing nothing for IDLE_CPU_MS: CPU time over wall time, in
 *              percent of one core, of the whole process (Node's own threads and garbage
 *              collection included) and of the pool's worker threads alone (Linux only)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'

import { Executor, kernels } from '../dist/index.js'
import { CORES, closeTo, fmt, median, sameFloats, sharedRandom } from './common.mjs'
import * as twins from './twins.mjs'

/** The idle gap before each kernel, as in the issue that asked for this group (#11). */
const IDLE_BEFORE_KERNEL_MS = 5
/** The idle gap before each idle round trip: long enough for any spinning to have ended. */
const IDLE_BEFORE_SPIN_MS = 10
const IDLE_CPU_MS = 2000

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Nanoseconds the pool's worker threads (named `ferris-worker-<i>`) have run, from the
 * scheduler's per-thread statistics; `undefined` where /proc does not have them.
 */
function workersCpuNs() {
  try {
    let total = 0
    for (const tid of readdirSync('/proc/self/task')) {
      const dir = `/proc/self/task/${tid}`
      if (!readFileSync(`${dir}/comm`, 'utf8').startsWith('ferris-worker')) continue
      total += Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0])
    }
    return total
  } catch {
    return undefined
  }
}

function smallKernels() {
  const n = 256
  const [a, b] = [sharedRandom(n * n, 1), sharedRandom(n * n, 2)]
  const squares = sharedRandom(1_000_000, 5)
  return [
    { name: 'fib(30)', args: [kernels.fib, [30]], expected: twins.fib(30), same: (x, y) => x === y },
    {
      name: 'matmul 256',
      args: [kernels.matmul, [a, b, n]],
      expected: twins.matmul(a, b, n),
      same: sameFloats,
    },
    {
      name: 'mandelbrot 400x300x200',
      args: [kernels.mandelbrot, [400, 300, 200]],
      expected: twins.mandelbrot(400, 300, 200),
      same: isDeepStrictEqual,
    },
    { name: 'sumOfSquares 1e6', args: [kernels.sumOfSquares, [squares]], expected: twins.sumOfSquares(squares), same: closeTo },
  ]
}

/** Milliseconds of one `submit` round trip. */
async function roundTrip(executor, [kernel, args]) {
  const start = performance.now()
  const value = await executor.submit(kernel, args)
  return { ms: performance.now() - start, value }
}

/**
 * Runs the group: `samples` per kernel and variant, `onRun` after each. Returns the rows and
 * figures for the report and the JSON.
 */
export async function runSmallKernels({ samples, onRun = () => {} }) {
  const one = new Executor({ maxWorkers: 1 })
  const all = new Executor({ maxWorkers: CORES })
  const scaling = []
  try {
    for (const kernel of smallKernels()) {
      const times = { 1: [], N: [] }
      // The first call of each warms caches and checks the result; it is not timed.
      for (const [key, executor] of [['1', one], ['N', all]]) {
        const { value } = await roundTrip(executor, kernel.args)
        if (!kernel.same(value, kernel.expected)) throw new Error(`${kernel.name} native-${key}: wrong result`)
      }
      for (let i = 0; i < samples; i++) {
        // Alternate which goes first, so that a slow stretch of the machine hits both alike.
        const order = i % 2 === 0 ? [['1', one], ['N', all]] : [['N', all], ['1', one]]
        for (const [key, executor] of order) {
          await pause(IDLE_BEFORE_KERNEL_MS)
          times[key].push((await roundTrip(executor, kernel.args)).ms)
          onRun(`${kernel.name} native-${key}`)
        }
      }
      const [oneMs, allMs] = [median(times[1]), median(times.N)]
      scaling.push({ kernel: kernel.name, native1Ms: oneMs, nativeNMs: allMs, scaling: oneMs / allMs, samples })
    }
  } finally {
    await one.shutdown()
  }

  // spin(0) on the every-core executor: idle, then back to back.
  const spin = [kernels.spin, [0]]
  const idle = []
  const warm = []
  try {
    for (let i = 0; i < samples * 2; i++) {
      await pause(IDLE_BEFORE_SPIN_MS)
      idle.push((await roundTrip(all, spin)).ms)
      onRun('spin(0) idle')
    }
    for (let i = 0; i < samples * 20; i++) warm.push((await roundTrip(all, spin)).ms)
    onRun('spin(0) warm')
    // Idle CPU: the executor has run tasks, so every worker has started and parked since.
    await pause(100)
    const before = process.cpuUsage()
    const workersBefore = workersCpuNs()
    const wallStart = performance.now()
    await pause(IDLE_CPU_MS)
    const used = process.cpuUsage(before)
    const workersAfter = workersCpuNs()
    const wallMs = performance.now() - wallStart
    const idleCpuPercent = ((used.user + used.system) / 1000 / wallMs) * 100
    const workersIdleCpuPercent =
      workersBefore === undefined || workersAfter === undefined ? undefined : ((workersAfter - workersBefore) / 1e6 / wallMs) * 100
    onRun('idle CPU')
    const roundTrips = { idleP50Ms: median(idle), warmP50Ms: median(warm), idleSamples: idle.length, warmSamples: warm.length }
    return { scaling, roundTrips, idleCpuPercent, workersIdleCpuPercent, idleCpuMs: IDLE_CPU_MS }
  } finally {
    await all.shutdown()
  }
}

/** Progress ticks `runSmallKernels` makes for `samples`. */
export const smallKernelTicks = (samples) => 4 * 2 * samples + 2 * samples + 2

/** Prints the group's tables. */
export function reportSmallKernels({ scaling, roundTrips, idleCpuPercent, workersIdleCpuPercent, idleCpuMs }) {
  const samples = scaling[0]?.samples ?? 0
  console.log(`\nsmall kernels: one submit after ${IDLE_BEFORE_KERNEL_MS} ms idle, medians of ${samples} samples, ${CORES} cores\n`)
  const header = ['kernel', 'native-1 ms', 'native-N ms', 'N/1']
  const lines = [header, ...scaling.map((r) => [r.kernel, fmt(r.native1Ms, 2), fmt(r.nativeNMs, 2), `${fmt(r.scaling, 2)}x`])]
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  const { idleP50Ms, warmP50Ms, idleSamples, warmSamples } = roundTrips
  console.log(
    `\nspin(0) round trip, p50: after ${IDLE_BEFORE_SPIN_MS} ms idle ${fmt(idleP50Ms * 1000, 0)} us (${idleSamples} samples), ` +
      `back to back ${fmt(warmP50Ms * 1000, 0)} us (${warmSamples}), idle/warm ${fmt(idleP50Ms / warmP50Ms, 2)}x`,
  )
  const workers = workersIdleCpuPercent === undefined ? 'n/a' : `${fmt(workersIdleCpuPercent, 3)} %`
  console.log(
    `idle executor (${CORES} workers) CPU over ${idleCpuMs / 1000} s, in % of one core: ` +
      `whole process ${fmt(idleCpuPercent, 3)} %, its workers ${workers}`,
  )
}
