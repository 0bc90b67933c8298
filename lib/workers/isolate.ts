/**
 * The program of a worker isolate (`lib/workers/isolates.ts` spawns it). It loads the addon,
 * joins its executor's hub by id, and serves worker tasks until it is retired or terminated,
 * or retires itself (after `maxTasksPerWorker` tasks, `idleTimeout` ms idle, or when asked
 * by `recycleWorkers`: see `signals.ts`), running its `onTeardown` hooks first.
 *
 * Loop: take a task natively (`WorkerPort.next`: spin briefly after a task, then block for a
 * bounded time), call its function, report the result natively (the hub frees the slot and
 * hands the next task out without the main thread). When the wait runs out, park on the event
 * loop (no CPU) until the hub's wake-up call (`src/workers/queue.rs`). An async task's promise
 * is awaited on this thread's event loop, which it needs; between tasks the loop also turns at
 * least every `SLICE_MS` of work, so timers a task started still run, and `terminate()` and
 * process exit are never held up by more than one wait.
 *
 * Keep-alive rule: while a task's promise is pending, the worker holds a ref'd handle
 * (`pendingTask`). The promise may wait on nothing that holds the event loop (an unref'd
 * timer, `AbortSignal.timeout()`, `Atomics.waitAsync`); without the handle the loop would
 * empty and the thread end with the task unsettled. A task that never settles is then ended by
 * its `timeout` or signal, as a synchronous one is.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads'

import { addon } from '../addon.js'
import { callEach, isThenable } from '../calls.js'
import { WORKER_ARGS_ON_PORT, WORKER_CHUNK, WORKER_PROGRESS } from '../wire/codes.js'
import { exact, exactArray } from '../wire/numbers.js'
import { installWorkerHooks } from '../worker/hooks.js'
import { unwrapMoved, type Transferable } from '../worker/transfer.js'
import { decode, encode, encodeError } from './codec.js'
import { WorkerSharedBuffers } from './shared.js'
import { SIGNAL_HAS_TEARDOWN, SIGNAL_MESSAGES, SIGNAL_RECYCLE, type RetireReason, type WorkerNotice } from './signals.js'
import { compileSource, explainOuterVariable } from './source.js'
import type { IsolateData } from './isolates.js'

type Fn = (...args: unknown[]) => unknown

/**
 * How long a worker spins after a task before it blocks, in microseconds (the spin yields its
 * core between looks). The next task often comes within microseconds (a burst), or within the
 * main thread's turnaround (a loop of `await submit(...)`: 30-100 us on the benchmark's VM,
 * where a thread that blocks takes about as long again to wake, and its idle vCPU longer). So
 * a worker spins twice as long as it last waited for a task, within these bounds: long enough
 * to catch a caller coming back at that pace, and no longer than that pace makes worthwhile.
 * Measured (`bench:workers`'s round trip, 300 trips after 1 s idle): a fixed 50 us spin gave a
 * p50 of 82 us, 500 us 50 us.
 */
const SPIN_MIN_US = 50
const SPIN_MAX_US = 500
/**
 * Block in the native wait before parking on the event loop: tasks in a burst arrive well
 * within it, and it bounds how long exit, `terminate()` and this thread's timers can wait.
 */
const IDLE_WAIT_MS = 50
/** Longest run of tasks without a turn of the event loop. */
const SLICE_MS = 10

// The spawner posts this before the worker starts: it is there at once (`workerData` is the user's).
const { hub, seat, generation, port: channel, signal, maxTasks, idleTimeout } = receiveMessageOnPort(parentPort!)!.message as IsolateData
/** Resolves the wait of a parked worker; set while it is parked. */
let wake: (() => void) | undefined
const port = new addon.WorkerPort(hub, seat, generation, () => wake?.())
const { HEADER_FUNCTION, HEADER_FLAGS, HEADER_COUNT, HEADER_ARGS } = addon
/** Numeric arguments that fit in the header travel in it (a map chunk of numbers usually does not). */
const HEADER_NUMBERS = 64
/** What `port.next` says of the task it returns (`HEADER_*`). */
const header = new Float64Array(HEADER_ARGS + HEADER_NUMBERS)
const functions = new Map<number, Fn>()
/** Shared buffers the main thread posted. */
const shared = new WorkerSharedBuffers(channel)
const sources = new Set<number>()
/** The task running now, whose caller listens to its progress; -1 if none. */
let reporting = -1
const teardowns: Array<() => unknown> = []

installWorkerHooks({
  progress(value) {
    if (reporting < 0) return
    const notice: WorkerNotice = { progress: reporting, value }
    channel.postMessage(notice)
  },
  onTeardown(fn) {
    teardowns.push(fn)
    Atomics.store(signal, SIGNAL_HAS_TEARDOWN, 1)
  },
})

/** Ref'd while a task's promise is pending (see the keep-alive rule above); one handle for the worker's life. */
const pendingTask = setInterval(() => {}, 2 ** 31 - 1).unref()

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Waits on the event loop until the hub wakes this parked worker, or `idleMs` have passed
 * (then it unparks itself: the hub can no longer pick it to wake).
 */
const parked = (idleMs: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = idleMs === Infinity ? undefined : setTimeout(() => wake?.(), idleMs)
    wake = () => {
      wake = undefined
      clearTimeout(timer)
      port.unpark()
      resolve()
    }
  })

/** The function of id `id`: compiled or imported the first time, then cached. */
function lookUp(id: number): Fn | Promise<Fn> {
  const known = functions.get(id)
  if (known !== undefined) return known
  const definition = addon.workerFunction(id)
  if (definition === null) throw new Error(`unknown worker function ${id}: was the addon loaded from two paths?`)
  if (definition.source != null) {
    const fn = compileSource(definition.source)
    functions.set(id, fn)
    sources.add(id)
    return fn
  }
  return importExport(id, definition.module!, definition.export!)
}

async function importExport(id: number, url: string, name: string): Promise<Fn> {
  let module: Record<string, unknown>
  try {
    module = (await import(url)) as Record<string, unknown>
  } catch (error) {
    throw Object.assign(new Error(`cannot load worker module ${url}: ${(error as Error)?.message ?? error}`, { cause: error }), {
      code: 'ERR_FERRIS_WORKER_MODULE',
    })
  }
  // A CommonJS module's named exports may only be on its default export (module.exports),
  // which may be a function with handlers hung off it (`module.exports = a; a.b = b`).
  const exports = module.default
  let fn = module[name]
  if (fn === undefined && exports !== null && (typeof exports === 'object' || typeof exports === 'function')) {
    fn = (exports as Record<string, unknown>)[name]
  }
  if (fn === undefined) throw Object.assign(new TypeError(`worker module ${url} has no export "${name}"`), { code: 'ERR_FERRIS_WORKER_EXPORT' })
  if (typeof fn !== 'function') {
    throw Object.assign(new TypeError(`export "${name}" of worker module ${url} is not a function (it is ${typeof fn})`), {
      code: 'ERR_FERRIS_WORKER_EXPORT',
    })
  }
  functions.set(id, fn as Fn)
  return fn as Fn
}

/** The arguments of a task whose arguments come by `postMessage`: asks, then waits for them. */
function argsFromPort(id: number): unknown[] {
  port.needArgs(id)
  for (;;) {
    const seen = Atomics.load(signal, SIGNAL_MESSAGES)
    const received = receiveMessageOnPort(channel)
    if (received !== undefined) {
      if (shared.take(received.message)) continue
      const message = received.message as { id: number; args: unknown[] }
      if (message.id === id) return message.args
      continue // a stale answer for a task this worker no longer runs
    }
    Atomics.wait(signal, SIGNAL_MESSAGES, seen, IDLE_WAIT_MS)
  }
}

/** The arguments of the task `port.next` returned (numbers come as `exact` ones: integers stay small integers). */
function argsOf(id: number, flags: number): unknown[] {
  if ((flags & WORKER_ARGS_ON_PORT) !== 0) return argsFromPort(id)
  const count = header[HEADER_COUNT]!
  if (count >= 0) return exactArray(header.subarray(HEADER_ARGS, HEADER_ARGS + count))
  const numbers = port.takeNumbers()
  return numbers !== null ? exactArray(numbers) : (decode(port.takeBytes()!, shared) as unknown[])
}

function allNumbers(values: unknown[]): boolean {
  for (const value of values) if (typeof value !== 'number') return false
  return true
}

function fail(id: number, functionId: number, error: unknown): void {
  reporting = -1
  port.threw(id, encodeError(sources.has(functionId) ? explainOuterVariable(error) : error))
}

function complete(id: number, functionId: number, flags: number, value: unknown): void {
  reporting = -1
  if (typeof value === 'number') {
    port.returnedNumber(id, value)
    return
  }
  if ((flags & WORKER_CHUNK) !== 0 && allNumbers(value as unknown[])) {
    port.returnedNumbers(id, Float64Array.from(value as number[]))
    return
  }
  const moved = unwrapMoved(value, (flags & WORKER_CHUNK) !== 0)
  if (moved !== undefined) {
    post(id, functionId, moved.value, moved.list)
    return
  }
  let bytes: Uint8Array | undefined
  try {
    bytes = encode(value, shared)
  } catch (error) {
    fail(id, functionId, cloneError(error))
    return
  }
  if (bytes !== undefined) {
    port.returned(id, bytes)
    return
  }
  post(id, functionId, value, undefined)
}

function cloneError(error: unknown): TypeError {
  return new TypeError('the worker task returned a value that cannot be cloned to the main thread', { cause: error })
}

/** Sends task `id`'s result by `postMessage`: it holds shared memory, or moves `list`. */
function post(id: number, functionId: number, value: unknown, list: Transferable[] | undefined): void {
  try {
    channel.postMessage({ id, value }, list)
  } catch (error) {
    fail(id, functionId, cloneError(error))
    return
  }
  port.posted(id)
}

/** Runs task `id` (described by `header`); returns a promise while it (or the import of its module) is pending. */
function run(id: number): Promise<void> | undefined {
  const functionId = header[HEADER_FUNCTION]!
  const flags = header[HEADER_FLAGS]!
  // Until it settles (one task at a time runs here); a report from a callback an earlier
  // task left behind would go to this one.
  reporting = (flags & WORKER_PROGRESS) !== 0 ? id : -1
  let result: unknown
  try {
    const fn = lookUp(functionId)
    if (!(fn instanceof Function)) {
      const args = argsOf(id, flags)
      return fn.then(
        (loaded) => attempt(id, functionId, flags, () => call(loaded, flags, args)),
        (error: unknown) => fail(id, functionId, error),
      )
    }
    result = callNow(fn, id, flags)
  } catch (error) {
    fail(id, functionId, error)
    return undefined
  }
  return settle(id, functionId, flags, result)
}

/** Settles task `id` with what `calling` returns or throws. */
function attempt(id: number, functionId: number, flags: number, calling: () => unknown): Promise<void> | undefined {
  let result: unknown
  try {
    result = calling()
  } catch (error) {
    fail(id, functionId, error)
    return undefined
  }
  return settle(id, functionId, flags, result)
}

/** Calls `fn` on the task's arguments: straight from the header for a call with a few numbers. */
function callNow(fn: Fn, id: number, flags: number): unknown {
  if ((flags & (WORKER_CHUNK | WORKER_ARGS_ON_PORT)) === 0) {
    const a = HEADER_ARGS
    switch (header[HEADER_COUNT]) {
      case 0:
        return fn()
      case 1:
        return fn(exact(header[a]!))
      case 2:
        return fn(exact(header[a]!), exact(header[a + 1]!))
    }
  }
  return call(fn, flags, argsOf(id, flags))
}

function call(fn: Fn, flags: number, args: unknown[]): unknown {
  return (flags & WORKER_CHUNK) !== 0 ? callEach(fn, args) : fn.apply(undefined, args)
}

function settle(id: number, functionId: number, flags: number, result: unknown): Promise<void> | undefined {
  if (!isThenable(result)) {
    complete(id, functionId, flags, result)
    return undefined
  }
  return Promise.resolve(result).then(
    (value) => complete(id, functionId, flags, value),
    (error: unknown) => fail(id, functionId, error),
  )
}

/** Handles of this thread's own that are not its own machinery: timers, sockets, files a task left running. */
const MACHINERY = new Set(['CloseReq', 'MessagePort', 'Immediate'])

function hasOwnWork(): boolean {
  return process.getActiveResourcesInfo().some((kind) => !MACHINERY.has(kind))
}

/** Runs the teardown hooks in order, each awaited; the first error is thrown once all have run. */
async function tearDown(): Promise<void> {
  let failure: { error: unknown } | undefined
  for (const fn of teardowns.splice(0)) {
    try {
      await fn()
    } catch (error) {
      failure ??= { error }
    }
  }
  if (failure !== undefined) throw failure.error
}

/**
 * Leaves for good: says why (so that the exit is not taken for a crash), runs the teardown
 * hooks, and exits even if timers or sockets a task left would keep the thread alive.
 */
async function retire(reason: RetireReason): Promise<never> {
  const notice: WorkerNotice = { retired: reason }
  channel.postMessage(notice)
  await tearDown()
  process.exit(0)
}

async function serve(): Promise<void> {
  let spin = 0
  let sliceStart = performance.now()
  let tasks = 0
  let idleSince = performance.now()
  const idleLeft = (): number => idleTimeout - (performance.now() - idleSince)
  for (;;) {
    if (Atomics.load(signal, SIGNAL_RECYCLE) !== 0) return retire('recycled')
    const waitStart = performance.now()
    let id = port.next(spin, 0, header)
    // Only an idle worker asks what its event loop holds (the check costs microseconds): one
    // with timers or sockets of its own parks at once, so that they run on time.
    if (id < 0) id = port.next(0, hasOwnWork() ? 0 : Math.max(0, Math.min(IDLE_WAIT_MS, idleLeft())), header)
    if (id < 0) {
      if (port.retired) break
      if (idleLeft() <= 0) return retire('idle')
      spin = 0
      if (!port.park()) await turn()
      // Asked to retire while it waited natively: `wakeWorkers` found it not parked yet, and
      // the flag was set before that call, so it is seen here (after parking) or it wakes it.
      else if (Atomics.load(signal, SIGNAL_RECYCLE) !== 0) port.unpark()
      else await parked(idleLeft())
      sliceStart = performance.now()
      continue
    }
    const waitedUs = (performance.now() - waitStart) * 1000
    spin = waitedUs > SPIN_MAX_US ? SPIN_MIN_US : Math.min(SPIN_MAX_US, Math.max(SPIN_MIN_US, 2 * waitedUs))
    const pending = run(id)
    if (pending !== undefined) {
      pendingTask.ref()
      await pending
      pendingTask.unref()
      sliceStart = performance.now()
    } else if (performance.now() - sliceStart > SLICE_MS) {
      await turn()
      sliceStart = performance.now()
    }
    if (++tasks >= maxTasks) return retire('recycled')
    if (idleTimeout !== Infinity) idleSince = performance.now()
  }
  // Retired by the executor's shutdown, which leaves a worker with teardown hooks to run them.
  if (teardowns.length > 0) await retire('shutdown')
  channel.close()
}

void serve()
