/**
 * JavaScript functions on worker threads: ferris-executor's JS workers against piscina,
 * tinypool, workerpool and poolifier (issue 14, section 3). Each library runs in a child
 * process of its own (bench/workers/harness.mjs, with bench/workers/<library>.mjs), with 2
 * threads, on the same tasks (bench/workers/tasks.mjs):
 *
 *   trivial     50 000 `inc` tasks (x => x + 1) submitted at once and awaited: tasks/s; also
 *               the inline form, a function shipped as source text, where a library has one
 *   trivial, callbacks  ours only: the same, awaited with addDoneCallback instead of Promise.all
 *   round trip  one `inc` at a time with warm workers: p50 and p99; and 16 such loops at once
 *   modulo      integer arithmetic on the task's argument (`k % (i + 1)`, 2e7 steps): the main
 *               thread's time over the pool's, one task at a time (1: a worker is as fast)
 *   cpu         16 tasks of about 50 ms, submitted at once, against the same 16 run one after
 *               the other on the child's main thread: the speedup (median of per-pair ratios)
 *   small       20 000 tasks of about 100 us submitted at once: total time
 *   map         ours: `executor.map(square, 1e6 items)` (default chunk sizes); the peers have
 *               no chunked map, so theirs is their per-task rate on 50 000 `square` tasks; with
 *               the main thread's longest stall meanwhile (the longest gap of a 1 ms timer)
 *   map, 1 us   ours only: `map` over 200 000 items of about 1 us each against the same loop
 *               on the child's main thread: the speedup (median of per-pair ratios)
 *   uneven      ours only: 2 000 items of 2 to 20 units of ~10 us (like documents of 2-20 KB
 *               to render) through `map`, and through one `submit` each with Promise.all:
 *               submit's time over map's (>= 1: map is never slower)
 *   idle CPU    the child's CPU time over 2 s with its 2 workers started and idle, in % of
 *               one core (its main thread and Node's own threads included)
 *   startup     in a fresh process each (bench/workers/startup.mjs): the import alone, and the
 *               import + opening a pool + the first `inc` result; measured first, before the
 *               long-lived children start, rounds going over the libraries in rotating order
 *
 * All the children are started first, one at a time (each measures its idle CPU right after
 * its warm-up, while the others sit idle), and stay open; then, figure by figure,
 * every library runs an untimed check of its result, and the samples go round the libraries
 * (one sample each, the order rotating), so that a busy stretch of this shared machine falls
 * on every library alike. Only one child works at any moment; the others' pools sit idle.
 * The two task lengths are iteration counts calibrated on this process's main thread first,
 * so every library does exactly the same work. Figures are medians of the samples.
 *
 *   npm run bench:workers                  # table, bench/results/workers.json and .svg
 *   npm run bench:workers -- --quick       # fewer and smaller samples, under two minutes
 *   npm run bench:workers -- --only piscina,ferris
 *   npm run bench:workers -- --json FILE
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { loadAverage, median, options } from './common.mjs'
import { LibraryChild } from './workers/child.mjs'
import { report } from './workers/report.mjs'
import { cpu } from './workers/tasks.mjs'

const { quick, jsonPath, only } = options('workers.json')
loadAverage()
const OURS = 'ferris'
const PEERS = ['piscina', 'tinypool', 'workerpool', 'poolifier']
const unknown = only?.filter((name) => ![OURS, ...PEERS].includes(name)) ?? []
if (unknown.length > 0) throw new RangeError(`--only takes ${[OURS, ...PEERS].join(', ')}; got ${unknown.join(', ')}`)
const LIBRARIES = [OURS, ...PEERS].filter((name) => only === undefined || only.includes(name))

const samples = quick ? 3 : 7
const roundTripsPerSample = quick ? 150 : 300
const settings = {
  threads: 2,
  samples,
  trivialTasks: quick ? 10_000 : 50_000,
  tripsPerSample: roundTripsPerSample,
  roundTrips: samples * roundTripsPerSample,
  cpuTasks: 16,
  // Target task lengths, from the table.
  cpuTaskMs: 50,
  smallTaskUs: 100,
  smallTasks: quick ? 5_000 : 20_000,
  mapItems: quick ? 200_000 : 1_000_000,
  peerMapItems: quick ? 10_000 : 50_000,
  tinyItems: quick ? 50_000 : 200_000,
  tinyTaskUs: 1,
  unevenItems: quick ? 500 : 2_000,
  unevenUnitUs: 10,
  idleMs: 2_000,
  /** Fresh processes per library for the startup figures. */
  startupRounds: quick ? 5 : 15,
  /** How long a pool's close may take before the run reports it as stuck. */
  closeTimeoutMs: 10_000,
}
Object.assign(settings, calibrate(settings))

/** Iterations of the tasks' busy loop for the target task lengths, on this machine. */
function calibrate({ cpuTaskMs, smallTaskUs, tinyTaskUs, unevenUnitUs }) {
  const probe = 10_000_000
  for (let i = 0; i < 5; i++) cpu(probe / 10)
  const times = []
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    cpu(probe)
    times.push(performance.now() - start)
  }
  const perMs = probe / median(times)
  const iterationsFor = (us) => Math.max(1, Math.round((perMs * us) / 1000))
  return {
    cpuIterations: Math.round(perMs * cpuTaskMs),
    smallIterations: iterationsFor(smallTaskUs),
    tinyIterations: iterationsFor(tinyTaskUs),
    unevenUnitIterations: iterationsFor(unevenUnitUs),
  }
}

/** The `q` quantile of `values` (nearest rank). */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

function version(name) {
  const path = name === OURS ? '../package.json' : `../node_modules/${name}/package.json`
  return JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')).version
}

console.error(
  `bench:workers: ${LIBRARIES.join(', ')}; ${settings.threads} threads each; cpu task ${settings.cpuIterations} iterations ` +
    `(~${settings.cpuTaskMs} ms), small task ${settings.smallIterations} (~${settings.smallTaskUs} us)`,
)

const STARTUP = fileURLToPath(new URL('./workers/startup.mjs', import.meta.url))
/** Per library: its startup samples (`{ importMs, firstMs }`), each from a fresh process. */
const startups = new Map(LIBRARIES.map((library) => [library, []]))
console.error('  startup')
for (let round = 0; round < settings.startupRounds; round++) {
  for (let k = 0; k < LIBRARIES.length; k++) {
    const library = LIBRARIES[(k + round) % LIBRARIES.length]
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [STARTUP, library, String(settings.threads)], { timeout: 60_000 })
      startups.get(library).push(JSON.parse(stdout))
    } catch (error) {
      console.error(`  ${library} startup failed: ${error.message}`)
    }
  }
}

const children = []
for (const library of LIBRARIES) {
  try {
    children.push(await LibraryChild.start(library, settings))
  } catch (error) {
    console.error(`  ${library} failed to start: ${error.message}`)
  }
}
const working = () => children.filter((c) => c.failure === undefined)
/** Per library: what each figure's samples returned. */
const raw = new Map(children.map((c) => [c.library, {}]))

/**
 * One figure: a check on every library, then `rounds` rounds of one sample per library,
 * the order rotating from round to round. A library whose command fails drops out.
 */
async function figure(op, rounds = samples) {
  console.error(`  ${op}`)
  for (const child of working()) await child.request(op, 'check').catch(() => {})
  for (let round = 0; round < rounds; round++) {
    const order = working()
    for (let k = 0; k < order.length; k++) {
      const child = order[(k + round) % order.length]
      const result = await child.request(op, 'sample').catch(() => undefined)
      if (result !== undefined) (raw.get(child.library)[op] ??= []).push(result)
    }
  }
}

for (const op of ['trivial', 'trivialCallbacks', 'inline', 'roundTrip', 'roundTrip16', 'modulo', 'cpu', 'small', 'map', 'mapTiny', 'uneven']) await figure(op)
for (const child of children) await child.close()

const figures = {}
const notes = {}
const failures = []
for (const child of children) {
  if (child.failure !== undefined) {
    failures.push(child.library)
    console.error(`\n${child.failure.message}`)
    continue
  }
  const r = raw.get(child.library)
  const medianOf = (op, key) => median(r[op].map((x) => x[key]))
  const f = {}
  f.idleCpuPercent = child.idleCpuPercent
  f.trivialMs = medianOf('trivial', 'ms')
  f.trivialPerSecond = (settings.trivialTasks / f.trivialMs) * 1000
  if (!r.inline[0].unsupported) {
    f.inlineMs = medianOf('inline', 'ms')
    f.inlinePerSecond = (settings.trivialTasks / f.inlineMs) * 1000
  }
  if (!r.trivialCallbacks[0].unsupported) f.trivialCallbacksPerSecond = (settings.trivialTasks / medianOf('trivialCallbacks', 'ms')) * 1000
  const trips = r.roundTrip.flatMap((x) => x.trips)
  const trips16 = r.roundTrip16.flatMap((x) => x.trips)
  f.roundTripP50Us = median(trips) * 1000
  f.roundTripP99Us = quantile(trips, 0.99) * 1000
  f.roundTrip16P50Us = median(trips16) * 1000
  f.roundTrip16P99Us = quantile(trips16, 0.99) * 1000
  f.moduloMainMs = medianOf('modulo', 'mainMs')
  f.moduloPoolMs = medianOf('modulo', 'poolMs')
  f.moduloSpeed = median(r.modulo.map((x) => x.mainMs / x.poolMs))
  f.mapStallMs = medianOf('map', 'stallMs')
  f.cpuSerialMs = medianOf('cpu', 'serialMs')
  f.cpuParallelMs = medianOf('cpu', 'parallelMs')
  f.cpuSpeedup = median(r.cpu.map((x) => x.serialMs / x.parallelMs))
  f.smallMs = medianOf('small', 'ms')
  f.mapMs = medianOf('map', 'ms')
  Object.assign(f, { mapItems: r.map[0].items, mapChunked: r.map[0].chunked })
  f.mapPerSecond = (f.mapItems / f.mapMs) * 1000
  if (!r.mapTiny[0].unsupported) {
    f.tinySerialMs = medianOf('mapTiny', 'serialMs')
    f.tinyMapMs = medianOf('mapTiny', 'mapMs')
    f.tinySpeedup = median(r.mapTiny.map((x) => x.serialMs / x.mapMs))
  }
  if (!r.uneven[0].unsupported) {
    f.unevenMapMs = medianOf('uneven', 'mapMs')
    f.unevenSubmitMs = medianOf('uneven', 'submitMs')
    f.unevenRatio = median(r.uneven.map((x) => x.submitMs / x.mapMs))
  }
  const started = startups.get(child.library)
  if (started.length > 0) {
    f.importMs = median(started.map((x) => x.importMs))
    f.startupMs = median(started.map((x) => x.firstMs))
  }
  f.othersLoad = child.othersLoad
  figures[child.library] = f
  notes[child.library] = child.notes
}
failures.push(...LIBRARIES.filter((l) => !children.some((c) => c.library === l)))

const versions = Object.fromEntries(LIBRARIES.map((l) => [l, version(l)]))
report({ settings, figures, notes, failures, ourName: OURS, peers: PEERS, versions, jsonPath })
if (failures.length > 0) {
  console.error(`\nfailed: ${failures.join(', ')}`)
  process.exitCode = 1
}
