/**
 * Behaviours users of piscina, tinypool, workerpool and poolifier rely on (issue 19), one
 * group per item: async tasks that hold no event-loop handle, `map`/`imap` stopping their
 * running chunks, starting at once, the queue bound counted beyond the free workers, thrown
 * non-errors, `--input-type=module`, moved results and ports, `AsyncLocalStorage` in done
 * callbacks, CommonJS handlers hung off a function, one abort listener per signal.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { getEventListeners } from 'node:events'
import { MessageChannel, type MessagePort } from 'node:worker_threads'

import test from 'ava'

import { CancelledError, QueueFullError, TimeoutError, kernels, workerTask, type Transfer } from '../index.js'
import { workerExecArgv } from '../lib/workers/exec-argv.js'
import { PACKAGE_URL, flush, runNode, runScripts, setup, waitUntil } from './helpers.js'
import { HOLD_MS, fixture, setupWorkers, waitForFlag, waitOnGate } from './worker-helpers.js'

// 1. An async task whose pending work holds no event-loop handle keeps its worker alive.

const unrefTimer = workerTask(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20).unref())
  return 'timer'
})
const signalTimeout = workerTask(async () => {
  const signal = AbortSignal.timeout(20)
  await new Promise((resolve) => signal.addEventListener('abort', resolve))
  return 'signal'
})
const unrefPromisesTimer = workerTask(async () => {
  const { setTimeout: sleep } = await import('node:timers/promises')
  return sleep(20, 'timers/promises', { ref: false })
})
test('an async task waiting on an unref’d timer, AbortSignal.timeout() or timers/promises with ref: false resolves, and its worker lives on', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  t.is(await executor.submit(unrefTimer, []), 'timer')
  t.is(await executor.submit(signalTimeout, []), 'signal')
  t.is(await executor.submit(unrefPromisesTimer, []), 'timers/promises')
  t.like(executor.getStats().workers, { started: 1, replaced: 0 })
})

/**
 * Run as a plain `node` child on the built package: a worker with nothing but an
 * `Atomics.waitAsync` pending (no time limit: V8 then holds no handle) must stay alive until
 * notified. The submission's `timeout` bounds the wait.
 */
const WAIT_ASYNC = `
  import { Executor, workerTask } from {{PACKAGE}}
  const executor = new Executor({ maxWorkers: 1 })
  const flags = new Int32Array(new SharedArrayBuffer(8))
  const waitAsync = workerTask(async (flags) => {
    Atomics.store(flags, 0, 1)
    const wait = Atomics.waitAsync(flags, 1, 0)
    return wait.async ? await wait.value : wait.value
  })
  const future = executor.submit(waitAsync, [flags], { timeout: 10_000 })
  while (Atomics.load(flags, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 2))
  await new Promise((resolve) => setTimeout(resolve, 200)) // a window in which a worker whose loop emptied would exit
  Atomics.store(flags, 1, 1)
  Atomics.notify(flags, 1)
  console.log(JSON.stringify({ result: await future.catch((error) => error.name), workers: executor.getStats().workers }))
  await executor.shutdown()
`

test('an async task waiting on Atomics.waitAsync resolves once notified', async (t) => {
  const { stdout, stderr, code } = await runScripts({ 'main.mjs': WAIT_ASYNC }, 'main.mjs')
  t.is(code, 0, stderr)
  t.like(JSON.parse(stdout), { result: 'ok', workers: { started: 1, replaced: 0 } })
})

test('an async task that never settles and holds no handle fails with TimeoutError at its timeout', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const never = workerTask(() => new Promise(() => {}))
  await t.throwsAsync(executor.submit(never, [], { timeout: 100 }), { instanceOf: TimeoutError })
  t.is(await executor.submit(unrefTimer, []), 'timer') // the replacement worker serves the next one
})

// 2. A map or imap stopped by its signal or timeout stops its running worker chunks too.

/** Runs until its worker is terminated; counts its start in `flags[0]`. */
const forever = workerTask((flags: Int32Array) => {
  Atomics.add(flags, 0, 1)
  Atomics.notify(flags, 0)
  for (;;);
})

/** Resolves with `promise`'s outcome, or 'hung' after `HOLD_MS`. */
function bounded(promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([promise.then(() => 'settled'), new Promise((resolve) => setTimeout(resolve, HOLD_MS, 'hung'))])
}

for (const how of ['map', 'imap'] as const) {
  for (const stopBy of ['signal', 'timeout'] as const) {
    test(`${how} stopped by its ${stopBy} terminates its running worker chunk, frees the slot, and shutdown() resolves`, async (t) => {
      const { executor, gates } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
      const controller = new AbortController()
      await executor.startWorkers() // so that the chunk starts well within the timeout
      const options = stopBy === 'signal' ? { signal: controller.signal } : { timeout: 5_000 }
      const run = async (): Promise<unknown> => {
        if (how === 'map') return executor.map(forever, [gates.flags], options)
        for await (const value of executor.imap(forever, [gates.flags], options)) return value
        return undefined
      }
      const result = run()
      result.catch(() => {}) // (awaited below)
      await waitForFlag(gates.flags, 0, 1, 'the chunk to start')
      controller.abort()
      await t.throwsAsync(result, { instanceOf: stopBy === 'signal' ? CancelledError : TimeoutError })
      await waitUntil(() => executor.getStats().activeThreads === 0, 'the slot to be freed')
      t.is(await bounded(executor.shutdown()), 'settled')
      t.like(executor.getStats(), { cancelledTasks: 1, workers: { alive: 0 } })
    })
  }
}

// 4. A submission starts at once when a worker is free, not at the end of the submitter's microtask.

test('a worker task submitted while workers are free starts while the submitter goes on synchronously', async (t) => {
  const { executor, gates } = setupWorkers(t, { maxWorkers: 2, jsWorkers: 2 })
  await executor.startWorkers()
  const future = executor.submit(waitOnGate, [gates.flags, 0, 1, HOLD_MS])
  // No await from submit to here: a task held until this microtask ends cannot start during the wait.
  const wait = Atomics.wait(gates.flags, 0, 0, HOLD_MS)
  t.not(wait, 'timed-out', 'the task did not start while the submitter was busy')
  gates.open(1)
  t.true(await future)
})

// 5. queueCapacity counts the tasks beyond those the free slots take.

test('queueCapacity counts the tasks beyond the free slots: maxWorkers + queueCapacity are accepted, the next is refused', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 4, queueCapacity: 2 })
  const open = gate()
  const held = (): Promise<void> => open.promise
  const futures = Array.from({ length: 6 }, () => executor.submit(held))
  t.throws(() => executor.submit(held), { instanceOf: QueueFullError })
  await waitUntil(() => executor.getStats().activeThreads === 4, 'four tasks to run')
  t.like(executor.getStats(), { activeThreads: 4, queuedTasks: 2 })
  t.throws(() => executor.submit(held), { instanceOf: QueueFullError })
  open.open()
  await Promise.all(futures)
  t.like(executor.getStats(), { completedTasks: 6, rejectedTasks: 2 })
})

// 13. One AbortSignal shared by many tasks: one listener, not one per task.

test('one AbortSignal shared by 100 pending tasks has one abort listener, which aborting cancels them all through and settling removes', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const warnings: string[] = []
  const onWarning = (warning: Error): number => warnings.push(warning.name)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  const open = gate()
  const controller = new AbortController()
  const { signal } = controller
  const futures = Array.from({ length: 100 }, () => executor.submit(() => open.promise, [], { signal }))
  t.is(getEventListeners(signal, 'abort').length, 1)
  await waitUntil(() => futures[0]!.running(), 'the first task to run')
  controller.abort()
  t.is(futures.filter((future) => future.cancelled()).length, 99) // the running main-thread one cannot be stopped
  open.open()
  await futures[0]
  t.is(getEventListeners(signal, 'abort').length, 0)
  const kept = new AbortController()
  await Promise.all(Array.from({ length: 20 }, (_, i) => executor.submit((n: number) => n, [i], { signal: kept.signal })))
  t.is(getEventListeners(kept.signal, 'abort').length, 0, 'the listener of a signal that never aborts goes with its last task')
  await flush()
  t.deepEqual(warnings, [])
})

// 11. addDoneCallback runs in the submitter's AsyncLocalStorage context, as then/await do.

test('addDoneCallback runs in the AsyncLocalStorage context it was added in, for every kind of task', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 2 })
  const storage = new AsyncLocalStorage<string>()
  const kinds = { worker: workerTask((n: number) => n), kernel: kernels.spin, 'main thread': (n: number) => n }
  for (const [kind, fn] of Object.entries(kinds)) {
    const seen = await storage.run(`request ${kind}`, async () => {
      const future = executor.submit(fn as (n: number) => number, [10])
      const inCallback = new Promise<string | undefined>((resolve) => future.addDoneCallback(() => resolve(storage.getStore())))
      await future
      return inCallback
    })
    t.is(seen, `request ${kind}`, kind)
  }
})

// 12. CommonJS handlers hung off an exported function.

test('workerTask(file, name) finds a CommonJS handler hung off the exported function (module.exports = a; a.b = b)', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1 })
  const file = fixture('handlers.cjs')
  t.is(await executor.submit(workerTask<(x: number) => number>(file, 'double'), [21]), 42)
  t.is(await executor.submit(workerTask<(name: string) => string>(file, 'greet'), ['you']), 'hello you')
  t.is(await executor.submit(workerTask<(x: number) => string>(file, 'default'), [1]), 'main 1')
})

// 7. A thrown non-Error that cannot be cloned whole keeps its cloneable own fields.

test('a thrown object that cannot be cloned whole (it has a method) rejects with its cloneable own fields', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const throwsRecord = workerTask(() => {
    throw {
      code: 'E_X',
      details: { id: 7, tags: ['a', 'b'] },
      toJSON() {
        return 'E_X'
      },
    }
  })
  const rejection = await executor.submit(throwsRecord, []).then(
    () => t.fail('it resolved'),
    (error: unknown) => error,
  )
  t.deepEqual(rejection, { code: 'E_X', details: { id: 7, tags: ['a', 'b'] } })
  const throwsSymbol = workerTask(() => Promise.reject(Symbol('odd')))
  t.is(await executor.submit(throwsSymbol, []).catch((error: unknown) => error), 'Symbol(odd)')
})

// 8. Worker tasks under `node --input-type=module` (an `-e` script or stdin).

test('worker tasks run in a program started with node --input-type=module -e', async (t) => {
  const script = `
    import { Executor, workerTask } from ${JSON.stringify(PACKAGE_URL)}
    const executor = new Executor({ maxWorkers: 1 })
    console.log(await executor.submit(workerTask((n) => n * 2), [21]))
    await executor.shutdown()
  `
  const { stdout, stderr, code } = await runNode(['--input-type=module', '-e', script])
  t.is(code, 0, stderr)
  t.is(stdout.trim(), '42')
})

test('workerExecArgv drops --input-type in both spellings and keeps every other option', (t) => {
  t.deepEqual(workerExecArgv(['--input-type=module', '--import', 'tsx', '--input-type', 'commonjs', '--enable-source-maps']), [
    '--import',
    'tsx',
    '--enable-source-maps',
  ])
})

test('without --input-type, workers inherit the options as Node gives them: a per-process option does not stop them', async (t) => {
  t.is(workerExecArgv(['--max-old-space-size=256', '--enable-source-maps']), undefined)
  const main = `
    import { Executor, workerTask } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 1 })
    const seen = workerTask(() => [typeof gc, process.execArgv.includes('--expose-gc')])
    console.log(JSON.stringify(await executor.submit(seen, [])))
    await executor.shutdown()
  `
  // Node refuses both in an explicit execArgv (ERR_WORKER_INVALID_EXEC_ARGV); a worker inherits them.
  const { stdout, stderr, code } = await runScripts({ 'main.mjs': main }, 'main.mjs', 20_000, undefined, ['--max-old-space-size=256', '--expose-gc'])
  t.is(code, 0, stderr)
  t.deepEqual(JSON.parse(stdout), ['function', true])
})

// 10. Moved results (transfer) and MessagePorts in the transfer list.

test('a worker task returns transfer(value, list): the buffers are moved to the caller, not copied, in submit and in map', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const filled = workerTask<(length: number, value: number) => Transfer<Uint8Array>>(fixture('moves.mjs'), 'filled')
  const lastDetached = workerTask<() => boolean>(fixture('moves.mjs'), 'lastDetached')
  const bytes = await executor.submit(filled, [1024, 7])
  t.true(bytes instanceof Uint8Array)
  t.is(bytes.length, 1024)
  t.true(bytes.every((b) => b === 7))
  t.true(await executor.submit(lastDetached, []), 'the worker still holds the bytes: they were copied')
  const filledItem = workerTask<(length: number) => Transfer<Uint8Array>>(fixture('moves.mjs'), 'filled')
  const arrays = await executor.map(filledItem, [1, 2, 3], { chunkSize: 3 })
  t.deepEqual(
    arrays.map((array) => array.length),
    [1, 2, 3],
  )
  t.true(await executor.submit(lastDetached, []))
})

test('a MessagePort in the transfer list reaches the worker task, which can stream through it', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const stream = workerTask<(port: MessagePort, count: number) => number>(fixture('moves.mjs'), 'stream')
  const { port1, port2 } = new MessageChannel()
  t.teardown(() => port1.close())
  const parts: unknown[] = []
  port1.on('message', (part) => parts.push(part))
  t.is(await executor.submit(stream, [port2, 3], { transfer: [port2] }), 3)
  await waitUntil(() => parts.length === 3, 'the three parts')
  t.deepEqual(parts, ['part 1', 'part 2', 'part 3'])
  t.throws(() => executor.submit(stream, [port1, 1], { transfer: [port1, {} as ArrayBuffer] }), { instanceOf: TypeError })
})
