/**
 * JavaScript functions on worker threads: ferris-executor's JS workers against piscina,
 * tinypool, workerpool and poolifier (issue 14, section 3). Each library runs in a child
 * process of its own (bench/workers/harness.mjs), with 2 threads, on the same tasks
 * (bench/workers/tasks.mjs), one library after the other in this one run:
 *
 *   trivial     50 000 `inc` tasks (x => x + 1) submitted at once and awaited: tasks/s; also
 *               the inline form, a function shipped as source text, where a library has one
 *   round trip  one `inc` at a time with warm workers: p50
 *   cpu         16 tasks of about 50 ms, submitted at once, against the same 16 run one after
 *               the other on the child's main thread: the speedup (median of per-pair ratios)
 *   small       20 000 tasks of about 100 us submitted at once: total time
 *   map         ours: `executor.map(square, 1e6 items, { chunkSize })`; the peers have no
 *               chunked map, so theirs is their per-task rate on 50 000 `square` tasks
 *   idle CPU    the child's CPU time over 2 s with its 2 workers started and idle, in % of
 *               one core (its main thread and Node's own threads included)
 *
 * The two task lengths are iteration counts calibrated on this process's main thread before
 * the children start, so every library does exactly the same work. Medians of several
 * samples; each figure is checked for a correct result before it is timed.
 *
 *   npm run bench:workers                  # table, bench/results/workers.json and .svg
 *   npm run bench:workers -- --quick       # fewer and smaller samples, about a minute
 *   npm run bench:workers -- --only piscina,ferris
 *   npm run bench:workers -- --json FILE
 */
import { fork } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { platform } from 'node:os'
import { fileURLToPath } from 'node:url'

import { speedupChart } from './chart.mjs'
import { fmt, machine, median, options, writeJson } from './common.mjs'
import { cpu } from './workers/tasks.mjs'

const { quick, jsonPath, only } = options('workers.json')
const THREADS = 2
const OURS = 'ferris'
const PEERS = ['piscina', 'tinypool', 'workerpool', 'poolifier']
const LIBRARY_COLORS = { ferris: '#c2410c', piscina: '#2563eb', tinypool: '#16a34a', workerpool: '#9333ea', poolifier: '#9aa5b1' }
const LIBRARIES = [OURS, ...PEERS].filter((name) => only === undefined || only.includes(name))
const unknown = only?.filter((name) => ![OURS, ...PEERS].includes(name)) ?? []
if (unknown.length > 0) throw new RangeError(`--only takes ${[OURS, ...PEERS].join(', ')}; got ${unknown.join(', ')}`)
/** Target task lengths, from the issue's table. */
const CPU_TASK_MS = 50
const SMALL_TASK_US = 100
/** A child that has not reported by then is stuck: its run fails instead of hanging this one. */
const CHILD_TIMEOUT_MS = 10 * 60_000

const settings = {
  threads: THREADS,
  samples: quick ? 3 : 7,
  trivialTasks: quick ? 10_000 : 50_000,
  roundTrips: quick ? 500 : 2_000,
  cpuTasks: 16,
  smallTasks: quick ? 5_000 : 20_000,
  mapItems: quick ? 200_000 : 1_000_000,
  peerMapItems: quick ? 10_000 : 50_000,
  idleMs: 2_000,
  /** How long a pool's close may take before the run reports it as stuck. */
  closeTimeoutMs: 10_000,
  ...calibrate(),
}

/** Iterations of the tasks' busy loop for CPU_TASK_MS and SMALL_TASK_US on this machine. */
function calibrate() {
  const probe = 10_000_000
  for (let i = 0; i < 5; i++) cpu(probe / 10)
  const times = []
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    cpu(probe)
    times.push(performance.now() - start)
  }
  const perMs = probe / median(times)
  return { cpuIterations: Math.round(perMs * CPU_TASK_MS), smallIterations: Math.round((perMs * SMALL_TASK_US) / 1000) }
}

function version(name) {
  if (name === OURS) return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
}

/**
 * Busy CPU milliseconds of the whole machine so far, from /proc/stat (Linux; `undefined`
 * elsewhere): with the child's own CPU time it tells how much other processes ran during a
 * library's run, since this machine is shared and a busy neighbour halves a parallel figure.
 */
function machineBusyMs() {
  if (platform() !== 'linux') return undefined
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  // /proc/stat counts in USER_HZ ticks, 100 per second on Linux.
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100
}

/** How long a child may take to exit once it has closed its pool. */
const EXIT_TIMEOUT_MS = 10_000

/**
 * Runs one library's harness in a child process; resolves with its figures and notes on how
 * it ended (a pool whose close never settled, a process that did not exit after closing).
 */
function runChild(library) {
  const harness = fileURLToPath(new URL('./workers/harness.mjs', import.meta.url))
  return new Promise((resolve, reject) => {
    const [busyBefore, ownBefore, wallBefore] = [machineBusyMs(), process.cpuUsage(), performance.now()]
    const child = fork(harness, [library, JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let figures
    let closed
    let exitTimedOut = false
    let timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    child.on('message', (message) => {
      if (message.figures !== undefined) figures = message.figures
      if (message.closed !== undefined) {
        closed = message.closed
        clearTimeout(timer)
        timer = setTimeout(() => {
          exitTimedOut = true
          child.kill('SIGKILL')
        }, EXIT_TIMEOUT_MS)
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (figures === undefined) {
        reject(new Error(`${library}: the harness exited with ${signal ?? `code ${code}`} before reporting`))
        return
      }
      const busy = machineBusyMs()
      if (busy !== undefined) {
        const own = process.cpuUsage(ownBefore)
        const othersMs = busy - busyBefore - figures.processCpuMs - (own.user + own.system) / 1000
        figures.othersLoad = Math.max(0, othersMs) / (performance.now() - wallBefore)
      }
      const notes = []
      if (closed === false) notes.push(`its pool's close did not settle within ${settings.closeTimeoutMs / 1000} s`)
      if (exitTimedOut) notes.push(`its process had not exited ${EXIT_TIMEOUT_MS / 1000} s after closing its pool`)
      else if (code !== 0) notes.push(`its process exited with ${signal ?? `code ${code}`} after reporting`)
      resolve({ figures, notes })
    })
  })
}

console.error(
  `bench:workers: ${LIBRARIES.join(', ')}; ${THREADS} threads each; cpu task ${fmt(settings.cpuIterations)} iterations ` +
    `(~${CPU_TASK_MS} ms), small task ${fmt(settings.smallIterations)} (~${SMALL_TASK_US} us)`,
)
const figures = {}
const notes = {}
const failures = []
for (const library of LIBRARIES) {
  console.error(`  ${library} ...`)
  try {
    ;({ figures: figures[library], notes: notes[library] } = await runChild(library))
  } catch (error) {
    failures.push(library)
    console.error(`  ${error.message}`)
  }
}
const ran = LIBRARIES.filter((l) => figures[l] !== undefined)

// --- the table -------------------------------------------------------------------------------
const s = settings
const header = [
  'library',
  'trivial tasks/s',
  'inline fn tasks/s',
  'round trip p50 us',
  `${s.cpuTasks} x cpu main ms`,
  'pool ms',
  'speedup',
  `${fmt(s.smallTasks)} x small ms`,
  'map items/s',
  'idle CPU %',
  'others',
]
const lines = [header]
for (const library of ran) {
  const f = figures[library]
  lines.push([
    `${library} ${version(library)}`,
    fmt(f.trivialPerSecond),
    f.inlinePerSecond === undefined ? '-' : fmt(f.inlinePerSecond),
    fmt(f.roundTripP50Us, 1),
    fmt(f.cpuSerialMs, 1),
    fmt(f.cpuParallelMs, 1),
    `${fmt(f.cpuSpeedup, 2)}x`,
    fmt(f.smallMs, 1),
    `${fmt(f.mapPerSecond)}${f.mapChunked ? '' : ' *'}`,
    fmt(f.idleCpuPercent, 2),
    f.othersLoad === undefined ? 'n/a' : fmt(f.othersLoad, 2),
  ])
}
const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)))
console.log(`\nJS workers, ${THREADS} threads per library, medians of ${s.samples} samples, ${machine().cpu}\n`)
for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
console.log(
  `\ntrivial: ${fmt(s.trivialTasks)} x inc submitted at once; round trip: ${fmt(s.roundTrips)} x inc one at a time; ` +
    `cpu: ${s.cpuTasks} tasks of ~${CPU_TASK_MS} ms on the main thread vs the pool;\nsmall: ${fmt(s.smallTasks)} tasks of ~${SMALL_TASK_US} us; ` +
    `map: ${OURS} map(square, ${fmt(s.mapItems)} items, chunked); * a peer's per-task rate on ${fmt(s.peerMapItems)} square tasks; ` +
    `idle CPU: ${s.idleMs / 1000} s, % of one core;\nothers: cores other processes kept busy on average during the library's run (the machine is shared).`,
)
for (const library of ran) for (const note of notes[library]) console.log(`note: ${library}: ${note}`)

// --- the goals: ours against the best peer ---------------------------------------------------
const peersRan = PEERS.filter((p) => figures[p] !== undefined)
const goals = []
if (figures[OURS] !== undefined && peersRan.length > 0) {
  const ours = figures[OURS]
  const best = (key, better) => peersRan.reduce((a, b) => (better(figures[b][key], figures[a][key]) ? b : a))
  const higher = (a, b) => a > b
  const lower = (a, b) => a < b
  const goal = (figure, key, better, ratioOf, target, met, unit, digits = 0) => {
    const peer = best(key, better)
    const ratio = ratioOf(ours[key], figures[peer][key])
    goals.push({ figure, ours: ours[key], bestPeer: peer, peerValue: figures[peer][key], ratio, goal: target, met: met(ratio), unit, digits })
  }
  goal('trivial tasks/s', 'trivialPerSecond', higher, (o, p) => o / p, '>= 3x the best peer', (r) => r >= 3, 'tasks/s')
  goal('round trip p50', 'roundTripP50Us', lower, (o, p) => o / p, '<= 0.5x the best peer', (r) => r <= 0.5, 'us', 1)
  goal('cpu speedup / threads', 'cpuSpeedup', higher, (o) => o / THREADS, '>= 0.9', (r) => r >= 0.9, 'x', 2)
  goal('small tasks, total', 'smallMs', lower, (o, p) => o / p, '<= 0.67x the best peer', (r) => r <= 0.67, 'ms', 1)
  goal('map items/s vs per-task rate', 'mapPerSecond', higher, (o, p) => o / p, ">= 10x the best peer's", (r) => r >= 10, 'items/s')
  const idle = ours.idleCpuPercent
  goals.push({ figure: 'idle CPU', ours: idle, ratio: idle, goal: 'about 0 % (<= 0.5 %)', met: idle <= 0.5, unit: '%', digits: 2 })

  const goalLines = [['figure', OURS, 'best peer', 'ratio', 'goal', 'met']]
  for (const g of goals) {
    const peer = g.bestPeer === undefined ? '-' : `${fmt(g.peerValue, g.digits)} ${g.unit} (${g.bestPeer})`
    const ratio = g.bestPeer === undefined && g.unit === '%' ? `${fmt(g.ratio, 2)} %` : `${fmt(g.ratio, 2)}`
    goalLines.push([g.figure, `${fmt(g.ours, g.digits)} ${g.unit}`, peer, ratio, g.goal, g.met ? 'yes' : 'NO'])
  }
  const gw = goalLines[0].map((_, i) => Math.max(...goalLines.map((l) => l[i].length)))
  console.log(`\ngoals (issue 14): ${OURS} against the best peer of this run\n`)
  for (const l of goalLines) console.log(l.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(gw[i]) : c.padStart(gw[i]))).join('  '))
  if (ours.inlinePerSecond !== undefined) {
    console.log(`\n${OURS} inline workerTask(x => x + 1): ${fmt(ours.inlinePerSecond / figures[best('trivialPerSecond', higher)].trivialPerSecond, 2)}x the best peer's trivial rate`)
  }
}

// --- JSON and SVG ----------------------------------------------------------------------------
const sizes = {
  trivial: `${fmt(s.trivialTasks)} x inc, submitted at once`,
  inline: `${fmt(s.trivialTasks)} x inline x => x + 1, submitted at once`,
  roundTrip: `${fmt(s.roundTrips)} x inc, one at a time`,
  cpu: `${s.cpuTasks} x ${fmt(s.cpuIterations)} iterations (~${CPU_TASK_MS} ms)`,
  small: `${fmt(s.smallTasks)} x ${fmt(s.smallIterations)} iterations (~${SMALL_TASK_US} us)`,
  idle: `${s.idleMs / 1000} s, ${THREADS} started workers`,
}
const results = []
for (const library of ran) {
  const f = figures[library]
  const row = (workload, size, fields) => results.push({ workload, size, variant: library, workers: THREADS, ...fields })
  row('trivial', sizes.trivial, { medianMs: f.trivialMs, samples: s.samples, perSecond: f.trivialPerSecond })
  if (f.inlinePerSecond !== undefined) row('trivial-inline', sizes.inline, { medianMs: f.inlineMs, samples: s.samples, perSecond: f.inlinePerSecond })
  row('roundTrip', sizes.roundTrip, { p50Us: f.roundTripP50Us, samples: s.roundTrips })
  row('cpu', sizes.cpu, { medianMs: f.cpuParallelMs, mainThreadMs: f.cpuSerialMs, speedup: f.cpuSpeedup, samples: s.samples })
  row('small', sizes.small, { medianMs: f.smallMs, samples: s.samples })
  const mapSize = f.mapChunked ? `map(square, ${fmt(f.mapItems)} items), chunked` : `${fmt(f.mapItems)} x square, one task each`
  row('map', mapSize, { medianMs: f.mapMs, samples: s.samples, perSecond: f.mapPerSecond })
  row('idleCpu', sizes.idle, { cpuPercent: f.idleCpuPercent })
}
const versions = Object.fromEntries(ran.map((l) => [l, version(l)]))
const othersLoad = Object.fromEntries(ran.map((l) => [l, figures[l].othersLoad]))
writeJson(jsonPath, { machine: machine(), settings, versions, results, goals, othersLoad, notes, failed: failures })

// The chart: each figure relative to the best peer, so that higher is better everywhere.
if (peersRan.length > 0) {
  const relative = [
    ['trivial', 'trivialPerSecond', 1],
    ['round trip', 'roundTripP50Us', -1],
    ['cpu speedup', 'cpuSpeedup', 1],
    ['small tasks', 'smallMs', -1],
    ['map', 'mapPerSecond', 1],
  ].map(([workload, key, sign]) => {
    const values = peersRan.map((p) => figures[p][key])
    const bestPeer = sign > 0 ? Math.max(...values) : Math.min(...values)
    return { workload, ratios: Object.fromEntries(ran.map((l) => [l, sign > 0 ? figures[l][key] / bestPeer : bestPeer / figures[l][key]])) }
  })
  const svgPath = jsonPath.replace(/\.json$/, '') + '.svg'
  const title = `Each figure against the best peer (higher is better, log scale)`
  writeFileSync(svgPath, speedupChart(relative, ran, machine(), { title, colors: LIBRARY_COLORS }))
  console.log(`\nwrote ${jsonPath} and ${svgPath}`)
} else {
  console.log(`\nwrote ${jsonPath}`)
}
if (failures.length > 0) {
  console.error(`\nfailed: ${failures.join(', ')}`)
  process.exitCode = 1
}
