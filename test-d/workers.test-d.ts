/**
 * Type tests of worker tasks in the published declarations (compiled by `tsc -p
 * test-d/tsconfig.json` in `npm test`, never run): `workerTask` infers its arguments and
 * result, and `submit`/`map`/`imap` check them as they do for kernels. Each `@ts-expect-error`
 * line must fail to compile.
 */
import type { MessagePort, Worker } from 'node:worker_threads'

import {
  Executor,
  Future,
  WorkerExitError,
  WorkerTask,
  transfer,
  workerTask,
  type Transfer,
  type Transferable,
  type WorkerOptions,
  type WorkerStats,
  type WorkerTaskOf,
} from 'ferris-executor'
import { onTeardown, progress, transfer as transferFromWorker } from 'ferris-executor/worker'

/** True if `X` and `Y` are the same type. */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false

/** `expectType<T>()(value)` compiles only if `value` is exactly of type `T`. */
declare function expectType<Expected>(): <Actual>(value: Actual, ...exact: Equal<Actual, Expected> extends true ? [] : [never]) => void

declare const executor: Executor
declare const pixels: Uint8ClampedArray

// workerTask(fn) infers the argument list and the result, promises unwrapped.
const square = workerTask((n: number) => n * n)
expectType<WorkerTask<[n: number], number>>()(square)
const greet = workerTask(async (name: string, times?: number) => name.repeat(times ?? 1))
expectType<WorkerTask<[name: string, times?: number], string>>()(greet)
const noArgs = workerTask(() => new Map<string, bigint>())
expectType<WorkerTask<[], Map<string, bigint>>>()(noArgs)

// A module's export: typed by the export's type (as `typeof Work.blur` would give), else unknown.
declare function blur(pixels: Uint8ClampedArray, width: number, height: number): Promise<Uint8ClampedArray>
const blurTask = workerTask<typeof blur>(new URL('./work.js', import.meta.url), 'blur')
expectType<WorkerTask<[pixels: Uint8ClampedArray, width: number, height: number], Uint8ClampedArray>>()(blurTask)
expectType<WorkerTaskOf<typeof blur>>()(blurTask)
const untyped = workerTask('/abs/work.js', 'anything')
expectType<WorkerTask<unknown[], unknown>>()(untyped)
expectType<string | undefined>()(blurTask.module)
expectType<string>()(blurTask.name)
// @ts-expect-error the export name is required with a module
workerTask(new URL('./work.js', import.meta.url))
// @ts-expect-error a module is a URL or a path, not a number
workerTask(42, 'x')

// submit: the result type, and the arguments checked against the function's parameters.
expectType<Future<number>>()(executor.submit(square, [3]))
expectType<Future<string>>()(executor.submit(greet, ['a']))
expectType<Future<string>>()(executor.submit(greet, ['a', 2]))
expectType<Future<Uint8ClampedArray>>()(executor.submit(blurTask, [pixels, 640, 480], { priority: undefined, timeout: 500 }))
expectType<Future<Uint8ClampedArray>>()(executor.submit(blurTask, [pixels, 1, 1], { transfer: [pixels.buffer as ArrayBuffer] }))
expectType<Future<unknown>>()(executor.submit(untyped, [1, 'two', {}]))
expectType<Future<Map<string, bigint>>>()(executor.submit(noArgs, []))
// @ts-expect-error a string where a number is expected
executor.submit(square, ['3'])
// @ts-expect-error one argument missing
executor.submit(square, [])
// @ts-expect-error one argument too many
executor.submit(square, [1, 2])
// @ts-expect-error blur needs width and height
executor.submit(blurTask, [pixels])
// @ts-expect-error a worker task's arguments are not optional
executor.submit(square)
// @ts-expect-error transfer takes ArrayBuffers, not typed arrays
executor.submit(blurTask, [pixels, 1, 1], { transfer: [pixels] })

// map/imap: the item is the task's one argument.
expectType<Promise<number[]>>()(executor.map(square, [1, 2, 3], { chunkSize: 256 }))
expectType<Promise<string[]>>()(executor.map(workerTask(async (s: string) => s.toUpperCase()), ['a']))
expectType<AsyncIterableIterator<number>>()(executor.imap(square, [1, 2]))
expectType<AsyncIterableIterator<number>>()(executor.imap(square, (async function* () { yield 1 })()))
// @ts-expect-error strings are not numbers
void executor.map(square, ['1'])
// @ts-expect-error the items are the argument itself, not an argument list
void executor.map(square, [[1]])
// @ts-expect-error a task of two parameters cannot be mapped (one item per call)
void executor.map(workerTask((a: number, b: number) => a + b), [1])
// @ts-expect-error strings are not numbers
void executor.imap(square, ['1'])

// Statistics and errors.
expectType<WorkerStats>()(executor.getStats().workers)
expectType<{ alive: number; busy: number; started: number; replaced: number; retired: number }>()({ ...executor.getStats().workers })
expectType<number>()(new WorkerExitError(1).exitCode)
expectType<Promise<void>>()(executor.startWorkers())
// @ts-expect-error jsWorkers is a number
void new Executor({ jsWorkers: '2' })
void new Executor({ jsWorkers: 0, resourceLimits: { maxOldGenerationSizeMb: 64 } })

// Lifecycle.
expectType<Promise<void>>()(executor.destroy())
expectType<Promise<void>>()(executor.recycleWorkers())
expectType<Promise<void>>()(executor.shutdown({ timeout: 1_000 }))
executor.on('workerStart', (id, worker) => {
  expectType<number>()(id)
  expectType<Worker>()(worker)
})
executor.on('workerExit', (id, exitCode) => {
  expectType<number>()(id)
  expectType<number>()(exitCode)
})
executor.on('error', (error) => expectType<unknown>()(error))
void executor.submit(square, [2], { onProgress: (value) => expectType<unknown>()(value) })
expectType<void>()(progress({ done: 1 }))
expectType<void>()(onTeardown(async () => {}))
const workerOptions: WorkerOptions = { env: { A: '1' }, argv: ['x'], execArgv: [], workerData: { any: 'thing' }, name: 'n', stdout: true, stderr: false }
void new Executor({ workerOptions, idleTimeout: 30_000, maxTasksPerWorker: 1_000 })
// @ts-expect-error an unknown worker option
void new Executor({ workerOptions: { workerdata: 1 } })
// @ts-expect-error a misspelt resource limit
void new Executor({ workerOptions: { resourceLimits: { maxOldGenSizeMb: 16 } } })
// @ts-expect-error idleTimeout is a number of ms
void new Executor({ idleTimeout: '1s' })

// transfer(value, list): a moved result; the task's result type is what it wraps.
declare function render(width: number, height: number): Transfer<Uint8ClampedArray>
declare function renderLater(width: number): Promise<Transfer<Float64Array>>
expectType<WorkerTask<[width: number, height: number], Uint8ClampedArray>>()(workerTask<typeof render>(new URL('./r.js', import.meta.url), 'render'))
expectType<WorkerTask<[width: number], Float64Array>>()(workerTask<typeof renderLater>(new URL('./r.js', import.meta.url), 'renderLater'))
expectType<Transfer<Uint8Array<ArrayBuffer>>>()(transfer(new Uint8Array(4), [new ArrayBuffer(4)]))
expectType<WorkerTask<[], Uint8Array<ArrayBuffer>>>()(workerTask(() => transfer(new Uint8Array(4), [])))
expectType<typeof transfer>()(transferFromWorker)
// @ts-expect-error the list holds ArrayBuffers and MessagePorts, not typed arrays
transfer(pixels, [pixels])
// MessagePorts go in a submission's transfer list too.
declare const port: MessagePort
executor.submit(workerTask((p: MessagePort) => p.postMessage(1)), [port], { transfer: [port] })
const list: Transferable[] = [new ArrayBuffer(1), port]
void list
