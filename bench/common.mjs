/** What the benchmarks share: command-line options, timing, the machine, the JSON output. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Bench } from 'tinybench'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * `--quick`, `--json FILE` (default `bench/results/<defaultName>`) and `--only a,b` (run only
 * the named cases; `undefined`: all).
 */
export function options(defaultName) {
  const args = process.argv.slice(2)
  const valueOf = (flag) => {
    const at = args.indexOf(flag)
    return at >= 0 ? args[at + 1] : undefined
  }
  const json = valueOf('--json')
  return {
    quick: args.includes('--quick'),
    jsonPath: json !== undefined ? resolve(json) : resolve(here, 'results', defaultName),
    only: valueOf('--only')?.split(','),
  }
}

export const CORES = availableParallelism()

/**
 * Prints the 1-minute load average, with a warning above 1: figures taken while something
 * else keeps the cores busy are not comparable with others. Returns it.
 */
export function loadAverage() {
  const load = loadavg()[0]
  console.log(`load average (1 min): ${fmt(load, 2)}`)
  if (load > 1) console.warn(`warning: the machine is busy (load ${fmt(load, 2)} > 1): these figures are not comparable with a quiet run's`)
  return load
}

export function machine() {
  return { cores: CORES, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, os: `${platform()} ${release()}` }
}

/**
 * Median milliseconds of `samples` runs of `fn`, after one warm-up run (tinybench);
 * `onRun` is called after each run, outside the timed window (for a progress bar).
 */
export async function measure(name, fn, samples, onRun = () => {}) {
  const bench = new Bench({ iterations: samples, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0, throws: true })
  bench.add(name, fn, { afterEach: () => onRun(name) })
  await bench.run()
  const result = bench.tasks[0].result
  if (result.state !== 'completed') throw new Error(`${name}: ${result.state}`)
  return result.latency.p50
}

/** A number with thousands separators and `digits` decimals. */
export function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(value, null, 2))
}

/** Seeded doubles in [-1, 1) in shared memory, which kernels read in place. */
export function sharedRandom(length, seed) {
  const data = new Float64Array(new SharedArrayBuffer(length * 8))
  let state = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    data[i] = (state >>> 0) / 2 ** 31 - 1
  }
  return data
}

/** Equal up to rounding: kernels may add in another order than their JS twins. */
export const closeTo = (actual, expected) => Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected))
export const sameFloats = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || closeTo(x, b[i]))

/** The median of `values` (the upper one of an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * Times `a` and `b` alternately (a-b, then b-a, ...), `samples` times each after one warm-up
 * of each, so that load from elsewhere hits both alike: the median milliseconds of each and
 * the median of the per-pair ratios a/b.
 */
export async function alternate(a, b, samples) {
  await a()
  await b()
  const [ta, tb, ratios] = [[], [], []]
  for (let i = 0; i < samples; i++) {
    const [first, second] = i % 2 === 0 ? [a, b] : [b, a]
    let start = performance.now()
    await first()
    const t1 = performance.now() - start
    start = performance.now()
    await second()
    const t2 = performance.now() - start
    const [x, y] = i % 2 === 0 ? [t1, t2] : [t2, t1]
    ta.push(x)
    tb.push(y)
    ratios.push(x / y)
  }
  return { aMs: median(ta), bMs: median(tb), ratio: median(ratios) }
}
