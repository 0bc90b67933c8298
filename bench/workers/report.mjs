/**
 * The report of `npm run bench:workers`: the table, the goals of issue 14 as ratios of ours to
 * the best peer of the run, the JSON (shaped like the kernels benchmark's: `machine`, and
 * `results` rows of `workload`, `size`, `variant`, `workers`, ...) and the SVG chart.
 */
import { writeFileSync } from 'node:fs'

import { speedupChart } from '../chart.mjs'
import { fmt, machine, writeJson } from '../common.mjs'

const LIBRARY_COLORS = { ferris: '#c2410c', piscina: '#2563eb', tinypool: '#16a34a', workerpool: '#9333ea', poolifier: '#9aa5b1' }

/**
 * `figures[library]`: the medians the run computed; `notes[library]`: how its child ended;
 * `failures`: the libraries whose run failed (not reported).
 */
export function report({ settings: s, figures, notes, failures, ourName, peers, versions, jsonPath }) {
  const { threads, cpuTaskMs, smallTaskUs } = s
  const ran = [ourName, ...peers].filter((l) => figures[l] !== undefined)
  const version = (library) => versions[library]
  // --- the table -------------------------------------------------------------------------------
  const header = [
    'library',
    'trivial tasks/s',
    'callbacks tasks/s',
    'inline fn tasks/s',
    'round trip p50/p99 us',
    'x16 p50/p99 us',
    'modulo main/pool',
    `${s.cpuTasks} x cpu main ms`,
    'pool ms',
    'speedup',
    `${fmt(s.smallTasks)} x small ms`,
    'map items/s',
    'map stall ms',
    'idle CPU %',
    'import ms',
    'first result ms',
    'others',
  ]
  const lines = [header]
  for (const library of ran) {
    const f = figures[library]
    lines.push([
      `${library} ${version(library)}`,
      fmt(f.trivialPerSecond),
      f.trivialCallbacksPerSecond === undefined ? '-' : fmt(f.trivialCallbacksPerSecond),
      f.inlinePerSecond === undefined ? '-' : fmt(f.inlinePerSecond),
      `${fmt(f.roundTripP50Us, 1)}/${fmt(f.roundTripP99Us, 1)}`,
      `${fmt(f.roundTrip16P50Us, 1)}/${fmt(f.roundTrip16P99Us, 1)}`,
      `${fmt(f.moduloSpeed, 2)}x`,
      fmt(f.cpuSerialMs, 1),
      fmt(f.cpuParallelMs, 1),
      `${fmt(f.cpuSpeedup, 2)}x`,
      fmt(f.smallMs, 1),
      `${fmt(f.mapPerSecond)}${f.mapChunked ? '' : ' *'}`,
      fmt(f.mapStallMs, 1),
      fmt(f.idleCpuPercent, 2),
      f.importMs === undefined ? '-' : fmt(f.importMs, 1),
      f.startupMs === undefined ? '-' : fmt(f.startupMs, 1),
      f.othersLoad === undefined ? 'n/a' : fmt(f.othersLoad, 2),
    ])
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  console.log(`\nJS workers, ${threads} threads per library, medians of ${s.samples} samples, ${machine().cpu}\n`)
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  console.log(
    `\ntrivial: ${fmt(s.trivialTasks)} x inc submitted at once, awaited with Promise.all (callbacks: addDoneCallback); ` +
      `round trip: ${fmt(s.roundTrips)} x inc one at a time (x16: 16 such loops at once);\nmodulo: k % (i + 1) over 2e7 steps, ` +
      `main thread's time / the pool's (1: as fast on a worker); map stall: the main thread's longest, during map; ` +
      `cpu: ${s.cpuTasks} tasks of ~${cpuTaskMs} ms on the main thread vs the pool;\nsmall: ${fmt(s.smallTasks)} tasks of ~${smallTaskUs} us; ` +
      `map: ${ourName} map(square, ${fmt(s.mapItems)} items, default chunks); * a peer's per-task rate on ${fmt(s.peerMapItems)} square tasks; ` +
      `idle CPU: ${s.idleMs / 1000} s, % of one core;\nimport: the import alone, first result: import + open a pool + the first inc result, ` +
      `each in a fresh process (${s.startupRounds} rounds);\nothers: cores other processes kept busy on average during the library's commands (the machine is shared).`,
  )
  for (const library of ran) for (const note of notes[library]) console.log(`note: ${library}: ${note}`)

  // --- the goals: ours against the best peer ---------------------------------------------------
  const peersRan = peers.filter((p) => figures[p] !== undefined)
  const goals = []
  if (figures[ourName] !== undefined && peersRan.length > 0) {
    const ours = figures[ourName]
    const best = (key, better) => peersRan.reduce((a, b) => (better(figures[b][key], figures[a][key]) ? b : a))
    const higher = (a, b) => a > b
    const lower = (a, b) => a < b
    const goal = (figure, key, better, ratioOf, target, met, unit, digits = 0) => {
      const peer = best(key, better)
      const ratio = ratioOf(ours[key], figures[peer][key])
      goals.push({ figure, ours: ours[key], bestPeer: peer, peerValue: figures[peer][key], ratio, goal: target, met: met(ratio), unit, digits })
    }
    goal('trivial tasks/s', 'trivialPerSecond', higher, (o, p) => o / p, '>= 3x the best peer', (r) => r >= 3, 'tasks/s')
    goal('round trip p50', 'roundTripP50Us', lower, (o, p) => o / p, '<= 1x the best peer (stretch 0.5x)', (r) => r <= 1, 'us', 1)
    goal('round trip p99', 'roundTripP99Us', lower, (o, p) => o / p, '<= 1x the best peer', (r) => r <= 1, 'us', 1)
    goal('round trip x16 p50', 'roundTrip16P50Us', lower, (o, p) => o / p, '<= 1x the best peer', (r) => r <= 1, 'us', 1)
    goal('cpu speedup / threads', 'cpuSpeedup', higher, (o) => o / threads, '>= 0.9', (r) => r >= 0.9, 'x', 2)
    goal('small tasks, total', 'smallMs', lower, (o, p) => o / p, '<= 0.67x the best peer', (r) => r <= 0.67, 'ms', 1)
    goal('map items/s vs per-task rate', 'mapPerSecond', higher, (o, p) => o / p, ">= 10x the best peer's", (r) => r >= 10, 'items/s')
    if (ours.startupMs !== undefined && peersRan.every((p) => figures[p].startupMs !== undefined)) {
      goal('import + open + first result', 'startupMs', lower, (o, p) => o / p, '<= 1x the best peer', (r) => r <= 1, 'ms', 1)
      goal('import alone', 'importMs', lower, (o, p) => o / p, '<= 1x the best peer', (r) => r <= 1, 'ms', 1)
    }
    const mine = (figure, value, goal, met, unit, digits) => goals.push({ figure, ours: value, ratio: value, goal, met, unit, digits })
    mine('modulo: main thread / pool', ours.moduloSpeed, '>= 0.9x', ours.moduloSpeed >= 0.9, 'x', 2)
    mine('map: longest stall', ours.mapStallMs, '<= 15 ms', ours.mapStallMs <= 15, 'ms', 1)
    if (ours.tinySpeedup !== undefined) mine('map of 1 us items: serial loop / map', ours.tinySpeedup, '> 1x', ours.tinySpeedup > 1, 'x', 2)
    if (ours.unevenRatio !== undefined) mine('uneven items: submit each / map', ours.unevenRatio, '>= 1x', ours.unevenRatio >= 1, 'x', 2)
    if (ours.trivialCallbacksPerSecond !== undefined) {
      const ratio = ours.trivialCallbacksPerSecond / ours.trivialPerSecond
      mine('addDoneCallback / Promise.all', ratio, '<= 1.25x', ratio <= 1.25, 'x', 2)
    }
    const idle = ours.idleCpuPercent
    goals.push({ figure: 'idle CPU', ours: idle, ratio: idle, goal: 'about 0 % (<= 0.5 %)', met: idle <= 0.5, unit: '%', digits: 2 })

    const goalLines = [['figure', ourName, 'best peer', 'ratio', 'goal', 'met']]
    for (const g of goals) {
      const peer = g.bestPeer === undefined ? '-' : `${fmt(g.peerValue, g.digits)} ${g.unit} (${g.bestPeer})`
      const ratio = g.bestPeer === undefined ? '-' : `${fmt(g.ratio, 2)}`
      goalLines.push([g.figure, `${fmt(g.ours, g.digits)} ${g.unit}`, peer, ratio, g.goal, g.met ? 'yes' : 'NO'])
    }
    const gw = goalLines[0].map((_, i) => Math.max(...goalLines.map((l) => l[i].length)))
    console.log(`\ngoals (issues 14 and 20): ${ourName} against the best peer of this run\n`)
    for (const l of goalLines) console.log(l.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(gw[i]) : c.padStart(gw[i]))).join('  '))
    if (ours.inlinePerSecond !== undefined) {
      console.log(`\n${ourName} inline workerTask(x => x + 1): ${fmt(ours.inlinePerSecond / figures[best('trivialPerSecond', higher)].trivialPerSecond, 2)}x the best peer's trivial rate`)
    }
  }

  // --- JSON and SVG ----------------------------------------------------------------------------
  const sizes = {
    trivial: `${fmt(s.trivialTasks)} x inc, submitted at once`,
    inline: `${fmt(s.trivialTasks)} x inline x => x + 1, submitted at once`,
    roundTrip: `${fmt(s.roundTrips)} x inc, one at a time`,
    cpu: `${s.cpuTasks} x ${fmt(s.cpuIterations)} iterations (~${cpuTaskMs} ms)`,
    small: `${fmt(s.smallTasks)} x ${fmt(s.smallIterations)} iterations (~${smallTaskUs} us)`,
    idle: `${s.idleMs / 1000} s, ${threads} started workers`,
  }
  const results = []
  for (const library of ran) {
    const f = figures[library]
    const row = (workload, size, fields) => results.push({ workload, size, variant: library, workers: threads, ...fields })
    row('trivial', sizes.trivial, { medianMs: f.trivialMs, samples: s.samples, perSecond: f.trivialPerSecond })
    if (f.inlinePerSecond !== undefined) row('trivial-inline', sizes.inline, { medianMs: f.inlineMs, samples: s.samples, perSecond: f.inlinePerSecond })
    row('roundTrip', sizes.roundTrip, { p50Us: f.roundTripP50Us, p99Us: f.roundTripP99Us, samples: s.roundTrips })
    row('roundTrip16', `${sizes.roundTrip}, 16 loops at once`, { p50Us: f.roundTrip16P50Us, p99Us: f.roundTrip16P99Us, samples: s.roundTrips * 4 })
    row('modulo', 'k % (i + 1), 2e7 steps, one task', { mainThreadMs: f.moduloMainMs, medianMs: f.moduloPoolMs, speed: f.moduloSpeed, samples: s.samples })
    if (f.trivialCallbacksPerSecond !== undefined) row('trivial-callbacks', `${sizes.trivial}, addDoneCallback`, { perSecond: f.trivialCallbacksPerSecond, samples: s.samples })
    row('cpu', sizes.cpu, { medianMs: f.cpuParallelMs, mainThreadMs: f.cpuSerialMs, speedup: f.cpuSpeedup, samples: s.samples })
    row('small', sizes.small, { medianMs: f.smallMs, samples: s.samples })
    const mapSize = f.mapChunked ? `map(square, ${fmt(f.mapItems)} items), chunked` : `${fmt(f.mapItems)} x square, one task each`
    row('map', mapSize, { medianMs: f.mapMs, samples: s.samples, perSecond: f.mapPerSecond, stallMs: f.mapStallMs })
    if (f.tinySpeedup !== undefined) {
      row('mapTiny', `map(small, ${fmt(s.tinyItems)} items of ~${s.tinyTaskUs} us)`, { medianMs: f.tinyMapMs, mainThreadMs: f.tinySerialMs, speedup: f.tinySpeedup, samples: s.samples })
    }
    if (f.unevenRatio !== undefined) {
      row('uneven', `${fmt(s.unevenItems)} items of 2-20 x ~${s.unevenUnitUs} us: map vs submit each`, {
        medianMs: f.unevenMapMs,
        submitMs: f.unevenSubmitMs,
        submitOverMap: f.unevenRatio,
        samples: s.samples,
      })
    }
    row('idleCpu', sizes.idle, { cpuPercent: f.idleCpuPercent })
    if (f.startupMs !== undefined) {
      row('startup', 'import + open + first inc result, fresh process', { medianMs: f.startupMs, importMs: f.importMs, samples: s.startupRounds })
    }
  }
  const othersLoad = Object.fromEntries(ran.map((l) => [l, figures[l].othersLoad]))
  writeJson(jsonPath, { machine: machine(), settings: s, versions, results, goals, othersLoad, notes, failed: failures })

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
}
