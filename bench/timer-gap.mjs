/**
 * How long timers wait while the executor runs synchronous JS tasks: 64 tasks of 10 ms each
 * under a 5 ms interval timer, for several `maxWorkers`; prints the longest gap between two
 * ticks (the goal: one task's run time plus the 4 ms slice, about 14 ms) and the median of
 * `RUNS` runs, and writes bench/results/timer-gap.json.
 *
 *   node bench/timer-gap.mjs
 */
import { Executor } from '../dist/index.js'
import { fmt, machine, options, writeJson } from './common.mjs'

const { jsonPath } = options('timer-gap.json')
const TASKS = 64
const TASK_MS = 10
const TICK_MS = 5
const RUNS = 5

function busy(ms) {
  const start = performance.now()
  while (performance.now() - start < ms);
}

async function longestGap(maxWorkers) {
  const executor = new Executor({ maxWorkers })
  let last = performance.now()
  let longest = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, TICK_MS)
  last = performance.now()
  await Promise.all(Array.from({ length: TASKS }, () => executor.submit(() => busy(TASK_MS))))
  clearInterval(timer)
  await executor.shutdown()
  return longest
}

const rows = []
for (const maxWorkers of [1, 2, 4, 16]) {
  const gaps = []
  for (let i = 0; i < RUNS; i++) gaps.push(await longestGap(maxWorkers))
  gaps.sort((a, b) => a - b)
  rows.push({ maxWorkers, medianMs: gaps[RUNS >> 1], maxMs: gaps[RUNS - 1], runs: gaps })
}
console.log(`longest gap between ${TICK_MS} ms timer ticks, ${TASKS} sync tasks of ${TASK_MS} ms (${RUNS} runs)`)
console.log('maxWorkers  median ms  worst ms')
for (const r of rows) console.log(`${String(r.maxWorkers).padStart(10)}  ${fmt(r.medianMs, 1).padStart(9)}  ${fmt(r.maxMs, 1).padStart(8)}`)
writeJson(jsonPath, { machine: machine(), tasks: TASKS, taskMs: TASK_MS, tickMs: TICK_MS, results: rows })
