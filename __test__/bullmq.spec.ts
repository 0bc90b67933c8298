/**
 * `ferris-executor/bullmq` against a real `redis-server` (started here, on a free port): typed
 * values and errors across the queue, priorities, cancellation, timeouts, unknown names and
 * bad job data, map/imap/wait/asCompleted, stats and closing.
 */
import { deserialize, serialize } from 'node:v8'

import test from 'ava'
import { Job } from 'bullmq'

import { CancelledError, ExecutorShutdownError, Future, KernelError, KernelPanicError, TaskPriority, TimeoutError, kernels, workerTask } from '../index.js'
import { BadJobError, JobFailedError, QueueExecutor, UnknownTaskError } from '../lib/bullmq/index.js'
import { clientFor, queueName, rawQueue, serveFor, startRedis, waitForStats, type RedisServer } from './bullmq-helpers.js'
import { describeRun, gate, linkPackage, runScripts, spinTwin, waitUntil, type Gate } from './helpers.js'


let redis: RedisServer
test.before(async () => {
  redis = await startRedis()
})
test.after.always(async () => {
  await redis?.stop()
})

class ValidationError extends Error {
  readonly code = 'E_VALIDATION'
  readonly field: string
  readonly limits: Map<string, bigint>
  constructor(field: string) {
    super(`bad ${field}`, { cause: new RangeError('out of range') })
    this.name = 'ValidationError'
    this.field = field
    this.limits = new Map([['max', 10n ** 20n]])
  }
}

const tasks = {
  spin: kernels.spin,
  sleep: kernels.sleep,
  fail: kernels.testing.fail,
  panic: kernels.testing.panic,
  echo: (value: unknown) => value,
  validate: (field: string) => {
    throw new ValidationError(field)
  },
  throwString: () => {
    throw 'plain string'
  },
}

test('typed values round-trip: every typed array kind, BigInt, Date, Map, Set, nested and shared', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = clientFor(t, redis, queue)
  const shared = { n: 1 }
  const value = {
    i8: new Int8Array([-1, 2]),
    u8: new Uint8Array([255]),
    u8c: new Uint8ClampedArray([7]),
    i16: new Int16Array([-300]),
    u16: new Uint16Array([60_000]),
    i32: new Int32Array([-70_000]),
    u32: new Uint32Array([4_000_000_000]),
    f32: new Float32Array([1.5]),
    f64: new Float64Array([Math.PI, NaN, -0]),
    i64: new BigInt64Array([-(2n ** 63n)]),
    u64: new BigUint64Array([2n ** 64n - 1n]),
    buffer: Buffer.from('héllo'),
    view: new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2),
    big: 2n ** 100n,
    date: new Date('2024-02-29T12:00:00.000Z'),
    map: new Map<unknown, unknown>([[1, new Set(['a', 'b'])], ['k', { deep: [new Date(0)] }]]),
    nested: { list: [undefined, null, Infinity, -Infinity, { x: 1n }] },
    regexp: /a+b/gi,
    pair: [shared, shared],
  }
  const back = (await client.submit('echo', [value])) as typeof value
  t.deepEqual(back, value)
  for (const key of ['i8', 'u8', 'u8c', 'i16', 'u16', 'i32', 'u32', 'f32', 'f64', 'i64', 'u64', 'buffer', 'view'] as const) {
    t.is(Object.getPrototypeOf(back[key]), Object.getPrototypeOf(value[key]), `${key} keeps its class`)
  }
  t.true(Object.is(back.f64[2], -0))
  t.is(back.pair[0], back.pair[1], 'a shared object stays shared')
  t.is(await client.submit('spin', [1000]), spinTwin(1000))
})

test('arguments structured clone cannot copy are refused at submit with TypeError', (t) => {
  const client = clientFor(t, redis, queueName())
  const error = t.throws(() => client.submit('echo', [() => 1]), { instanceOf: TypeError })
  t.regex(error!.message, /args cannot be sent/)
})

test('errors keep class, name, message, code, own fields and cause', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = clientFor(t, redis, queue)

  const kernelError = await client.submit('fail', ['boom']).exception()
  t.true(kernelError instanceof KernelError)
  t.like(kernelError as KernelError, { name: 'KernelError', code: 'ERR_KERNEL', kernel: 'testing.fail', message: 'testing.fail: boom' })

  const panic = await client.submit('panic', ['oops']).exception()
  t.true(panic instanceof KernelPanicError)
  t.is((panic as KernelPanicError).code, 'ERR_KERNEL_PANIC')

  const custom = (await client.submit('validate', ['age']).exception()) as ValidationError
  t.true(custom instanceof Error)
  t.like(custom, { name: 'ValidationError', message: 'bad age', code: 'E_VALIDATION', field: 'age' })
  t.deepEqual(custom.limits, new Map([['max', 10n ** 20n]]))
  t.true(custom.cause instanceof RangeError)
  t.is((custom.cause as Error).message, 'out of range')
  t.regex(custom.stack!, /ValidationError: bad age/)

  t.is(await client.submit('throwString', []).exception(), 'plain string')

  // A kernel given bad arguments: the serving executor's TypeError comes back as one.
  t.true((await client.submit('spin', ['many' as unknown as number]).exception()) instanceof TypeError)
})

test('worker tasks are served: a module\'s exports and a self-contained function, on the serving process\'s worker threads', async (t) => {
  const queue = queueName()
  const work = new URL('./fixtures/bullmq-work.mjs', import.meta.url)
  const served = {
    checksum: workerTask<(data: BigInt64Array | Uint16Array) => { sum: bigint; kind: string; seen: Map<string, number> }>(work, 'checksum'),
    reject: workerTask<(field: string) => never>(work, 'reject'),
    double: workerTask((x: number) => x * 2),
    threadId: workerTask(async () => (await import('node:worker_threads')).threadId),
  }
  await serveFor(t, redis, queue, served)
  const client = new QueueExecutor<typeof served>({ queue, connection: redis.connection })
  t.teardown(() => client.close({ wait: false }))
  t.deepEqual(await client.submit('checksum', [new BigInt64Array([2n ** 62n, 5n])]), {
    sum: 2n ** 62n + 5n,
    kind: 'BigInt64Array',
    seen: new Map([['length', 2]]),
  })
  t.is((await client.submit('checksum', [new Uint16Array([1, 2, 3])])).kind, 'Uint16Array')
  t.deepEqual(await client.map('double', [1, 2, 3], { chunkSize: 2 }), [2, 4, 6])
  t.not(await client.submit('threadId', []), 0, 'ran on a worker thread, not the main one')
  const error = await client.submit('reject', ['width']).exception()
  t.true(error instanceof RangeError)
  t.like(error as RangeError & { code: string; field: string }, { message: 'bad width', code: 'E_RANGE', field: 'width' })
})

test('jobs run in priority order: HIGH, then NORMAL, then LOW, whatever the order of submission', async (t) => {
  const queue = queueName()
  const client = clientFor(t, redis, queue)
  const order = [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.HIGH, TaskPriority.LOW, TaskPriority.HIGH, TaskPriority.NORMAL]
  const futures = order.map((priority, i) => client.submit('record', [`${priority}-${i}`], { priority }))
  // Every job is in Redis before any serving process exists.
  await waitForStats(client, (s) => s.queue.prioritized === order.length, 'the jobs to be queued')
  const ran: string[] = []
  await serveFor(t, redis, queue, { record: (tag: string) => ran.push(tag) }, { concurrency: 1, maxWorkers: 1 })
  await Promise.all(futures)
  t.deepEqual(ran, ['high-2', 'high-4', 'normal-1', 'normal-5', 'low-0', 'low-3'])
})

test('cancel removes a waiting job: future.cancel() before it reached Redis, client.cancel() and signal after', async (t) => {
  const queue = queueName()
  const client = clientFor(t, redis, queue)
  const ran: string[] = []

  const early = client.submit('record', ['early'])
  t.true(early.cancel(), 'not handed to Redis yet: cancelled at once')
  t.true(early.cancelled())

  const queued = client.submit('record', ['queued'])
  const controller = new AbortController()
  const aborted = client.submit('record', ['aborted'], { signal: controller.signal })
  const kept = client.submit('record', ['kept'])
  await waitForStats(client, (s) => s.queue.prioritized === 3, 'three jobs in Redis')
  t.false(queued.cancel(), 'in Redis: cancel() cannot tell at once')
  t.true(await client.cancel(queued))
  controller.abort(new Error('no longer needed'))
  await t.throwsAsync(aborted, { instanceOf: CancelledError })
  await t.throwsAsync(queued, { instanceOf: CancelledError })
  await t.throwsAsync(early, { instanceOf: CancelledError })

  await serveFor(t, redis, queue, { record: (tag: string) => ran.push(tag) })
  t.is(await kept, 1)
  t.deepEqual(ran, ['kept'], 'no cancelled job ran')
  const stats = await client.getStats()
  t.like(stats, { submittedJobs: 4, cancelledJobs: 3, completedJobs: 1, pendingJobs: 0 })
  t.throws(() => client.submit('record', ['late'], { signal: controller.signal }), { instanceOf: CancelledError })
})

test('a running job cannot be cancelled: cancel resolves false and the job completes', async (t) => {
  const queue = queueName()
  const held: Gate = gate()
  t.teardown(() => held.open())
  await serveFor(t, redis, queue, {
    hold: async () => {
      await held.promise
      return 'done'
    },
  })
  const client = clientFor(t, redis, queue)
  const future = client.submit('hold', [])
  await waitUntil(() => future.running(), 'the job to be active', 30_000)
  t.false(await client.cancel(future))
  held.open()
  t.is(await future, 'done')
})

test('timeout fails a job that runs too long with TimeoutError, and not one that ends in time', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = clientFor(t, redis, queue)
  const late = client.submit('sleep', [20_000], { timeout: 50 })
  const error = await late.exception()
  t.true(error instanceof TimeoutError, String(error))
  t.is((error as TimeoutError).code, 'ERR_TIMEOUT')
  t.is(await client.submit('spin', [10], { timeout: 60_000 }), spinTwin(10))
})

test('an unknown job name fails that job with UnknownTaskError, without retries; the others run', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = new QueueExecutor({ queue, connection: redis.connection, jobOptions: { attempts: 3 } })
  t.teardown(() => client.close({ wait: false }))
  const [unknown, known] = [client.submit('noSuchTask', []), client.submit('spin', [5])]
  const error = await unknown.exception()
  t.true(error instanceof UnknownTaskError)
  t.like(error as UnknownTaskError, { code: 'ERR_FERRIS_UNKNOWN_TASK', task: 'noSuchTask' })
  t.true((error as UnknownTaskError).known.includes('spin'))
  t.is(await known, spinTwin(5))
  const failed = await rawQueue(t, redis, queue).getFailed()
  t.is(failed.length, 1)
  t.is(failed[0]!.attemptsMade, 1, 'no retry of a job no attempt can run')
})

test('bad job data added by hand fails that job only, without retries', async (t) => {
  const queue = queueName()
  const raw = rawQueue(t, redis, queue)
  const garbage = [
    await raw.add('echo', 'garbage', { attempts: 3 }),
    await raw.add('echo', { ferris: 1, args: '%%% not base64 %%%' }, { attempts: 3 }),
    await raw.add('echo', { ferris: 1, args: Buffer.from('not v8').toString('base64') }),
    await raw.add('echo', { ferris: 99, args: '' }),
    await raw.add('echo', { args: 42 }),
  ]
  await serveFor(t, redis, queue, tasks, { concurrency: 1 })
  const client = clientFor(t, redis, queue)
  t.deepEqual(await client.submit('echo', [[1n, 2n]]), [1n, 2n], 'the process serves on')
  for (const added of garbage) {
    let job: Job | undefined
    const deadline = Date.now() + 30_000
    while (!(job = await Job.fromId(raw, added.id!))?.finishedOn && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    t.is(await job!.getState(), 'failed', `job ${added.id}`)
    t.regex(job!.failedReason, /^bad job data: /)
    t.is(job!.attemptsMade, 1)
  }
  t.is(new BadJobError('x').code, 'ERR_FERRIS_BAD_JOB')
})

test('a job of format 1 (an older client) is answered in base64, which that client reads; format 2 jobs in JSON text', async (t) => {
  const queue = queueName()
  const raw = rawQueue(t, redis, queue)
  const old = await raw.add('echo', { ferris: 1, args: serialize([[1, 2]]).toString('base64') })
  await serveFor(t, redis, queue, tasks, { concurrency: 1 })
  const client = clientFor(t, redis, queue)
  t.deepEqual(await client.submit('echo', [[3, 4]]), [3, 4])
  let job: Job | undefined
  const deadline = Date.now() + 30_000
  while (!(job = await Job.fromId(raw, old.id!))?.finishedOn && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  // (as an older client reads it: base64 of v8.serialize, no tag)
  t.deepEqual(deserialize(Buffer.from(job!.returnvalue as string, 'base64')), [1, 2], 'format 1: base64 of v8.serialize, as before')
  const current = (await raw.getCompleted()).find((j) => j.id !== old.id)!
  t.like(current.data, { ferris: 2, args: 'j:[[3,4]]' })
  t.is(current.returnvalue, 'j:[3,4]')
})

test('jobs submitted in one tick (one addBulk) settle each with its own value, JSON text and v8 forms mixed; cancelling one drops only it', async (t) => {
  const queue = queueName()
  const ran: unknown[] = []
  await serveFor(t, redis, queue, { keep: (value: unknown) => (ran.push(value), value) }, { concurrency: 1 })
  const client = clientFor(t, redis, queue)
  const values: unknown[] = Array.from({ length: 40 }, (_, i) =>
    [i, `s${i}`, { i, list: [i, null, true] }, new Date(i), BigInt(i), undefined, [i, -0], new Map([[i, i]])][i % 8],
  )
  const futures = values.map((value) => client.submit('keep', [value]))
  t.true(futures[13]!.cancel(), 'still in the batch: cancelled at once')
  const settled = await Promise.allSettled(futures)
  for (const [i, outcome] of settled.entries()) {
    if (i === 13) t.true(outcome.status === 'rejected' && outcome.reason instanceof CancelledError)
    else t.deepEqual(outcome.status === 'fulfilled' && outcome.value, values[i], `job ${i}`)
  }
  t.is(ran.length, values.length - 1, 'the cancelled job never ran')
  t.like(await client.getStats(), { submittedJobs: 40, completedJobs: 39, cancelledJobs: 1, pendingJobs: 0 })
})

test('a job that failed without an error from serve rejects with JobFailedError and BullMQ\'s reason', async (t) => {
  const queue = queueName()
  const client = clientFor(t, redis, queue)
  const future = client.submit('echo', [1])
  await waitForStats(client, (s) => s.queue.prioritized === 1, 'the job in Redis')
  // A plain BullMQ worker (not serve) takes the job and throws.
  const { Worker } = await import('bullmq')
  const worker = new Worker(queue, async () => Promise.reject(new Error('not ours')), { connection: redis.connection })
  t.teardown(() => worker.close())
  const error = await future.exception()
  t.true(error instanceof JobFailedError)
  t.like(error as JobFailedError, { code: 'ERR_FERRIS_JOB_FAILED', failedReason: 'not ours' })
})

test('map, imap, wait and asCompleted work on queue futures', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = clientFor(t, redis, queue)
  const counts = [0, 1, 10, 100, 1000, 5, 7]
  t.deepEqual(await client.map('spin', counts), counts.map(spinTwin))
  t.deepEqual(await client.map('spin', counts, { chunkSize: 3 }), counts.map(spinTwin))
  async function* source(): AsyncGenerator<number> {
    for (const n of counts) yield n
  }
  const streamed: number[] = []
  for await (const r of client.imap('spin', source(), { concurrency: 2 })) streamed.push(r as number)
  t.deepEqual(streamed, counts.map(spinTwin))
  await t.throwsAsync(client.map('fail', ['a', 'b']), { instanceOf: KernelError })

  const futures = counts.map((n) => client.submit('spin', [n]))
  const seen: Future[] = []
  for await (const f of client.asCompleted(futures)) seen.push(f as Future)
  t.is(new Set(seen).size, futures.length)
  const { done, notDone } = await client.wait(futures)
  t.is(done.length, futures.length)
  t.is(notDone.length, 0)
})

test('getStats reports the queue counts and the client counters; close waits, then refuses new jobs', async (t) => {
  const queue = queueName()
  await serveFor(t, redis, queue, tasks)
  const client = new QueueExecutor({ queue, connection: redis.connection })
  const futures = [client.submit('spin', [1]), client.submit('fail', ['x'])]
  const closing = client.close()
  t.throws(() => client.submit('spin', [1]), { instanceOf: ExecutorShutdownError })
  await closing
  t.true(futures.every((f) => f.done()), 'close() waited for the futures')
  t.is(await futures[0], spinTwin(1))
  await t.throwsAsync(futures[1]!, { instanceOf: KernelError })

  const other = new QueueExecutor({ queue, connection: redis.connection })
  await Promise.all([other.submit('spin', [2]), other.submit('fail', ['y']).catch(() => {})])
  const stats = await other.getStats()
  t.like(stats, { submittedJobs: 2, completedJobs: 1, failedJobs: 1, cancelledJobs: 0, pendingJobs: 0 })
  t.like(stats.queue, { completed: 2, failed: 2, active: 0, waiting: 0, prioritized: 0 })
  await other.close()
})

test('close({ wait: false }) rejects pending futures with ExecutorShutdownError; the jobs stay queued', async (t) => {
  const queue = queueName()
  const client = new QueueExecutor({ queue, connection: redis.connection })
  const future = client.submit('spin', [3])
  const watcher = clientFor(t, redis, queue)
  await waitForStats(watcher, (s) => s.queue.prioritized === 1, 'the job in Redis')
  await client.close({ wait: false })
  await t.throwsAsync(future, { instanceOf: ExecutorShutdownError })
  t.is((await watcher.getStats()).queue.prioritized, 1)
})

test('the main entry loads without bullmq installed; ferris-executor/bullmq resolves through package.json exports', async (t) => {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === 'bullmq' || specifier === 'ioredis') {
      throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' })
    }
    return next(specifier, context)
  }`
  const withoutBullmq = await runScripts(
    {
      'hooks.mjs': hooks,
      'main.mjs': `import { register } from 'node:module'
        register('./hooks.mjs', import.meta.url)
        const main = await import({{PACKAGE}})
        const future = new main.Executor({ maxWorkers: 1 }).submit(main.kernels.spin, [3])
        let subpath = 'loaded'
        try { await import('ferris-executor/bullmq') } catch (error) { subpath = error.code }
        console.log(JSON.stringify({ spin: await future, subpath }))
        process.exit(0)`,
    },
    'main.mjs',
    20_000,
    linkPackage,
  )
  t.is(withoutBullmq.code, 0, describeRun(withoutBullmq))
  t.deepEqual(JSON.parse(withoutBullmq.stdout), { spin: spinTwin(3), subpath: 'ERR_MODULE_NOT_FOUND' })

  const byName = await runScripts(
    {
      'main.mjs': `const m = await import('ferris-executor/bullmq')
        console.log(JSON.stringify([typeof m.serve, typeof m.QueueExecutor, typeof m.UnknownTaskError]))`,
    },
    'main.mjs',
    20_000,
    linkPackage,
  )
  t.is(byName.code, 0, describeRun(byName))
  t.deepEqual(JSON.parse(byName.stdout), ['function', 'function', 'function'])
})

test('a client whose Redis is unreachable still closes; its pending futures reject with ExecutorShutdownError', async (t) => {
  const unreachable = await startRedis()
  const { connection } = unreachable
  await unreachable.stop() // (nothing listens on that port any more)
  const client = new QueueExecutor({ queue: queueName(), connection, onError: () => {} })
  const future = client.submit('spin', [1])
  await client.close({ wait: false })
  await t.throwsAsync(future, { instanceOf: ExecutorShutdownError })
  const idle = new QueueExecutor({ queue: queueName(), connection, onError: () => {} })
  await idle.close()
  t.pass()
})
