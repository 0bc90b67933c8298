/**
 * One library's run of `npm run bench:workers`, in a child process of its own (forked by
 * bench/workers.mjs with the library's name and the settings as JSON): opens the library's
 * pool (bench/workers/<library>.mjs), measures every figure, and sends the results to the
 * parent over IPC. Each figure is checked for a correct result before it is timed.
 *
 * A library module exports `open({ threads, tasksUrl, maxTasksAtOnce })`, resolving to
 * `{ run(name, arg), close(), openInline?(), map?(items) }`: `run` submits one task (an
 * export of tasks.mjs) and returns a promise (or thenable) of its result.
 */
import { median } from '../common.mjs'
import * as tasks from './tasks.mjs'

const [library, settingsJson] = process.argv.slice(2)
const settings = JSON.parse(settingsJson)
const { threads, samples, trivialTasks, roundTrips, cpuTasks, cpuIterations, smallTasks, smallIterations } = settings
const { mapItems, peerMapItems, idleMs, closeTimeoutMs } = settings
const tasksUrl = new URL('./tasks.mjs', import.meta.url)

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Milliseconds `fn` took (awaited). */
async function time(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** One untimed run that checks the result, then the median milliseconds of `samples` runs. */
async function medianMs(what, fn, check) {
  check(await fn(), what)
  const times = []
  for (let i = 0; i < samples; i++) times.push(await time(fn))
  return median(times)
}

function expect(condition, what) {
  if (!condition) throw new Error(`${library} ${what}: wrong result`)
}

/** `count` tasks submitted at once (each `run(i)`), all awaited. */
const burst = (count, run) => () => Promise.all(Array.from({ length: count }, (_, i) => run(i)))
const incsOk = (results, what) => expect(results.length > 0 && results.every((r, i) => r === i + 1), what)

/** The figure being measured, named if the process ends with tasks that never settled. */
let phase = 'opening the pool'
process.on('beforeExit', () => {
  if (phase !== 'done') console.error(`${library}: the event loop emptied with tasks unsettled, during ${phase}`)
})

const { open } = await import(`./${library}.mjs`)
const pool = await open({ threads, tasksUrl, maxTasksAtOnce: Math.max(trivialTasks, smallTasks, peerMapItems) })
const figures = {}
try {
  phase = 'warm-up'
  // Warm-up: both workers started and their tasks compiled before anything is measured.
  incsOk(await burst(2000, (i) => pool.run('inc', i))(), 'warm-up')
  await Promise.all(Array.from({ length: threads * 4 }, () => pool.run('small', smallIterations)))

  phase = 'idle CPU'
  // Idle CPU first, before the other figures leave garbage for the collector to find.
  await pause(300)
  const before = process.cpuUsage()
  const idleStart = performance.now()
  await pause(idleMs)
  const used = process.cpuUsage(before)
  figures.idleCpuPercent = ((used.user + used.system) / 1000 / (performance.now() - idleStart)) * 100

  phase = 'trivial'
  const trivialMs = await medianMs('trivial', burst(trivialTasks, (i) => pool.run('inc', i)), incsOk)
  figures.trivialPerSecond = (trivialTasks / trivialMs) * 1000
  figures.trivialMs = trivialMs

  phase = 'trivial inline'
  if (pool.openInline) {
    const inline = await pool.openInline()
    try {
      const inlineMs = await medianMs('trivial inline', burst(trivialTasks, (i) => inline.run(i)), incsOk)
      figures.inlinePerSecond = (trivialTasks / inlineMs) * 1000
      figures.inlineMs = inlineMs
    } finally {
      await inline.close()
    }
  }

  phase = 'round trip'
  // One task at a time: each submitted when the previous one's result is back.
  for (let i = 0; i < 200; i++) expect((await pool.run('inc', i)) === i + 1, 'round trip')
  const trips = []
  for (let i = 0; i < roundTrips; i++) {
    const start = performance.now()
    await pool.run('inc', i)
    trips.push(performance.now() - start)
  }
  figures.roundTripP50Us = median(trips) * 1000

  phase = 'cpu'
  // CPU-bound: the same tasks on this thread and through the pool, samples alternating.
  const expected = tasks.cpu(cpuIterations)
  const serial = () => Array.from({ length: cpuTasks }, () => tasks.cpu(cpuIterations))
  const parallel = () => Promise.all(Array.from({ length: cpuTasks }, () => pool.run('cpu', cpuIterations)))
  expect((await parallel()).every((r) => r === expected), 'cpu')
  const serialTimes = []
  const parallelTimes = []
  for (let i = 0; i < samples; i++) {
    serialTimes.push(await time(serial))
    parallelTimes.push(await time(parallel))
  }
  figures.cpuSerialMs = median(serialTimes)
  figures.cpuParallelMs = median(parallelTimes)
  figures.cpuSpeedup = median(serialTimes.map((s, i) => s / parallelTimes[i]))

  phase = 'small'
  const smallExpected = tasks.small(smallIterations)
  figures.smallMs = await medianMs(
    'small',
    burst(smallTasks, () => pool.run('small', smallIterations)),
    (results, what) => expect(results.length === smallTasks && results.every((r) => r === smallExpected), what),
  )

  phase = 'map'
  // map: ours chunked; a peer has no chunked map, so its figure is its per-task rate on
  // `peerMapItems` items, each one task.
  const squaresOk = (count) => (results, what) => expect(results.length === count && results.every((r, i) => r === i * i), what)
  if (pool.map) {
    const items = Array.from({ length: mapItems }, (_, i) => i)
    const mapMs = await medianMs('map', () => pool.map(items), squaresOk(mapItems))
    Object.assign(figures, { mapMs, mapItems, mapPerSecond: (mapItems / mapMs) * 1000, mapChunked: true })
  } else {
    const mapMs = await medianMs('map per task', burst(peerMapItems, (i) => pool.run('square', i)), squaresOk(peerMapItems))
    Object.assign(figures, { mapMs, mapItems: peerMapItems, mapPerSecond: (peerMapItems / mapMs) * 1000, mapChunked: false })
  }
} catch (error) {
  await closeWithin(closeTimeoutMs)
  throw error
}
// The figures go to the parent before the pool closes: a close that never settles (seen with
// poolifier's destroy()) is reported as such, not as a failed run.
phase = 'reporting'
const { user, system } = process.cpuUsage()
figures.processCpuMs = (user + system) / 1000
await new Promise((resolve) => process.send({ library, figures }, resolve))
const closed = await closeWithin(closeTimeoutMs)
phase = 'done'
// A pool that did not close may hold the process open: then this process ends itself.
process.send({ library, closed }, () => (closed ? process.disconnect() : process.exit(0)))

/** Closes the pool; resolves whether it closed within `ms` (a ref'd timer keeps the loop alive). */
async function closeWithin(ms) {
  phase = 'closing the pool'
  let timer
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const closed = await Promise.race([Promise.resolve(pool.close()).then(() => true), timedOut])
  clearTimeout(timer)
  return closed
}
