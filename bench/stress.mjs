/**
 * Stress: a million tasks through one executor, and a check that every future settles exactly
 * once with the outcome it must have, and that the statistics add up exactly.
 *
 * The mix (drawn from a seeded generator, so a run can be repeated): JS sync, JS async, native
 * and worker tasks (`workerTask`, on worker threads) in equal shares, all three priorities;
 * about 1 % throwing (a JS throw or rejection, in the main thread or a worker, or
 * `kernels.testing.fail`), 0.5 % panicking kernels (`kernels.testing.panic`) or worker tasks
 * that `process.exit()` their worker, 1 % cancelled with `future.cancel()` while queued, 1 %
 * cancelled by an `AbortSignal`, and 1 % with a run-time `timeout` that fires. Stopping or
 * crashing a worker task costs a worker (a new one takes ~20 ms to start), so those are capped
 * at `WORKER_STOPS` each; the statistics must count the replaced workers. Workers also leave on
 * their own: each retires after `--recycle` tasks (`maxTasksPerWorker`), `recycleWorkers()` is
 * called every `RECYCLE_EVERY` tasks, and `IDLE_PAUSES` times the submitter lets everything
 * settle and waits until every worker has exited for being idle (`idleTimeout`) before going
 * on; the statistics must count them as retired, not replaced. Submission runs ahead
 * of completion until the queue refuses (`QueueFullError`), then waits for room: those
 * refusals are counted and must match `rejectedTasks`.
 *
 *   npm run stress                     # 1 000 000 tasks
 *   node bench/stress.mjs --tasks 20000 --seed 7
 *
 * Prints its figures (and one JSON line); exits 1 if any check fails or nothing settles for
 * 30 s.
 */
import { availableParallelism } from 'node:os'

import {
  CancelledError,
  Executor,
  KernelError,
  KernelPanicError,
  QueueFullError,
  TaskPriority,
  TimeoutError,
  WorkerExitError,
  kernels,
  workerTask,
} from '../dist/index.js'
import { option } from './options.mjs'

const TASKS = option('tasks', 1_000_000)
const SEED = option('seed', 1)
/** `maxTasksPerWorker`. */
const RECYCLE = option('recycle', 2_000)
/** `idleTimeout`, ms. */
const IDLE_MS = option('idle', 20)
const STALL_MS = 30_000
const RECYCLE_EVERY = 25_000
const IDLE_PAUSES = 3

/** xorshift32: a small seeded generator, so that a failing mix can be replayed. */
function generator(seed) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** Independent twin of `kernels.spin(n)` (xorshift64 13/7/17 from the same seed). */
function spinTwin(n) {
  const mask = (1n << 64n) - 1n
  let x = 0x9e3779b97f4a7c15n
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & mask
    x ^= x >> 7n
    x ^= (x << 17n) & mask
  }
  return Number(x >> 11n)
}
const SPIN = Array.from({ length: 64 }, (_, n) => spinTwin(n))

const PRIORITIES = [TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.LOW]

/** Most worker tasks that time out, crash their worker, or are aborted (each may replace a worker). */
const WORKER_STOPS = 24
/** Worker stops planned so far, by kind. */
const workerStops = { timeout: 0, crash: 0, abort: 0 }
/** Worker tasks the mix uses (each defined once; a definition is shipped once per worker). */
const onWorker = {
  multiply: workerTask((a, b) => a * b),
  increment: workerTask(async (o) => {
    await null
    return { n: o.n + 1 }
  }),
  throws: workerTask((message) => {
    throw Object.assign(new Error(message), { code: 'E_STRESS' })
  }),
  exit: workerTask((code) => process.exit(code)),
  forever: workerTask(() => {
    for (;;);
  }),
}
const WORKER_FUNCTIONS = new Set(Object.values(onWorker))

const failures = []
function fail(message) {
  if (failures.length < 20) failures.push(message)
}

/**
 * One task of the mix: how to submit it and what its future must end with. `expect` is
 * 'value' (with `value`), 'error' (with a check), 'cancelled', or 'either' for a cancel
 * that races the start (then the future's own `cancelled()` says which must hold).
 */
function plan(i, random) {
  const kind = Math.floor(random() * 4) // 0 JS sync, 1 JS async, 2 native, 3 worker
  const priority = PRIORITIES[Math.floor(random() * 3)]
  const roll = random()
  const n = Math.floor(random() * 64)
  const thrown = new Error(`task ${i} throws`)
  if (roll < 0.01) {
    // Throws or fails.
    if (kind === 0) return { fn: () => { throw thrown }, args: [], priority, expect: 'error', check: (e) => e === thrown, outcome: 'failed' }
    if (kind === 1) return { fn: async () => { await null; throw thrown }, args: [], priority, expect: 'error', check: (e) => e === thrown, outcome: 'failed' }
    if (kind === 3) return { fn: onWorker.throws, args: [thrown.message], priority, expect: 'error', check: (e) => e.message === thrown.message && e.code === 'E_STRESS', outcome: 'failed' }
    return { fn: kernels.testing.fail, args: [`task ${i} fails`], priority, expect: 'error', check: (e) => e instanceof KernelError && !(e instanceof KernelPanicError), outcome: 'failed' }
  }
  if (roll < 0.015) {
    if (kind === 3 && workerStops.crash < WORKER_STOPS) {
      workerStops.crash++
      const code = 1 + (i % 100)
      return { fn: onWorker.exit, args: [code], priority, expect: 'error', check: (e) => e instanceof WorkerExitError && e.exitCode === code, outcome: 'failed', stop: 'crash' }
    }
    return { fn: kernels.testing.panic, args: [`task ${i} panics`], priority, expect: 'error', check: (e) => e instanceof KernelPanicError, outcome: 'failed' }
  }
  if (roll < 0.025) {
    // Cancelled at once (still in the submission batch, unless a free slot sent it to the pool
    // at once) or after a turn of the event loop (in the pool's queue, or already started: then
    // cancel() says false).
    return { ...valueTask(kind, n, i), priority, cancel: random() < 0.5 ? 'now' : 'later' }
  }
  if (roll < 0.035) {
    if (kind === 3 && workerStops.abort++ >= WORKER_STOPS) return { ...valueTask(kind, n, i), priority }
    return { ...valueTask(kind, n, i), priority, abort: true }
  }
  if (roll < 0.045) {
    const check = (e) => e instanceof TimeoutError
    if (kind === 3) {
      if (workerStops.timeout >= WORKER_STOPS) return { ...valueTask(kind, n, i), priority }
      workerStops.timeout++
      // Only terminating its worker ends it.
      return { fn: onWorker.forever, args: [], priority, timeout: 1, expect: 'error', check, outcome: 'failed', stop: 'timeout' }
    }
    if (kind === 2) return { fn: kernels.spin, args: [1e15], priority, timeout: 0, expect: 'error', check, outcome: 'failed' }
    // A JS task cannot be stopped: one that never settles is abandoned at its limit.
    return { fn: () => new Promise(() => {}), args: [], priority, timeout: 1, expect: 'error', check, outcome: 'failed' }
  }
  return { ...valueTask(kind, n, i), priority }
}

function valueTask(kind, n, i) {
  if (kind === 0) return { fn: (a, b) => a * b, args: [i, 3], expect: 'value', value: i * 3, outcome: 'completed' }
  if (kind === 1) return { fn: async (a) => { await null; return a + 1 }, args: [i], expect: 'value', value: i + 1, outcome: 'completed' }
  if (kind === 2) return { fn: kernels.spin, args: [n], expect: 'value', value: SPIN[n], outcome: 'completed' }
  // Numbers only, or an object (serialized) with an async function.
  if (i % 2 === 0) return { fn: onWorker.multiply, args: [i, 3], expect: 'value', value: i * 3, outcome: 'completed' }
  return { fn: onWorker.increment, args: [{ n: i }], expect: 'value', value: i + 1, map: (v) => v.n, outcome: 'completed' }
}

async function main() {
  const executor = new Executor({ maxWorkers: availableParallelism(), maxTasksPerWorker: RECYCLE, idleTimeout: IDLE_MS })
  const recycling = []
  let idlePauses = 0
  const random = generator(SEED)
  const tally = { accepted: 0, refused: 0, completed: 0, failed: 0, cancelled: 0, settled: 0, cancelRaces: 0, abortRaces: 0 }
  // Worker tasks; those that ended their worker (crashed, timed out); aborted ones cancelled (running or not).
  const workers = { tasks: 0, stopped: 0, abortsCancelled: 0 }
  let roomWaiter
  let lastProgress = Date.now()
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > STALL_MS) {
      console.error(`stalled: ${tally.accepted - tally.settled} futures pending for ${STALL_MS} ms`)
      console.error(JSON.stringify(executor.getStats()))
      process.exit(1)
    }
  }, 1000)

  const onSettled = (task, future, calls) => {
    if (calls > 1) fail(`task ${task.i}: done callback ran ${calls} times`)
    tally.settled++
    lastProgress = Date.now()
    if (roomWaiter) {
      const wake = roomWaiter
      roomWaiter = undefined
      wake()
    }
    const cancelled = future.cancelled()
    if (task.stop && !cancelled) workers.stopped++
    if (task.worker && task.abort && cancelled) workers.abortsCancelled++
    let outcome
    if (cancelled) {
      outcome = 'cancelled'
      future.exception().then(
        () => fail(`task ${task.i}: cancelled() but exception() resolved`),
        (e) => {
          if (!(e instanceof CancelledError)) fail(`task ${task.i}: cancelled with ${e}`)
        },
      )
      if (task.expect !== 'either') fail(`task ${task.i}: cancelled but expected ${task.expect}`)
      if (task.cancelResult === false) fail(`task ${task.i}: cancel() said false, yet it was cancelled`)
    } else {
      future.exception().then((e) => {
        const want = task.expect === 'either' ? 'value' : task.expect
        if (want === 'value') {
          if (e !== undefined) fail(`task ${task.i}: expected ${task.value}, got error ${e}`)
          else future.result().then((v) => (task.map ? task.map(v) : v) !== task.value && fail(`task ${task.i}: expected ${task.value}, got ${v}`))
        } else if (e === undefined || !task.check(e)) {
          fail(`task ${task.i}: expected an error, got ${e}`)
        }
      })
      if (task.cancelResult === true) fail(`task ${task.i}: cancel() said true, yet it ran`)
      outcome = task.expect === 'either' ? 'completed' : task.outcome
      if (task.expect === 'either') task.cancel ? tally.cancelRaces++ : tally.abortRaces++
    }
    tally[outcome]++
  }

  const started = performance.now()
  let peakRss = 0
  for (let i = 0; i < TASKS; i++) {
    const task = plan(i, random)
    task.i = i
    task.worker = WORKER_FUNCTIONS.has(task.fn)
    if (task.worker) workers.tasks++
    const controller = task.abort ? new AbortController() : undefined
    let future
    for (;;) {
      try {
        future = executor.submit(task.fn, task.args, { priority: task.priority, timeout: task.timeout, signal: controller?.signal })
        break
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error
        tally.refused++
        // Wait for half the queue to drain rather than for one slot: resuming for every
        // single settlement would measure event-loop turns, not the executor.
        const target = tally.accepted - executor.queueCapacity / 2
        while (tally.settled < target) await new Promise((resolve) => (roomWaiter = resolve))
      }
    }
    tally.accepted++
    let calls = 0
    future.addDoneCallback((f) => onSettled(task, f, ++calls))
    if (task.cancel === 'now') {
      task.expect = 'either'
      // Usually still queued, but not always: a submission that finds a free slot reaches the
      // pool at once and a pool thread or idle worker may start it before this line. Either way
      // the outcome must agree with what cancel() said (checked when it settles).
      task.cancelResult = future.cancel()
    } else if (task.cancel === 'later') {
      task.expect = 'either'
      setImmediate(() => (task.cancelResult = future.cancel()))
    } else if (controller) {
      task.expect = 'either'
      setImmediate(() => controller.abort(new Error(`abort ${i}`)))
    }
    if ((i & 0xffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss())
    if (i % RECYCLE_EVERY === RECYCLE_EVERY / 2) recycling.push(executor.recycleWorkers())
    if (Math.floor((i * (IDLE_PAUSES + 1)) / TASKS) !== Math.floor(((i + 1) * (IDLE_PAUSES + 1)) / TASKS) && i + 1 < TASKS) {
      // A pause: everything settles, then every worker exits for being idle.
      while (tally.settled < tally.accepted) await new Promise((resolve) => (roomWaiter = resolve))
      const deadline = Date.now() + 10_000
      while (executor.getStats().workers.alive > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      if (executor.getStats().workers.alive > 0) fail(`pause ${idlePauses}: ${executor.getStats().workers.alive} workers still alive after 10 s idle`)
      idlePauses++
      lastProgress = Date.now()
    }
  }
  while (tally.settled < tally.accepted) await new Promise((resolve) => (roomWaiter = resolve))
  await new Promise((resolve) => setImmediate(resolve)) // the exception() checks above
  const seconds = (performance.now() - started) / 1000
  clearInterval(watchdog)

  // A stopped task settles before its worker has exited: wait for the last replacements.
  const replacedAtLeast = workers.stopped
  for (let waited = 0; executor.getStats().workers.replaced < replacedAtLeast && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const recycled = await Promise.race([Promise.all(recycling).then(() => true), new Promise((resolve) => setTimeout(resolve, 10_000, false))])
  if (!recycled) fail('a recycleWorkers() promise did not resolve within 10 s of the last task')
  const stats = executor.getStats()
  const expectEqual = (name, got, want) => got !== want && fail(`stats.${name} = ${got}, expected ${want}`)
  expectEqual('submittedTasks', stats.submittedTasks, tally.accepted)
  expectEqual('completedTasks', stats.completedTasks, tally.completed)
  expectEqual('failedTasks', stats.failedTasks, tally.failed)
  expectEqual('cancelledTasks', stats.cancelledTasks, tally.cancelled)
  expectEqual('rejectedTasks', stats.rejectedTasks, tally.refused)
  expectEqual('submitted - outcomes', stats.submittedTasks - stats.completedTasks - stats.failedTasks - stats.cancelledTasks, 0)
  expectEqual('activeThreads', stats.activeThreads, 0)
  expectEqual('queuedTasks', stats.queuedTasks, 0)
  expectEqual('settled futures', tally.settled, tally.accepted)
  expectEqual('workers.busy', stats.workers.busy, 0)
  // Every crash and timeout replaced its worker; an abort replaced one only if it hit a running task.
  const { replaced, alive } = stats.workers
  if (replaced < workers.stopped || replaced > workers.stopped + workers.abortsCancelled) {
    fail(`stats.workers.replaced = ${replaced}, expected ${workers.stopped} (crashes and timeouts) to ${workers.stopped + workers.abortsCancelled} (plus aborts)`)
  }
  if (alive > executor.maxWorkers) fail(`stats.workers.alive = ${alive}, more than jsWorkers ${executor.maxWorkers}`)
  // Every pause retired every worker that was alive (one at least), and so does a recycling.
  if (stats.workers.retired < idlePauses + recycling.length) {
    fail(`stats.workers.retired = ${stats.workers.retired}, expected at least ${idlePauses + recycling.length} (idle pauses and recycleWorkers calls)`)
  }
  await executor.shutdown()

  const result = {
    tasks: TASKS,
    seed: SEED,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSecond: Math.round(TASKS / seconds),
    completed: tally.completed,
    failed: tally.failed,
    cancelled: tally.cancelled,
    cancelsThatLostTheRace: tally.cancelRaces,
    abortsThatLostTheRace: tally.abortRaces,
    queueFullRefusals: tally.refused,
    workerTasks: workers.tasks,
    workerCrashesAndTimeouts: workers.stopped,
    workerAbortsCancelled: workers.abortsCancelled,
    workersReplaced: stats.workers.replaced,
    workersRetired: stats.workers.retired,
    idlePauses,
    recycleCalls: recycling.length,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    failures,
  }
  console.log(`stress: ${TASKS} tasks in ${result.seconds} s (${result.tasksPerSecond}/s): ${tally.completed} completed, ${tally.failed} failed, ${tally.cancelled} cancelled; ${tally.cancelRaces + tally.abortRaces} cancels lost the race to the start; ${tally.refused} QueueFullError refusals waited out; ${workers.tasks} worker tasks, ${workers.stopped} of them crashed or timed out, ${stats.workers.replaced} workers replaced, ${stats.workers.retired} retired (${idlePauses} idle pauses, ${recycling.length} recycleWorkers calls, maxTasksPerWorker ${RECYCLE}); peak RSS ${result.peakRssMiB} MiB`)
  console.log(failures.length === 0 ? 'stress: every future settled once with the right outcome; the stats add up' : `stress: FAILED\n  ${failures.join('\n  ')}`)
  console.log(JSON.stringify(result))
  process.exitCode = failures.length === 0 ? 0 : 1
}

await main()
