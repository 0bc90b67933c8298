/**
 * Per-task overhead of ferris-executor against p-queue, scaling of native work over cores,
 * and the CPU an idle pool burns. Plain JavaScript run by plain `node`: a TypeScript loader
 * hook (@oxc-node/core/register) slows every submit several times over and would measure
 * itself. Each throughput sample is one burst of N tasks submitted
 * at once and awaited; figures are medians of several samples taken in this one run. The
 * headline rows await as users do, `await Promise.all(futures)`; the `addDoneCallback` rows
 * (no promise per task) show what the awaiting itself costs.
 *
 *   npm run bench:overhead                 # prints a table, writes bench/results/overhead.json
 *   npm run bench:overhead -- --quick      # fewer samples
 *   npm run bench:overhead -- --json FILE  # JSON somewhere else
 */
import PQueue from 'p-queue'

import { Executor, kernels } from '../dist/index.js'
import { CORES, fmt, loadAverage, machine, measure as measureRuns, options, writeJson } from './common.mjs'
import { createProgress } from './progress.mjs'

const { quick, jsonPath } = options('overhead.json')
const TASKS = 100_000
const SAMPLES = quick ? 3 : 7

loadAverage()

// Eight measured cases of SAMPLES runs plus a warm-up each, then the idle phase (one unit).
const progress = createProgress({ total: 8 * (SAMPLES + 1) + 1, label: 'bench' })
progress.tick('starting', 0)

/** Awaits every future without creating a promise per task. */
function settled(futures) {
  return new Promise((done) => {
    let left = futures.length
    for (const f of futures) f.addDoneCallback(() => --left === 0 && done())
  })
}

const measure = (name, fn) => measureRuns(name, fn, SAMPLES, progress.tick)

/** Rows of the table: `perSecond` is tasks (or items) per second at the median. */
const rows = []
function record(name, medianMs, count) {
  const row = { name, medianMs, samples: SAMPLES, perSecond: count ? (count / medianMs) * 1000 : undefined }
  rows.push(row)
  return row
}

// --- throughput: 100 000 tiny tasks, concurrency 2 -------------------------------------------
const executor = new Executor({ maxWorkers: 2, queueCapacity: TASKS })
const zeros = new Array(TASKS).fill(0)

const pqueue = record(
  'p-queue: 100k trivial functions, Promise.all',
  await measure('p-queue', async () => {
    const queue = new PQueue({ concurrency: 2 })
    const all = []
    for (let i = 0; i < TASKS; i++) all.push(queue.add(() => i))
    await Promise.all(all)
  }),
  TASKS,
)
/** One burst: TASKS tasks from `submit(i)`, submitted at once and awaited with `wait`. */
const burst = (submit, wait) => async () => {
  const futures = []
  for (let i = 0; i < TASKS; i++) futures.push(submit(i))
  await wait(futures)
}
const awaitAll = (futures) => Promise.all(futures)
const jsTask = (i) => executor.submit(() => i)
const spinTask = () => executor.submit(kernels.spin, [0])

const js = record('ferris: 100k trivial JS tasks, Promise.all', await measure('js', burst(jsTask, awaitAll)), TASKS)
const jsCallbacks = record('ferris: the same, addDoneCallback', await measure('js callbacks', burst(jsTask, settled)), TASKS)
const native = record('ferris: 100k spin(0) native tasks, Promise.all', await measure('native', burst(spinTask, awaitAll)), TASKS)
const nativeCallbacks = record('ferris: the same, addDoneCallback', await measure('native callbacks', burst(spinTask, settled)), TASKS)
const mapped = record(
  'ferris: map(spin, 100k zeros) (maxWorkers 2)',
  await measure('map', async () => {
    await executor.map(kernels.spin, zeros)
  }),
  TASKS,
)
await executor.shutdown()

// --- scaling: the same spin work on one worker and on every core ----------------------------
const SPIN_TASKS = CORES * 16
const SPIN_ITERATIONS = 2_000_000
async function spinOn(workers) {
  const pool = new Executor({ maxWorkers: workers })
  try {
    return await measure(`spin x${workers}`, async () => {
      const futures = []
      for (let i = 0; i < SPIN_TASKS; i++) futures.push(pool.submit(kernels.spin, [SPIN_ITERATIONS]))
      await settled(futures)
    })
  } finally {
    await pool.shutdown()
  }
}
const one = record(`ferris: ${SPIN_TASKS} x spin(2e6), 1 worker`, await spinOn(1))
const all = record(`ferris: ${SPIN_TASKS} x spin(2e6), ${CORES} workers`, await spinOn(CORES))
const speedup = one.medianMs / all.medianMs

// --- idle CPU: a pool with 2 workers and nothing to do --------------------------------------
const idle = new Executor({ maxWorkers: 2 })
await idle.submit(kernels.spin, [0]) // the workers have started and gone idle
await new Promise((r) => setTimeout(r, 100))
const IDLE_MS = 2000
progress.tick(`idle pool for ${IDLE_MS / 1000} s`, 0)
const before = process.cpuUsage()
const wallStart = performance.now()
await new Promise((r) => setTimeout(r, IDLE_MS))
const used = process.cpuUsage(before)
const idleCpuPercent = ((used.user + used.system) / 1000 / (performance.now() - wallStart)) * 100
await idle.shutdown()
progress.tick('done')
progress.done()

// --- report ---------------------------------------------------------------------------------
const ratios = {
  jsVsPQueue: js.perSecond / pqueue.perSecond,
  nativeVsPQueue: native.perSecond / pqueue.perSecond,
  jsCallbacksVsPromiseAll: jsCallbacks.perSecond / js.perSecond,
  nativeCallbacksVsPromiseAll: nativeCallbacks.perSecond / native.perSecond,
  mapVsPQueue: mapped.perSecond / pqueue.perSecond,
  spinSpeedup: speedup,
  spinSpeedupPerCore: speedup / CORES,
}
console.log(`\nferris-executor overhead benchmark (${SAMPLES} samples per row, medians)\n`)
console.log(`${'case'.padEnd(52)} ${'median ms'.padStart(10)} ${'per second'.padStart(12)}`)
for (const row of rows) {
  console.log(`${row.name.padEnd(52)} ${fmt(row.medianMs, 1).padStart(10)} ${(row.perSecond ? fmt(row.perSecond) : '').padStart(12)}`)
}
console.log('')
console.log(`JS tasks vs p-queue        ${fmt(ratios.jsVsPQueue, 2)}x   (goal >= 1x; Promise.all both)`)
console.log(`native tasks vs p-queue    ${fmt(ratios.nativeVsPQueue, 2)}x   (goal >= 1.5x; Promise.all both)`)
console.log(`JS addDoneCallback / Promise.all      ${fmt(ratios.jsCallbacksVsPromiseAll, 2)}x   (goal <= 1.25x)`)
console.log(`native addDoneCallback / Promise.all  ${fmt(ratios.nativeCallbacksVsPromiseAll, 2)}x   (goal <= 1.25x)`)
console.log(`native map vs p-queue      ${fmt(ratios.mapVsPQueue, 2)}x   (goal >= 3x)`)
console.log(`spin speedup on ${CORES} cores   ${fmt(speedup, 2)}x = ${fmt(ratios.spinSpeedupPerCore, 2)} x cores (goal >= 0.9 x cores)`)
console.log(`idle pool CPU over ${IDLE_MS / 1000} s    ${fmt(idleCpuPercent, 2)} % of one core (goal: about 0)`)

writeJson(jsonPath, { machine: machine(), tasks: TASKS, samples: SAMPLES, rows, ratios, idleCpuPercent })
console.log(`\nwrote ${jsonPath}`)
