/**
 * `ferris-executor/bullmq` on a local Redis (started here: scripts/redis-server.mjs), side by
 * side in one run:
 *   1. CPU-bound kernel jobs (`spin`, calibrated to about 20 ms) through a `QueueExecutor`,
 *      served by 1 process and by 2 processes (each an executor of one worker); next to the
 *      ceiling of this machine at the time: the same jobs run by 1 and by 2 processes on
 *      local executors, without the queue;
 *   2. trivial jobs (`echo(x) => x`) served by `serve` against a plain BullMQ `Worker` running
 *      the same function, each one process of concurrency 1; jobs are submitted at once and
 *      every result is awaited by the producer (a `QueueExecutor`, and a `Queue.addBulk` with
 *      `QueueEvents` for the plain worker); and, for reference, the plain worker calling
 *      `executor.submit(echo)` itself, which isolates what the executor adds per job.
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

import { Executor, kernels } from '../dist/index.js'
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

/** Median milliseconds of 9 runs of `spin(iterations)` on `executor`. */
async function timeSpin(executor, iterations) {
  const times = []
  for (let i = 0; i < 9; i++) {
    const start = performance.now()
    await executor.submit(kernels.spin, [iterations])
    times.push(performance.now() - start)
  }
  return median(times)
}

/** `spin` iterations for about TARGET_MS on this machine, and the median of 9 local runs of it. */
async function calibrate() {
  const executor = new Executor({ maxWorkers: 1 })
  let iterations = 1_000_000
  let ms
  // (grow until a run is long enough to scale from without timer noise)
  while ((ms = await timeSpin(executor, iterations)) < 5) iterations *= 4
  iterations = Math.round((iterations * TARGET_MS) / ms)
  const localMs = await timeSpin(executor, iterations)
  await executor.shutdown()
  return { iterations, localMs }
}

/** The two sides sampled alternately (common.mjs). */
const pair = (a, b) => alternate(a, b, SAMPLES)

/** Resolves once `child` (a 'local' serving process) has run `n` spin jobs. */
function runLocal(child, n, iterations) {
  return new Promise((resolve) => {
    const onData = (data) => {
      if (!data.includes('done')) return
      child.stdout.off('data', onData)
      resolve()
    }
    child.stdout.on('data', onData)
    child.stdin.write(`${n} ${iterations}\n`)
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
  const { iterations, localMs } = await calibrate()
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

  const cpuJobs = (executor) => async () => {
    const results = await Promise.all(Array.from({ length: CPU_JOBS }, () => executor.submit('spin', [iterations])))
    if (results.length !== CPU_JOBS || typeof results[0] !== 'number') throw new Error('wrong result')
  }
  const cpu = await pair(cpuJobs(one), cpuJobs(two))
  const [localA, localB] = children.slice(-2)
  const ceiling = await pair(
    () => runLocal(localA, CPU_JOBS, iterations),
    () => Promise.all([runLocal(localA, CPU_JOBS / 2, iterations), runLocal(localB, CPU_JOBS / 2, iterations)]),
  )
  const trivialJobs = async () => {
    const results = await Promise.all(Array.from({ length: TRIVIAL_JOBS }, (_, x) => trivial.submit('echo', [x])))
    if (results[TRIVIAL_JOBS - 1] !== TRIVIAL_JOBS - 1) throw new Error('serve: wrong result')
  }
  const rate = await pair(trivialJobs, () => plain.run(TRIVIAL_JOBS))
  const executorCost = await pair(() => plainExecutor.run(TRIVIAL_JOBS), () => plain.run(TRIVIAL_JOBS))
  await Promise.all([one.close(), two.close(), trivial.close(), plain.close(), plainExecutor.close()])

  const perSecond = (jobs, ms) => (jobs / ms) * 1000
  const figures = [
    {
      figure: `2 serving processes / 1, CPU-bound kernel jobs/s (${CPU_JOBS} spin jobs of ~${TARGET_MS} ms, maxWorkers 1 each)`,
      value: cpu.ratio,
      goal: '>= 1.8',
      detail: `${fmt(perSecond(CPU_JOBS, cpu.aMs), 1)} jobs/s on 1, ${fmt(perSecond(CPU_JOBS, cpu.bMs), 1)} on 2`,
    },
    {
      figure: `(ceiling) the same jobs on local executors in 2 processes / 1, no queue`,
      value: ceiling.ratio,
      goal: '',
      detail: `${fmt(perSecond(CPU_JOBS, ceiling.aMs), 1)} jobs/s on 1, ${fmt(perSecond(CPU_JOBS, ceiling.bMs), 1)} on 2`,
    },
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
  ]
  console.log(`\nferris-executor over BullMQ, local redis-server: medians of ${SAMPLES} alternating samples, ${machine().cores} cores, ${machine().cpu}`)
  const load = { before: loadBefore, after: loadavg()[0] }
  console.log(`spin(${fmt(iterations)}) takes ${fmt(localMs, 1)} ms on a local executor; 1-minute load average ${fmt(load.before, 2)} before, ${fmt(load.after, 2)} after\n`)
  console.log('| figure | measured | goal | medians |')
  console.log('| --- | --- | --- | --- |')
  for (const f of figures) console.log(`| ${f.figure} | ${fmt(f.value, 2)} | ${f.goal} | ${f.detail} |`)
  writeJson(jsonPath, { machine: machine(), load, samples: SAMPLES, cpuJobs: CPU_JOBS, trivialJobs: TRIVIAL_JOBS, iterations, cpu, ceiling, rate, executorCost, figures })
  console.log(`\nwrote ${jsonPath}`)
} finally {
  for (const child of children) child.kill('SIGKILL')
  await redis.stop()
}
