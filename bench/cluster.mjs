/**
 * `ferris-executor/bullmq` on a local Redis (started here: scripts/redis-server.mjs), side by
 * side in one run:
 *   1. CPU-bound jobs of about 20 ms, a kernel (`spin`) and a worker task (`fib`, the JS twin
 *      from twins.mjs), through a `QueueExecutor` served by 1 process and by 2 processes (each
 *      an executor of one worker and one worker thread); next to the ceiling of this machine
 *      at the time: the same jobs run by 1 and by 2 processes on local executors, no queue;
 *   2. trivial jobs (`echo(x) => x`) served by `serve` against a plain BullMQ `Worker` running
 *      the same function, each one process of concurrency 1; jobs are submitted at once and
 *      every result is awaited by the producer (a `QueueExecutor`, and a `Queue.addBulk` with
 *      `QueueEvents` for the plain worker); and, for reference, the plain worker calling
 *      `executor.submit(echo)` itself, which isolates what the executor adds per job, and
 *      `serve` against that worker, which isolates what the queue layer adds (codec, job
 *      format, priorities, the client's futures).
 * Every serving process is started before the first sample and serves its own queue; samples
 * of the compared sides alternate, so that load from elsewhere hits both alike. Figures are
 * medians; each ratio is the median of the per-pair ratios.
 *
 *   npm run bench:cluster                # writes bench/results/cluster.json
 *   npm run bench:cluster -- --quick     # fewer samples and jobs
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

import { Queue, QueueEvents } from 'bullmq'

import { Executor, kernels, workerTask } from '../dist/index.js'
import { QueueExecutor } from '../dist/lib/bullmq/index.js'
import { startRedis } from '../scripts/redis-server.mjs'
import { alternate, fmt, machine, median, options, writeJson } from './common.mjs'

const { quick, jsonPath } = options('cluster.json')
const SAMPLES = quick ? 3 : 7
const CPU_JOBS = quick ? 20 : 60
const TRIVIAL_JOBS = quick ? 500 : 2_000
/** The CPU-bound job: about 20 ms of one core. */
const TARGET_MS = 20

const SERVE_SCRIPT = fileURLToPath(new URL('./cluster-serve.mjs', import.meta.url))

function startServing(port, queue, kind) {
  const child = spawn(process.execPath, [SERVE_SCRIPT, JSON.stringify({ port, queue, kind })], { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a serving process exited (${code}) before it was ready`)))
    child.stdout.setEncoding('utf8').on('data', (d) => d.includes('ready') && resolve(child))
  })
}

/** Median milliseconds of 9 runs of `task(arg)` on `executor`. */
async function timeTask(executor, task, arg) {
  const times = []
  for (let i = 0; i < 9; i++) {
    const start = performance.now()
    await executor.submit(task, [arg])
    times.push(performance.now() - start)
  }
  return median(times)
}

/**
 * The arguments that make each CPU-bound task take about TARGET_MS on this machine, and the
 * median of 9 local runs with them: `spin` iterations scale linearly; `fib(n)` grows by the
 * golden ratio per step, so n is the step closest to the target.
 */
async function calibrate() {
  const executor = new Executor({ maxWorkers: 1 })
  let iterations = 1_000_000
  let ms
  // (grow until a run is long enough to scale from without timer noise)
  while ((ms = await timeTask(executor, kernels.spin, iterations)) < 5) iterations *= 4
  iterations = Math.round((iterations * TARGET_MS) / ms)
  const fib = workerTask(new URL('./twins.mjs', import.meta.url), 'fib')
  let n = 15
  while ((await timeTask(executor, fib, n + 1)) < TARGET_MS) n++
  if (Math.abs((await timeTask(executor, fib, n + 1)) - TARGET_MS) < Math.abs((await timeTask(executor, fib, n)) - TARGET_MS)) n++
  const result = {
    spin: { arg: iterations, localMs: await timeTask(executor, kernels.spin, iterations) },
    fib: { arg: n, localMs: await timeTask(executor, fib, n) },
  }
  await executor.shutdown()
  return result
}

/** The two sides sampled alternately (common.mjs). */
const pair = (a, b) => alternate(a, b, SAMPLES)

/** Resolves once `child` (a 'local' serving process) has run `n` jobs `name(arg)`. */
function runLocal(child, name, n, arg) {
  return new Promise((resolve) => {
    const onData = (data) => {
      if (!data.includes('done')) return
      child.stdout.off('data', onData)
      resolve()
    }
    child.stdout.on('data', onData)
    child.stdin.write(`${name} ${n} ${arg}\n`)
  })
}

/** A plain BullMQ producer: adds `n` jobs in one `addBulk` and resolves once each one's completion event is read. */
function plainProducer(connection, queue) {
  const producer = new Queue(queue, { connection })
  const events = new QueueEvents(queue, { connection })
  const waiting = new Map()
  events.on('completed', ({ jobId, returnvalue }) => waiting.get(jobId)?.(returnvalue))
  return {
    ready: () => Promise.all([producer.waitUntilReady(), events.waitUntilReady()]),
    async run(n) {
      const ids = Array.from({ length: n }, () => randomUUID())
      const done = ids.map((id) => new Promise((resolve) => waiting.set(id, resolve)))
      await producer.addBulk(ids.map((jobId, x) => ({ name: 'echo', data: { x }, opts: { jobId, removeOnComplete: true } })))
      const results = await Promise.all(done)
      for (const id of ids) waiting.delete(id)
      if (results[n - 1] !== n - 1) throw new Error('plain worker: wrong result')
    },
    close: () => Promise.all([events.close(), producer.close()]),
  }
}

const loadBefore = loadavg()[0]
const redis = await startRedis()
const children = []
try {
  const { connection, port } = redis
  const calibration = await calibrate()
  const queues = { one: randomUUID(), two: randomUUID(), trivial: randomUUID(), plain: randomUUID(), plainExecutor: randomUUID() }
  const serving = [
    [queues.one, 'ferris'],
    [queues.two, 'ferris'],
    [queues.two, 'ferris'],
    [queues.trivial, 'ferris'],
    [queues.plain, 'plain'],
    [queues.plainExecutor, 'plain-executor'],
    [undefined, 'local'],
    [undefined, 'local'],
  ]
  for (const [queue, kind] of serving) {
    children.push(await startServing(port, queue, kind))
  }
  const client = (queue) => new QueueExecutor({ queue, connection, jobOptions: { removeOnComplete: true } })
  const [one, two, trivial] = [client(queues.one), client(queues.two), client(queues.trivial)]
  const [plain, plainExecutor] = [plainProducer(connection, queues.plain), plainProducer(connection, queues.plainExecutor)]
  await Promise.all([plain.ready(), plainExecutor.ready()])

  const [localA, localB] = children.slice(-2)
  /** Per CPU-bound task: 1 serving process against 2, and the same without the queue. */
  const cpu = {}
  for (const [name, { arg }] of Object.entries(calibration)) {
    const jobs = (executor) => async () => {
      const results = await Promise.all(Array.from({ length: CPU_JOBS }, () => executor.submit(name, [arg])))
      if (results.length !== CPU_JOBS || typeof results[0] !== 'number') throw new Error(`${name}: wrong result`)
    }
    cpu[name] = {
      queue: await pair(jobs(one), jobs(two)),
      ceiling: await pair(
        () => runLocal(localA, name, CPU_JOBS, arg),
        () => Promise.all([runLocal(localA, name, CPU_JOBS / 2, arg), runLocal(localB, name, CPU_JOBS / 2, arg)]),
      ),
    }
  }
  const trivialJobs = async () => {
    const results = await Promise.all(Array.from({ length: TRIVIAL_JOBS }, (_, x) => trivial.submit('echo', [x])))
    if (results[TRIVIAL_JOBS - 1] !== TRIVIAL_JOBS - 1) throw new Error('serve: wrong result')
  }
  const rate = await pair(trivialJobs, () => plain.run(TRIVIAL_JOBS))
  const executorCost = await pair(() => plainExecutor.run(TRIVIAL_JOBS), () => plain.run(TRIVIAL_JOBS))
  const layerCost = await pair(trivialJobs, () => plainExecutor.run(TRIVIAL_JOBS))
  await Promise.all([one.close(), two.close(), trivial.close(), plain.close(), plainExecutor.close()])

  const perSecond = (jobs, ms) => (jobs / ms) * 1000
  const kinds = { spin: 'kernel', fib: 'worker-task' }
  const figures = Object.entries(cpu).flatMap(([name, { queue, ceiling }]) => [
    {
      figure: `2 serving processes / 1, CPU-bound ${kinds[name]} jobs/s (${CPU_JOBS} ${name} jobs of ~${TARGET_MS} ms, maxWorkers 1 each)`,
      value: queue.ratio,
      goal: '>= 1.8',
      detail: `${fmt(perSecond(CPU_JOBS, queue.aMs), 1)} jobs/s on 1, ${fmt(perSecond(CPU_JOBS, queue.bMs), 1)} on 2`,
    },
    {
      figure: `(ceiling) the same ${name} jobs on local executors in 2 processes / 1, no queue`,
      value: ceiling.ratio,
      goal: '',
      detail: `${fmt(perSecond(CPU_JOBS, ceiling.aMs), 1)} jobs/s on 1, ${fmt(perSecond(CPU_JOBS, ceiling.bMs), 1)} on 2`,
    },
  ])
  figures.push(
    {
      figure: `trivial jobs/s, serve / plain BullMQ Worker (${TRIVIAL_JOBS} echo jobs, concurrency 1)`,
      value: 1 / rate.ratio,
      goal: '>= 0.9',
      detail: `${fmt(perSecond(TRIVIAL_JOBS, rate.aMs))} vs ${fmt(perSecond(TRIVIAL_JOBS, rate.bMs))} jobs/s`,
    },
    {
      figure: `(reference) trivial jobs/s, plain Worker calling executor.submit(echo) / plain Worker`,
      value: 1 / executorCost.ratio,
      goal: '',
      detail: `${fmt(perSecond(TRIVIAL_JOBS, executorCost.aMs))} vs ${fmt(perSecond(TRIVIAL_JOBS, executorCost.bMs))} jobs/s`,
    },
    {
      figure: `(reference) trivial jobs/s, serve / plain Worker calling executor.submit(echo)`,
      value: 1 / layerCost.ratio,
      goal: '',
      detail: `${fmt(perSecond(TRIVIAL_JOBS, layerCost.aMs))} vs ${fmt(perSecond(TRIVIAL_JOBS, layerCost.bMs))} jobs/s`,
    },
  )
  console.log(`\nferris-executor over BullMQ, local redis-server: medians of ${SAMPLES} alternating samples, ${machine().cores} cores, ${machine().cpu}`)
  const load = { before: loadBefore, after: loadavg()[0] }
  const { spin, fib } = calibration
  console.log(`spin(${fmt(spin.arg)}) takes ${fmt(spin.localMs, 1)} ms and fib(${fib.arg}) ${fmt(fib.localMs, 1)} ms on a local executor`)
  console.log(`1-minute load average ${fmt(load.before, 2)} before, ${fmt(load.after, 2)} after\n`)
  console.log('| figure | measured | goal | medians |')
  console.log('| --- | --- | --- | --- |')
  for (const f of figures) console.log(`| ${f.figure} | ${fmt(f.value, 2)} | ${f.goal} | ${f.detail} |`)
  writeJson(jsonPath, { machine: machine(), load, samples: SAMPLES, cpuJobs: CPU_JOBS, trivialJobs: TRIVIAL_JOBS, calibration, cpu, rate, executorCost, layerCost, figures })
  console.log(`\nwrote ${jsonPath}`)
} finally {
  for (const child of children) child.kill('SIGKILL')
  await redis.stop()
}
