/**
 * What loading a kernel from a plugin costs, side by side in one run:
 *   1. the example plugin's `scale` against the built-in `testing.scale`, compiled from the
 *      same source file, on 1e7 doubles (all workers);
 *   2. the task rate of a trivial plugin kernel (`fixture.echo(0)` of the test plugin)
 *      against the built-in `spin(0)`, in bursts of submits;
 *   3. plugin `scale` on every worker against one worker, next to the memory-bound ceiling of
 *      the same loop on plain threads (crates/kernels/examples/memory_ceiling.rs, which also
 *      times the built-in twin on the pool without JavaScript, alternating with it).
 * Samples of the two sides alternate, so that load from elsewhere hits both alike; figures
 * are medians, and each ratio is the median of the per-pair ratios.
 *
 *   npm run build:plugins && npm run bench:plugins            # writes bench/results/plugins.json
 *   npm run bench:plugins -- --quick                          # fewer samples, smaller sizes
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Executor, getKernel, kernels, registerKernels } from '../dist/index.js'
import { alternate, CORES, fmt, machine, options, writeJson } from './common.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { quick, jsonPath } = options('plugins.json')
const SAMPLES = quick ? 5 : 21
const LENGTH = quick ? 1_000_000 : 10_000_000
const BURST = quick ? 5_000 : 20_000

function library(dir, crate) {
  const stem = crate.replaceAll('-', '_')
  const file = process.platform === 'win32' ? `${stem}.dll` : `lib${stem}.${process.platform === 'darwin' ? 'dylib' : 'so'}`
  return join(dir, file)
}

const { scale } = registerKernels(library(join(root, 'examples', 'kernel-plugin', 'target', 'release'), 'ferris-kernel-plugin-example'))
const { 'fixture.echo': echo } = registerKernels(library(join(root, 'target', 'release'), 'ferris-test-plugin'))
const builtinScale = getKernel('testing.scale')

/** The two sides sampled alternately (common.mjs). */
const pair = (a, b) => alternate(a, b, SAMPLES)

const data = new Float64Array(new SharedArrayBuffer(LENGTH * 8)).map((_, i) => i)
const all = new Executor({ maxWorkers: CORES, queueCapacity: BURST })

// Correct results first.
for (const kernel of [scale, builtinScale]) {
  const out = await all.submit(kernel, [data, 1.5])
  if (out.length !== LENGTH || out[LENGTH - 1] !== (LENGTH - 1) * 1.5) throw new Error(`${kernel.name}: wrong result`)
}
if ((await all.submit(echo, [7])) !== 7) throw new Error('fixture.echo: wrong result')

const sameLoop = await pair(
  () => all.submit(scale, [data, 1.5]),
  () => all.submit(builtinScale, [data, 1.5]),
)

const burst = (kernel) => () => Promise.all(Array.from({ length: BURST }, () => all.submit(kernel, [0])))
const rate = await pair(burst(echo), burst(kernels.spin))

// Executors of their own, so that their run-time statistics hold only these calls: the
// kernel's own time, without the delivery of its 80 MB result to JavaScript.
const [one, many] = [new Executor({ maxWorkers: 1 }), new Executor({ maxWorkers: CORES })]
const scaling = await pair(
  () => one.submit(scale, [data, 1.5]),
  () => many.submit(scale, [data, 1.5]),
)
const kernelMs = [one, many].map((ex) => ex.getStats().runTime.p50)
await Promise.all([all.shutdown(), one.shutdown(), many.shutdown()])

// The ceiling: the same loop on plain threads (built and run by cargo, timed by itself).
const ceilingOut = execFileSync(
  'cargo',
  ['run', '--quiet', '--release', '-p', 'ferris-kernels', '--example', 'memory_ceiling', '--', String(LENGTH), String(SAMPLES)],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
)
const ceiling = JSON.parse(ceilingOut.trim().split('\n').pop())

const figures = [
  {
    figure: `plugin scale / built-in testing.scale (same loop, ${LENGTH.toExponential(0)} doubles, ${CORES} workers)`,
    value: sameLoop.ratio,
    goal: '<= 1.05',
    detail: `${fmt(sameLoop.aMs, 1)} ms vs ${fmt(sameLoop.bMs, 1)} ms`,
  },
  {
    figure: `plugin fixture.echo(0) tasks/s / spin(0) tasks/s (bursts of ${BURST})`,
    value: 1 / rate.ratio,
    goal: '>= 0.95',
    detail: `${fmt((BURST / rate.aMs) * 1000)} vs ${fmt((BURST / rate.bMs) * 1000)} tasks/s`,
  },
  {
    figure: `plugin scale N/1 on ${CORES} workers (${LENGTH.toExponential(0)} doubles)`,
    value: scaling.ratio,
    goal: `>= 0.9 x ceiling = ${fmt(0.9 * ceiling.speedup, 2)}`,
    detail: `${fmt(scaling.aMs, 1)} ms on 1, ${fmt(scaling.bMs, 1)} ms on ${CORES}`,
  },
  {
    figure: `the same, kernel run time only (runTime p50, without the result's delivery)`,
    value: kernelMs[0] / kernelMs[1],
    goal: '(reference)',
    detail: `${fmt(kernelMs[0], 1)} ms on 1, ${fmt(kernelMs[1], 1)} ms on ${CORES}`,
  },
  {
    figure: `memory-bound ceiling: the same loop on ${ceiling.threads} plain threads / 1`,
    value: ceiling.speedup,
    goal: '(reference)',
    detail: `${fmt(ceiling.oneMs, 1)} ms on 1, ${fmt(ceiling.allMs, 1)} ms on ${ceiling.threads}`,
  },
  {
    figure: `built-in testing.scale on a pool of ${ceiling.threads} / 1, no JavaScript (alternating with the ceiling)`,
    value: ceiling.poolSpeedup,
    goal: '(reference)',
    detail: `${fmt(ceiling.poolOneMs, 1)} ms on 1, ${fmt(ceiling.poolAllMs, 1)} ms on ${ceiling.threads}`,
  },
]

console.log(`\nferris-executor kernel plugins: medians of ${SAMPLES} alternating samples, ${CORES} cores, ${machine().cpu}\n`)
console.log('| figure | measured | goal | medians |')
console.log('| --- | --- | --- | --- |')
for (const f of figures) console.log(`| ${f.figure} | ${fmt(f.value, 2)} | ${f.goal} | ${f.detail} |`)
writeJson(jsonPath, { machine: machine(), samples: SAMPLES, length: LENGTH, burst: BURST, sameLoop, rate, scaling, kernelMs, ceiling, figures })
console.log(`\nwrote ${jsonPath}`)
