/**
 * Faults of `ferris-executor/bullmq` on a real `redis-server`: a serving process killed with
 * SIGKILL mid-job (its jobs go to another serving process once their locks expire, and each
 * future settles once), and Redis restarted with an append-only file while jobs are queued
 * and while they run (nothing is lost, clients and servers reconnect).
 *
 * Ordered assertions and counts only; the waits are generous deadlines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'
import { Job } from 'bullmq'
import { Redis } from 'ioredis'

import { kernels, workerTask } from '../index.js'
import { decodeValue } from '../lib/bullmq/codec.js'
import { JobFailedError, QueueExecutor } from '../lib/bullmq/index.js'
import { jobEvents, queueName, rawQueue, redisProxy, serveFor, startRedis, waitForStats } from './bullmq-helpers.js'
import { spinTwin, waitUntil } from './helpers.js'

const SERVE_SCRIPT = fileURLToPath(new URL('./fixtures/bullmq-serve.mjs', import.meta.url))

/** A serving child process; `lines` collects what it prints. */
function serveChild(config: object): { child: ChildProcessWithoutNullStreams; lines: string[]; stderr: () => string } {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, [SERVE_SCRIPT, JSON.stringify(config)], { env })
  const lines: string[] = []
  let buffered = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    buffered += data
    const parts = buffered.split('\n')
    buffered = parts.pop()!
    lines.push(...parts)
  })
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data))
  return { child, lines, stderr: () => stderr }
}

test.serial('a serving process killed mid-job (a kernel and a worker task): another one completes its jobs, each future settles once', async (t) => {
  const redis = await startRedis()
  t.teardown(() => redis.stop())
  const queue = queueName()
  const client = new QueueExecutor({ queue, connection: redis.connection })
  t.teardown(() => client.close({ wait: false }))

  // A takes two jobs at once and holds their locks for 2 s past its death. (Every process
  // on a queue must share `stalledInterval`: the check runs at most once per interval of
  // whichever process ran it last.)
  const stalledInterval = 300
  const a = serveChild({ port: redis.port, queue, name: 'A', maxWorkers: 2, worker: { lockDuration: 2_000, stalledInterval } })
  t.teardown(() => void a.child.kill('SIGKILL'))
  await waitUntil(() => a.lines.includes('ready'), `A to be ready; stderr: ${a.stderr()}`, 30_000)

  // One kernel and one worker task, both mid-run when A dies. 6 s: far longer than the spec
  // needs from A's start of the jobs to the kill, even on a stalled machine.
  const long = [client.submit('sleep', [6_000]), client.submit('hold', [6_000])]
  const settled = new Map<unknown, number>()
  for (const f of long) f.addDoneCallback(() => settled.set(f, (settled.get(f) ?? 0) + 1))
  await waitUntil(() => a.lines.filter((l) => l.startsWith('active ')).length === 2, 'A to start both jobs', 30_000)
  const killedJobs = a.lines.filter((l) => l.startsWith('active ')).map((l) => l.slice('active '.length))
  const counts = [1, 20, 300, 4000]
  const short = counts.map((n) => client.submit('spin', [n]))

  const exited = new Promise((resolve) => a.child.once('exit', (_code, signal) => resolve(signal)))
  a.child.kill('SIGKILL')
  t.is(await exited, 'SIGKILL')
  t.false(long.some((f) => f.done()), 'nothing settled while A held the jobs')

  // B checks for stalled jobs often; its own locks are long (it is never killed).
  const hold = workerTask((ms: number) => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
    return ms
  })
  await serveFor(t, redis, queue, { sleep: kernels.sleep, spin: kernels.spin, hold }, { worker: { name: 'B', stalledInterval } })
  t.deepEqual(await Promise.all(long), [null, 6_000])
  t.deepEqual(await Promise.all(short), counts.map(spinTwin))

  const raw = rawQueue(t, redis, queue)
  for (const jobId of killedJobs) {
    const job = (await Job.fromId(raw, jobId))!
    t.is(job.processedBy, 'B', `job ${jobId} finished by B`)
    t.is(job.attemptsStarted, 2, `job ${jobId} started by A, then by B`)
    const events = await jobEvents(redis, queue, jobId)
    t.is(events.filter((e) => e === 'completed').length, 1, `job ${jobId} events: ${events.join()}`)
    t.is(events.filter((e) => e === 'failed').length, 0)
  }
  t.deepEqual([...settled.values()], [1, 1], 'each future settled exactly once')
  t.like(await client.getStats(), { submittedJobs: 6, completedJobs: 6, failedJobs: 0, pendingJobs: 0 })
})

test.serial('Redis restarted (append-only file) with jobs queued and running: nothing lost, everyone reconnects', async (t) => {
  const redis = await startRedis({ appendOnly: true })
  t.teardown(() => redis.stop())
  const queue = queueName()
  // (futures settle only from the event stream: their settling after a restart shows that the client reconnected)
  const client = new QueueExecutor({ queue, connection: redis.connection, onError: () => {} })
  t.teardown(() => client.close({ wait: false }))

  // Queued with no serving process, then Redis goes down and comes back.
  const before = Array.from({ length: 20 }, (_, i) => i * 37)
  const queued = before.map((n) => client.submit('spin', [n]))
  await waitForStats(client, (s) => s.queue.prioritized === before.length, 'the jobs in Redis')
  await redis.restart()
  t.is((await client.getStats()).queue.prioritized, before.length, 'the queued jobs survived the restart')
  // Submitted after the restart, through the same client.
  const after = Array.from({ length: 10 }, (_, i) => 1000 + i)
  const later = after.map((n) => client.submit('spin', [n]))

  const serverErrors: Error[] = []
  const worker = { stalledInterval: 500, lockDuration: 10_000 }
  await serveFor(t, redis, queue, { sleep: kernels.sleep, spin: kernels.spin }, { worker, onError: (e) => serverErrors.push(e) })
  t.deepEqual(await Promise.all(queued), before.map(spinTwin), 'every job queued before the restart completed')
  t.deepEqual(await Promise.all(later), after.map(spinTwin))

  // Restart again while jobs run and wait: they complete once Redis is back.
  const running = Array.from({ length: 12 }, () => client.submit('sleep', [100]))
  // (or done: a stalled client can read a job's start and end in one go)
  await waitUntil(() => running.some((f) => f.running() || f.done()), 'a job to run', 30_000)
  await redis.restart()
  t.deepEqual(await Promise.all(running), running.map(() => null))

  const stats = await client.getStats()
  t.like(stats, { submittedJobs: 42, completedJobs: 42, failedJobs: 0, cancelledJobs: 0, pendingJobs: 0 })
  t.like(stats.queue, { completed: 42, failed: 0 })
})

test.serial('a client cut off while its jobs finish and their events are trimmed away settles them from the jobs', async (t) => {
  const redis = await startRedis()
  t.teardown(() => redis.stop())
  const queue = queueName()
  const proxy = await redisProxy(t, redis.port)
  const client = new QueueExecutor({ queue, connection: { host: '127.0.0.1', port: proxy.port }, onError: () => {} })
  t.teardown(() => client.close({ wait: false }))
  const counts = [3, 30, 300]
  const futures = counts.map((n) => client.submit('spin', [n]))
  const gone = client.submit('spin', [4])
  await waitForStats(client, (s) => s.queue.prioritized === counts.length + 1, 'the jobs in Redis')

  proxy.cut()
  // While the client is away: the jobs run, one is removed, and the event stream is emptied.
  await serveFor(t, redis, queue, { spin: kernels.spin })
  const raw = rawQueue(t, redis, queue)
  const deadline = Date.now() + 30_000
  while ((await raw.getJobCounts('completed')).completed < counts.length + 1) {
    if (Date.now() > deadline) throw new Error('the jobs did not complete')
    await new Promise((r) => setTimeout(r, 20))
  }
  const completed = await raw.getCompleted()
  const goneJob = completed.find((job) => (decodeValue((job.data as { args: string }).args) as number[])[0] === 4)!
  t.is(await raw.remove(goneJob.id!), 1)
  const direct = new Redis(redis.connection)
  t.teardown(() => direct.disconnect())
  await direct.xtrim(`bull:${queue}:events`, 'MAXLEN', 0)
  t.is(await direct.xlen(`bull:${queue}:events`), 0)
  t.false(futures.some((f) => f.done()) || gone.done(), 'nothing settled while the client was cut off')

  proxy.restore()
  // (result with a deadline: without the reconciliation these would wait forever)
  t.deepEqual(await Promise.all(futures.map((f) => f.result({ timeout: 30_000 }))), counts.map(spinTwin))
  const error = await gone.exception({ timeout: 30_000 })
  t.true(error instanceof JobFailedError, String(error))
  t.regex((error as JobFailedError).message, /no longer in the queue/)
})
