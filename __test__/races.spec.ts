/** Races: shutdown against submissions, cancel against the start, cancelPending with a full queue. */
import test from 'ava'

import { CancelledError, ExecutorShutdownError, QueueFullError, kernels, type Future } from '../index.js'
import { delay, setup, waitForRest, waitUntil } from './helpers.js'

test('shutdown while another part of the program keeps submitting: each submit is accepted and settles, or is refused', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2, queueCapacity: 500 })
  const accepted: Array<Future<unknown>> = []
  let refusedShutdown = 0
  let refusedFull = 0
  let stop = false
  const submitter = (async () => {
    for (let round = 0; !stop; round++) {
      for (let i = 0; i < 50; i++) {
        try {
          accepted.push(i % 2 ? executor.submit(kernels.spin, [1000]) : executor.submit(async (x: number) => x, [i]))
        } catch (error) {
          if (error instanceof ExecutorShutdownError) refusedShutdown++
          else if (error instanceof QueueFullError) refusedFull++
          else throw error
        }
      }
      await (round % 2 ? delay(0) : Promise.resolve()) // both microtask and macrotask interleavings
    }
  })()
  await delay(30)
  await executor.shutdown()
  // Every future accepted before the shutdown resolved is settled by then.
  t.true(accepted.length > 0)
  t.true(accepted.every((f) => f.done() && !f.cancelled()), 'shutdown resolved with accepted work unfinished')
  await delay(5)
  stop = true
  await submitter
  t.true(refusedShutdown > 0, 'the submitter kept going after the shutdown and was refused')
  const stats = executor.getStats()
  t.is(stats.submittedTasks, accepted.length)
  t.is(stats.completedTasks, accepted.length)
  t.is(stats.rejectedTasks, refusedShutdown + refusedFull)
})

test('cancel racing with the start: cancel() is true exactly when the task never runs', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const tasks: Array<{ future: Future<unknown>; ran: () => boolean; cancelled?: boolean }> = []
  const cancelLater: Array<Promise<void>> = []
  for (let i = 0; i < 3000; i++) {
    let calls = 0
    const js = i % 2 === 0
    const future = js ? executor.submit(() => ++calls) : executor.submit(kernels.spin, [i % 5000])
    const entry: (typeof tasks)[number] = { future, ran: () => (js ? calls > 0 : future.done() && !future.cancelled()) }
    tasks.push(entry)
    // Cancel at different points: in the batch, after a microtask, after a turn, after a timer.
    const cancel = (): void => {
      entry.cancelled = future.cancel()
    }
    const when = i % 4
    if (when === 0) cancel()
    else if (when === 1) cancelLater.push(Promise.resolve().then(cancel))
    else if (when === 2) cancelLater.push(new Promise<void>((r) => setImmediate(() => (cancel(), r()))))
    else cancelLater.push(delay(i % 3).then(cancel))
    if (i % 500 === 499) await delay(0)
  }
  await Promise.all(cancelLater)
  await Promise.allSettled(tasks.map((e) => e.future))
  let won = 0
  let lost = 0
  for (const { future, ran, cancelled } of tasks) {
    t.is(future.cancelled(), cancelled === true)
    if (cancelled) {
      won++
      t.false(ran(), 'a cancelled task ran')
      t.true((await future.exception().catch((e: unknown) => e)) instanceof CancelledError)
    } else {
      lost++
      t.true(ran(), 'a task whose cancel failed did not run')
    }
  }
  t.log(`cancels that won: ${won}, lost to the start: ${lost}`)
  t.true(won > 0 && lost > 0, 'both sides of the race were exercised')
  await waitForRest(executor)
  const stats = executor.getStats()
  t.is(stats.cancelledTasks, won)
  t.is(stats.completedTasks, lost)
})

test('shutdown({ cancelPending }) with a full queue: running tasks finish, every queued one is cancelled and never runs', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 2, queueCapacity: 200 })
  const release = gate()
  const running = [executor.submit(() => release.promise), executor.submit(() => release.promise)]
  await waitUntil(() => running.every((f) => f.running()), 'both slots to be taken')
  let calls = 0
  const queued: Array<Future<unknown>> = []
  for (;;) {
    try {
      queued.push(queued.length % 2 ? executor.submit(() => ++calls) : executor.submit(kernels.spin, [10]))
    } catch (error) {
      t.true(error instanceof QueueFullError)
      break
    }
  }
  t.is(queued.length, 200)
  await delay(5) // the batch reaches the pool
  const shutdown = executor.shutdown({ cancelPending: true })
  t.true(queued.every((f) => f.cancelled()), 'every queued task is cancelled at once')
  t.false(running.some((f) => f.done()), 'running tasks go on')
  release.open()
  await shutdown
  t.true(running.every((f) => f.done() && !f.cancelled()))
  t.is(calls, 0, 'no cancelled JS task ran')
  const stats = executor.getStats()
  t.is(stats.cancelledTasks, 200)
  t.is(stats.completedTasks, 2)
  t.is(stats.submittedTasks, 202)
  t.is(stats.rejectedTasks, 1)
})
