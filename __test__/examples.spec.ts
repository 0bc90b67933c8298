/**
 * Every program in examples/ runs to completion (exit code 0, nothing on stderr) and prints
 * what it promises. They are compiled by `tsc -p examples/tsconfig.json` (npm test does it
 * first) and run by plain `node`, importing the package by its name, as a user's code would.
 */
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { describeRun, runNode } from './helpers.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const examples = join(root, 'examples')

/** Lines each example must print (timings and machine-dependent figures are not checked). */
const expected: Record<string, RegExp[]> = {
  'async-await': [/^request 6: ferris-executor, checksum \d+$/m, /^6 requests in \d+ ms; a 10 ms timer fired \d+ times/m],
  'batch-processing': [/^rms of 2000000 readings in 16 chunks: 0\.7071\d\d$/m, /^validated 10000\/10000$/m, /^records: 9896 valid, 104 invalid$/m],
  'cpu-bound': [
    /^one task: cpuIntensiveTask\(100\) = 4999999950000000$/m,
    /^worker tasks, \d+ workers: +10 calls in +\d+ ms$/m,
    /^speedup of worker tasks over the plain loop: [\d.]+x /m,
    /^results agree: true$/m,
  ],
  disposal: [
    /^the task finished before the block was left\nafter the block: ERR_EXECUTOR_SHUTDOWN$/m,
    /^try\/finally: 5$/m,
    /^cancelPending: running task finished, 3 queued cancelled$/m,
  ],
  exceptions: [/^rejected "abc": not a number$/m, /^allSettled: 2 fulfilled, 3 rejected$/m, /^kernel testing\.fail failed with ERR_KERNEL/m],
  futures: [/^kernel failed \(ERR_KERNEL\): testing\.fail: the input file is missing$/m, /^task failed: RangeError: negative input -1$/m, /^completed: slow JS task$/m, /^all jobs accounted for$/m],
  'memory-aware': [/^12 blocks of 40 MiB processed; the producer waited for memory \d+ times$/m],
  monitoring: [/^(\d+)\/\1 done, 0 running, 0 queued \| CPU \d+ % \| RSS \d+ MiB/m, /^run time p50 [\d.]+ ms/m],
  'native-vs-js': [/^native kernel over bands \(map, \d+ workers\) +[\d.]+ ms$/m, /^results agree: true /m],
  pipeline: [/^imap: 1000 results consumed, \d+ lines read from an endless source$/m, /^pipeline: \d+ written in 500 ms/m],
  priorities: [/^start order: urgent-1 urgent-2 normal-1 normal-2 normal-3 background-1 background-2 background-3$/m],
  schedulers: [/^WorkStealingScheduler +quick tasks wait/m, /^FifoScheduler +quick tasks wait/m, /^quick tasks finish [\d.]+x sooner with priorities$/m],
  'worker-tasks': [
    /^module export: sha256 of "ferris" x 100000 = 6f9e0ee43cf1bbac\.\.\.$/m,
    /^inline function: below 10000, the longest Collatz chain starts at 6171 \(261 steps\)$/m,
    /^outer variable: ReferenceError: limit is not defined$/m,
    /^transfer: 307200 pixels inverted to 55; the caller's array now has 0 elements$/m,
    /^shared memory: 1000 squares written in place, squares\[999\] = 998001$/m,
    /^timeout: ERR_TIMEOUT: the worker task ran longer than its 100 ms limit$/m,
    /^crash: ERR_FERRIS_WORKER_EXIT, exit code 3\nafter the crash: 111 118 178$/m,
    /^progress: 17984 primes below 200000, reported at 10 20 30 40 50 60 70 80 90 %$/m,
    /^recycling: after recycleWorkers\(\), the module has run 1 task in its new worker$/m,
    /^tasks: 30 completed, 3 failed; workers: \d+ alive, \d+ started, [1-9]\d* retired$/m,
    /^destroy: the endless task rejected with ERR_EXECUTOR_SHUTDOWN; 0 workers alive$/m,
  ],
}

const sources = readdirSync(examples)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))

test('every example has expectations here, and every expectation an example', (t) => {
  t.deepEqual([...sources].sort(), Object.keys(expected).sort())
})

/**
 * Two programs at a time (this machine's cores): thirteen at once on a loaded machine can push
 * one past its time limit.
 */
let running = 0
const waiting: (() => void)[] = []
async function inTurn<T>(run: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await run()
  } finally {
    running--
    waiting.shift()?.()
  }
}

for (const name of sources) {
  test(`examples/${name}`, async (t) => {
    const run = await inTurn(() => runNode([join(examples, `${name}.js`)], 60_000, root))
    t.is(run.code, 0, describeRun(run))
    t.is(run.stderr, '', describeRun(run))
    for (const line of expected[name] ?? []) t.regex(run.stdout, line, describeRun(run))
  })
}
