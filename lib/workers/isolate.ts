/**
 * The program of a worker isolate (`lib/workers/isolates.ts` spawns it). It loads the addon,
 * joins its executor's hub by id, and serves worker tasks until it is retired or terminated.
 *
 * Loop: take a task natively (`WorkerPort.next`: spin briefly after a task, then block for a
 * bounded time), call its function, report the result natively (the hub frees the slot and
 * hands the next task out without the main thread). When the wait runs out, park on the event
 * loop (no CPU) until the hub's wake-up call (`src/workers/queue.rs`). An async task's promise
 * is awaited on this thread's event loop, which it needs; between tasks the loop also turns at
 * least every `SLICE_MS` of work, so timers a task started still run, and `terminate()` and
 * process exit are never held up by more than one wait.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads'

import { addon } from '../addon.js'
import { WORKER_ARGS_ON_PORT, WORKER_CHUNK } from '../wire/codes.js'
import { decode, encode, encodeError } from './codec.js'
import { compileSource, explainOuterVariable } from './source.js'
import type { IsolateData } from './isolates.js'

type Fn = (...args: unknown[]) => unknown
interface Input {
  id: number
  function: number
  flags: number
  numbers?: Float64Array | null
  bytes?: Uint8Array | null
}

/** Spin after a task before blocking: the next one often comes within microseconds (worker-isolates.md). */
const SPIN_US = 50
/**
 * Block in the native wait before parking on the event loop: tasks in a burst arrive well
 * within it, and it bounds how long exit, `terminate()` and this thread's timers can wait.
 */
const IDLE_WAIT_MS = 50
/** Longest run of tasks without a turn of the event loop. */
const SLICE_MS = 10

const { hub, seat, generation, port: channel, signal } = workerData as IsolateData
/** Resolves the wait of a parked worker; set while it is parked. */
let wake: (() => void) | undefined
const port = new addon.WorkerPort(hub, seat, generation, () => wake?.())
const functions = new Map<number, Fn>()
const sources = new Set<number>()

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Waits on the event loop until the hub wakes this parked worker. */
const parked = (): Promise<void> =>
  new Promise((resolve) => {
    wake = () => {
      wake = undefined
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
  // A CommonJS module's named exports may only be on its default export (module.exports).
  const exports = module.default
  let fn = module[name]
  if (fn === undefined && exports !== null && typeof exports === 'object') fn = (exports as Record<string, unknown>)[name]
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
    const seen = Atomics.load(signal, 0)
    const received = receiveMessageOnPort(channel)
    if (received !== undefined) {
      const message = received.message as { id: number; args: unknown[] }
      if (message.id === id) return message.args
      continue // a stale answer for a task this worker no longer runs
    }
    Atomics.wait(signal, 0, seen, IDLE_WAIT_MS)
  }
}

function argsOf(input: Input): unknown[] {
  if ((input.flags & WORKER_ARGS_ON_PORT) !== 0) return argsFromPort(input.id)
  if (input.numbers != null) return Array.from(input.numbers)
  return decode(input.bytes!) as unknown[]
}

function callChunk(fn: Fn, items: unknown[]): unknown {
  const out = new Array<unknown>(items.length)
  for (let i = 0; i < items.length; i++) {
    const result = fn(items[i])
    if (isThenable(result)) return finishChunk(fn, items, out, i, result)
    out[i] = result
  }
  return out
}

async function finishChunk(fn: Fn, items: unknown[], out: unknown[], from: number, pending: PromiseLike<unknown>): Promise<unknown[]> {
  out[from] = await pending
  for (let i = from + 1; i < items.length; i++) out[i] = await fn(items[i])
  return out
}

function allNumbers(values: unknown[]): boolean {
  for (const value of values) if (typeof value !== 'number') return false
  return true
}

function fail(id: number, functionId: number, error: unknown): void {
  port.threw(id, encodeError(sources.has(functionId) ? explainOuterVariable(error) : error))
}

function complete(input: Input, value: unknown): void {
  const { id } = input
  if (typeof value === 'number') {
    port.returnedNumber(id, value)
    return
  }
  if ((input.flags & WORKER_CHUNK) !== 0 && allNumbers(value as unknown[])) {
    port.returnedNumbers(id, Float64Array.from(value as number[]))
    return
  }
  let bytes: Uint8Array | undefined
  try {
    bytes = encode(value)
  } catch (error) {
    fail(id, input.function, new TypeError('the worker task returned a value that cannot be cloned to the main thread', { cause: error }))
    return
  }
  if (bytes !== undefined) {
    port.returned(id, bytes)
    return
  }
  channel.postMessage({ id, value })
  port.posted(id)
}

/** Runs one task; returns a promise while it (or the import of its module) is pending. */
function run(input: Input): Promise<void> | undefined {
  const { id, function: functionId, flags } = input
  let result: unknown
  try {
    const fn = lookUp(functionId)
    const args = argsOf(input)
    if (!(fn instanceof Function)) return fn.then((loaded) => settle(input, call(loaded, flags, args)), (error) => fail(id, functionId, error))
    result = call(fn, flags, args)
  } catch (error) {
    fail(id, functionId, error)
    return undefined
  }
  return settle(input, result)
}

function call(fn: Fn, flags: number, args: unknown[]): unknown {
  return (flags & WORKER_CHUNK) !== 0 ? callChunk(fn, args) : fn.apply(undefined, args)
}

function settle(input: Input, result: unknown): Promise<void> | undefined {
  if (!isThenable(result)) {
    complete(input, result)
    return undefined
  }
  return Promise.resolve(result).then(
    (value) => complete(input, value),
    (error: unknown) => fail(input.id, input.function, error),
  )
}

/** Handles of this thread's own that are not its own machinery: timers, sockets, files a task left running. */
const MACHINERY = new Set(['CloseReq', 'MessagePort', 'Immediate'])

function hasOwnWork(): boolean {
  return process.getActiveResourcesInfo().some((kind) => !MACHINERY.has(kind))
}

async function serve(): Promise<void> {
  let spin = 0
  let sliceStart = performance.now()
  for (;;) {
    let input = port.next(spin, 0) as Input | null
    // Only an idle worker asks what its event loop holds (the check costs microseconds): one
    // with timers or sockets of its own parks at once, so that they run on time.
    if (input === null) input = port.next(0, hasOwnWork() ? 0 : IDLE_WAIT_MS) as Input | null
    if (input === null) {
      if (port.retired) break
      spin = 0
      await (port.park() ? parked() : turn())
      sliceStart = performance.now()
      continue
    }
    spin = SPIN_US
    const pending = run(input)
    if (pending !== undefined) {
      await pending
      sliceStart = performance.now()
    } else if (performance.now() - sliceStart > SLICE_MS) {
      await turn()
      sliceStart = performance.now()
    }
  }
  channel.close()
}

void serve()
