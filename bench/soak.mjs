/**
 * Soak: a steady, modest mixed load on one executor for a long time, with the resident set
 * size sampled at a fixed interval, to show that nothing accumulates (futures, tasks, timers,
 * abort listeners, native queue nodes).
 *
 * Each tick (every 10 ms) submits `rate / 100` tasks: JS sync, JS async (awaiting a timer)
 * and native (`spin`) in equal shares, all priorities, with about 1 % throwing, 1 % cancelled,
 * 1 % aborted by a signal and 1 % timing out. Every `sample` seconds it records the RSS
 * (after a full GC when node runs with --expose-gc, as `npm run soak` does) and the stats.
 * The first `warmup` seconds are excluded; drift is the relative change from the median of
 * the first three samples after warm-up to the median of the last three.
 *
 *   npm run soak                                         # 10 minutes, 2 000 tasks/s
 *   node --expose-gc bench/soak.mjs --seconds 60 --rate 1000 --sample 5 --warmup 10
 *
 * Exits 1 if a future is left pending, the stats do not add up, or the drift exceeds 5 %
 * (checked only when at least six samples follow the warm-up).
 */
import { availableParallelism } from 'node:os'

import { CancelledError, Executor, TaskPriority, TimeoutError, kernels } from '../dist/index.js'
import { option } from './options.mjs'

const SECONDS = option('seconds', 600)
const RATE = option('rate', 2000)
const SAMPLE_S = option('sample', 10)
const WARMUP_S = option('warmup', Math.min(120, SECONDS / 5))
const MAX_DRIFT = 0.05
const TICK_MS = 10

const PRIORITIES = [TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.LOW]
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const executor = new Executor({ maxWorkers: availableParallelism() })
let accepted = 0
let settled = 0
let refused = 0
let wrong = 0
let n = 0

function submitOne() {
  const i = n++
  const roll = (i * 7919) % 400 // deterministic mix: 4 per 400 of each special case
  const priority = PRIORITIES[i % 3]
  const kind = Math.floor(i / 3) % 3
  let fn
  let fnArgs
  let timeout
  let check
  const controller = roll === 2 ? new AbortController() : undefined
  if (roll === 0) {
    fn = () => { throw new RangeError('soak') }
    fnArgs = []
    check = (f) => f.exception().then((e) => e instanceof RangeError)
  } else if (roll === 3) {
    fn = kind === 2 ? kernels.spin : () => new Promise(() => {})
    fnArgs = kind === 2 ? [1e15] : []
    timeout = kind === 2 ? 0 : 1
    check = (f) => f.exception().then((e) => e instanceof TimeoutError)
  } else {
    fn = kind === 0 ? (a) => a + 1 : kind === 1 ? async (a) => { await delay(1); return a + 1 } : kernels.spin
    fnArgs = kind === 2 ? [100] : [i]
    check = (f) =>
      f.cancelled()
        ? f.exception().then(() => false, (e) => e instanceof CancelledError)
        : f.result().then((v) => (kind === 2 ? typeof v === 'number' : v === i + 1), () => false)
  }
  let future
  try {
    future = executor.submit(fn, fnArgs, { priority, timeout, signal: controller?.signal })
  } catch {
    refused++
    return
  }
  accepted++
  future.addDoneCallback((f) => {
    settled++
    check(f).then((ok) => ok || wrong++)
  })
  if (roll === 1) setImmediate(() => future.cancel())
  if (controller) setImmediate(() => controller.abort())
}

const samples = []
const started = performance.now()
const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000))
let nextSample = started + SAMPLE_S * 1000
console.log(`soak: ${SECONDS} s at ${RATE} tasks/s, RSS every ${SAMPLE_S} s, warm-up ${WARMUP_S} s, gc ${typeof globalThis.gc === 'function' ? 'forced before each sample' : 'not exposed'}`)
while (performance.now() - started < SECONDS * 1000) {
  for (let k = 0; k < perTick; k++) submitOne()
  await delay(TICK_MS)
  if (performance.now() >= nextSample) {
    nextSample += SAMPLE_S * 1000
    globalThis.gc?.()
    const rss = process.memoryUsage.rss()
    const t = (performance.now() - started) / 1000
    samples.push({ t, rss })
    const s = executor.getStats()
    console.log(`t=${t.toFixed(0).padStart(4)} s  rss=${(rss / 2 ** 20).toFixed(1)} MiB  submitted=${s.submittedTasks} pending=${accepted - settled} queued=${s.queuedTasks} cpu=${executor.getCpuUsage().toFixed(0)}%`)
  }
}
const deadline = Date.now() + 30_000
while (settled < accepted && Date.now() < deadline) await delay(10)
await delay(10)

const failures = []
if (settled !== accepted) failures.push(`${accepted - settled} futures still pending 30 s after the load stopped`)
if (wrong > 0) failures.push(`${wrong} futures settled with the wrong outcome`)
const s = executor.getStats()
if (s.submittedTasks !== accepted) failures.push(`submittedTasks ${s.submittedTasks} != ${accepted}`)
if (s.submittedTasks !== s.completedTasks + s.failedTasks + s.cancelledTasks) failures.push('submitted != completed + failed + cancelled')
if (s.rejectedTasks !== refused) failures.push(`rejectedTasks ${s.rejectedTasks} != ${refused}`)
await executor.shutdown()

const steady = samples.filter((x) => x.t >= WARMUP_S)
let drift
if (steady.length >= 6) {
  const first = median(steady.slice(0, 3).map((x) => x.rss))
  const last = median(steady.slice(-3).map((x) => x.rss))
  drift = (last - first) / first
  if (Math.abs(drift) > MAX_DRIFT) failures.push(`RSS drift ${(drift * 100).toFixed(1)} % > ${MAX_DRIFT * 100} %`)
}
const result = {
  seconds: SECONDS,
  rate: RATE,
  tasks: accepted,
  refused,
  rssMiB: samples.map((x) => Number((x.rss / 2 ** 20).toFixed(1))),
  driftPercent: drift === undefined ? null : Number((drift * 100).toFixed(2)),
  failures,
}
console.log(`soak: ${accepted} tasks, every one settled with the right outcome: ${failures.length === 0 ? 'yes' : 'NO'}; RSS drift after warm-up: ${drift === undefined ? 'not measured (too few samples)' : `${(drift * 100).toFixed(2)} %`}`)
if (failures.length > 0) console.log(`soak: FAILED\n  ${failures.join('\n  ')}`)
console.log(JSON.stringify(result))
process.exitCode = failures.length === 0 ? 0 : 1
