/**
 * Every options object of the API refuses a key it does not know with a `TypeError` naming
 * the key and the closest known one, instead of ignoring a misspelt option (issue [room] bug
 * 5: `shutdown({ cancel_pending: true })` used to run every queued task instead of cancelling).
 * Known keys set to `undefined` pass.
 */
import test, { type ExecutionContext } from 'ava'

import { Executor, TaskPriority, type ExecutorOptions, type Future } from '../index.js'
import { checkOptions } from '../lib/options.js'
import { setup, waitUntil } from './helpers.js'

/** The entry points take loosely typed options here: the misspelt keys are the point. */
type Loose = Record<string, unknown>

function isUnknownOption(error: unknown, where: string, key: string, suggestion: string | undefined): boolean {
  if (!(error instanceof TypeError)) return false
  const tail = suggestion === undefined ? '; the options are ' : `; did you mean ${JSON.stringify(suggestion)}?`
  return error.message.startsWith(`unknown ${where} option ${JSON.stringify(key)}${tail}`)
}

/** Asserts that `call` throws synchronously the unknown-option `TypeError`. */
function refusesNow(t: ExecutionContext, call: () => unknown, where: string, key: string, suggestion?: string): void {
  const error = t.throws(call, undefined, `${where} { ${key} } was accepted`)
  t.true(isUnknownOption(error, where, key, suggestion), `${where} { ${key} }: ${String(error)}`)
}

/** Asserts that `call` returns a promise that rejects with the unknown-option `TypeError`. */
async function refusesLater(t: ExecutionContext, call: () => Promise<unknown>, where: string, key: string, suggestion?: string): Promise<void> {
  const error = await t.throwsAsync(call, undefined, `${where} { ${key} } was accepted`)
  t.true(isUnknownOption(error, where, key, suggestion), `${where} { ${key} }: ${String(error)}`)
}

test('submit refuses misspelt options synchronously, before anything is queued or run', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  let calls = 0
  const task = (): number => ++calls
  const submit = executor.submit.bind(executor) as (fn: () => number, args: [], options: Loose) => Future<number>
  refusesNow(t, () => submit(task, [], { prio: TaskPriority.HIGH }), 'submit', 'prio', 'priority')
  refusesNow(t, () => submit(task, [], { timeOut: 5 }), 'submit', 'timeOut', 'timeout')
  refusesNow(t, () => submit(task, [], { signl: new AbortController().signal }), 'submit', 'signl', 'signal')
  refusesNow(t, () => submit(task, [], { priority: TaskPriority.LOW, retries: 3 }), 'submit', 'retries')
  t.is(executor.getStats().submittedTasks, 0)
  t.is(await executor.submit(task, [], { priority: undefined, signal: undefined, timeout: undefined }), 1)
  t.is(calls, 1)
})

test('map refuses misspelt options and runs nothing', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  let calls = 0
  const map = executor.map.bind(executor) as (fn: (x: number) => number, items: number[], options: Loose) => Promise<number[]>
  await refusesLater(t, () => map((x) => (calls++, x), [1, 2, 3], { chunk_size: 2 }), 'map', 'chunk_size', 'chunkSize')
  await refusesLater(t, () => map((x) => (calls++, x), [1, 2, 3], { onprogress: () => {} }), 'map', 'onprogress', 'onProgress')
  // imap's own options are not map's
  await refusesLater(t, () => map((x) => (calls++, x), [1, 2, 3], { concurrency: 2 }), 'map', 'concurrency')
  t.is(calls, 0)
  const all = { chunkSize: undefined, priority: undefined, signal: undefined, timeout: undefined, onProgress: undefined }
  t.deepEqual(await executor.map((x: number) => x * 2, [1, 2, 3], all), [2, 4, 6])
})

test('imap refuses misspelt options from its first next(), as its other argument checks', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const imap = executor.imap.bind(executor) as (fn: (x: number) => number, items: number[], options: Loose) => AsyncIterableIterator<number>
  await refusesLater(t, () => imap((x) => x, [1, 2], { concurency: 2 }).next(), 'imap', 'concurency', 'concurrency')
  await refusesLater(t, () => imap((x) => x, [1, 2], { Ordered: false }).next(), 'imap', 'Ordered', 'ordered')
  await refusesLater(t, () => imap((x) => x, [1, 2], { onProgress: () => {} }).next(), 'imap', 'onProgress')
  const results: number[] = []
  const all = { chunkSize: undefined, priority: undefined, signal: undefined, timeout: undefined, concurrency: undefined, ordered: undefined }
  for await (const value of executor.imap((x: number) => x + 1, [1, 2], all)) results.push(value)
  t.deepEqual(results, [2, 3])
})

test('wait and asCompleted refuse misspelt options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const futures = [executor.submit(() => 1), executor.submit(() => 2)]
  const wait = executor.wait.bind(executor) as (futures: Future<number>[], options: Loose) => Promise<unknown>
  const asCompleted = executor.asCompleted.bind(executor) as (futures: Future<number>[], options: Loose) => unknown
  refusesNow(t, () => wait(futures, { return_when: 'FIRST_COMPLETED' }), 'wait', 'return_when', 'returnWhen')
  refusesNow(t, () => wait(futures, { timout: 10 }), 'wait', 'timout', 'timeout')
  refusesNow(t, () => asCompleted(futures, { timeOut: 10 }), 'asCompleted', 'timeOut', 'timeout')
  refusesNow(t, () => asCompleted(futures, { returnWhen: 'FIRST_COMPLETED' }), 'asCompleted', 'returnWhen')
  const { done } = await executor.wait(futures, { returnWhen: undefined, timeout: undefined })
  t.is(done.length, 2)
  let seen = 0
  for await (const future of executor.asCompleted(futures, { timeout: undefined })) seen += await future.result()
  t.is(seen, 3)
})

test('future.result and future.exception refuse misspelt options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => 42)
  const loose = future as unknown as { result(options: Loose): Promise<unknown>; exception(options: Loose): Promise<unknown> }
  refusesNow(t, () => loose.result({ timeOut: 5 }), 'future.result', 'timeOut', 'timeout')
  refusesNow(t, () => loose.exception({ time_out: 5 }), 'future.exception', 'time_out', 'timeout')
  refusesNow(t, () => loose.result({ returnWhen: 'FIRST_COMPLETED' }), 'future.result', 'returnWhen')
  t.is(await future.result({ timeout: undefined }), 42)
  t.is(await future.exception({ timeout: undefined }), undefined)
})

test('ready refuses misspelt options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const ready = executor.ready.bind(executor) as (options: Loose) => Promise<void>
  await refusesLater(t, () => ready({ timeOut: 5 }), 'ready', 'timeOut', 'timeout')
  await refusesLater(t, () => ready({ signals: new AbortController().signal }), 'ready', 'signals', 'signal')
  await t.notThrowsAsync(executor.ready({ signal: undefined, timeout: undefined }))
})

test('shutdown refuses misspelt options and leaves the executor running', async (t) => {
  const { executor, gate } = setup(t, { maxWorkers: 1 })
  const blocker = gate()
  const running = executor.submit(() => blocker.promise)
  await waitUntil(() => running.running(), 'the first task to start')
  let queuedRan = false
  const queued = executor.submit(() => (queuedRan = true))
  const shutdown = executor.shutdown.bind(executor) as (options: Loose) => Promise<void>
  // (`wait: false`, so that an executor that took them would not wait here for the blocked task)
  await refusesLater(t, () => shutdown({ cancel_pending: true, wait: false }), 'shutdown', 'cancel_pending', 'cancelPending')
  await refusesLater(t, () => shutdown({ CancelPending: true, wait: false }), 'shutdown', 'CancelPending', 'cancelPending')
  await refusesLater(t, () => shutdown({ force: true, wait: false }), 'shutdown', 'force')
  // Not shut down: submissions are still accepted, and the queued task is still queued.
  t.true(executor.submit(() => 'still open').cancel())
  t.false(queued.done())
  const closed = executor.shutdown({ cancelPending: true, wait: undefined })
  blocker.open()
  await closed
  await running
  t.true(queued.cancelled())
  t.false(queuedRan)
})

test('new Executor names the closest option of a misspelt one', (t) => {
  refusesNow(t, () => new Executor({ maxWorker: 2 } as ExecutorOptions), 'Executor', 'maxWorker', 'maxWorkers')
  refusesNow(t, () => new Executor({ queue_capacity: 2 } as ExecutorOptions), 'Executor', 'queue_capacity', 'queueCapacity')
  refusesNow(t, () => new Executor({ max_workers: 2 } as ExecutorOptions), 'Executor', 'max_workers', 'maxWorkers')
  refusesNow(t, () => new Executor({ jsWorker: 2 } as ExecutorOptions), 'Executor', 'jsWorker', 'jsWorkers')
  refusesNow(t, () => new Executor({ verbose: true } as ExecutorOptions), 'Executor', 'verbose')
})

test('options that are not objects are refused by every entry point that takes options', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const future = executor.submit(() => 1)
  await future
  const calls: Array<[string, () => unknown]> = [
    ['wait', () => (executor.wait as (f: unknown, o: unknown) => unknown)([future], null)],
    ['asCompleted', () => (executor.asCompleted as (f: unknown, o: unknown) => unknown)([future], 100)],
    ['future.result', () => (future.result as (o: unknown) => unknown)('fast')],
    ['future.exception', () => (future.exception as (o: unknown) => unknown)([])],
  ]
  for (const [where, call] of calls) {
    const error = t.throws(call, undefined, where)
    t.true(error instanceof TypeError && error.message.startsWith(`${where} options must be an object`), `${where}: ${String(error)}`)
  }
})

test('the suggestion: case, `_` and `-` ignored, a prefix or a few slips away, none for an unrelated key', (t) => {
  const known = ['priority', 'signal', 'timeout', 'cancelPending', 'returnWhen']
  const suggestion = (key: string): string | undefined => {
    try {
      checkOptions('x', { [key]: 1 }, known)
    } catch (error) {
      return /did you mean "(\w+)"/.exec((error as Error).message)?.[1]
    }
    throw new Error(`${key} was accepted`)
  }
  t.is(suggestion('TIMEOUT'), 'timeout')
  t.is(suggestion('cancel-pending'), 'cancelPending')
  t.is(suggestion('prio'), 'priority')
  t.is(suggestion('timout'), 'timeout')
  t.is(suggestion('retrunWhen'), 'returnWhen') // a transposition is two edits
  t.is(suggestion('sigal'), 'signal')
  t.is(suggestion('ti'), undefined) // too short to be taken as a prefix
  t.is(suggestion('verbose'), undefined)
  t.is(suggestion('cancelAll'), undefined)
  t.notThrows(() => checkOptions('x', undefined, known))
  t.notThrows(() => checkOptions('x', { priority: undefined, timeout: 5 }, known))
  const error = t.throws(() => checkOptions('x', { verbose: true }, known))
  t.is(error?.message, 'unknown x option "verbose"; the options are "priority", "signal", "timeout", "cancelPending", "returnWhen"')
})
