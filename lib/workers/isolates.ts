/**
 * `Isolates`: the worker threads of one executor, seen from the main thread. It spawns them
 * as tasks need them (up to `jsWorkers`), seats each in the native hub (`src/workers/hub.rs`),
 * terminates the one running a task that must stop, replaces workers that exit, retires them
 * (`recycleWorkers`, see `signals.ts`), and carries what goes by `postMessage` (arguments and
 * results holding shared memory or transferred buffers, progress reports). Workers are
 * `unref`ed: an idle one never keeps the process alive (the executor does, while tasks are
 * pending).
 */
import type { MessagePort, Worker } from 'node:worker_threads'

import type { NativeExecutor } from '../binding.js'
import { WorkerExitError } from '../errors.js'
import { workerExecArgv } from './exec-argv.js'
import { MainSharedBuffers } from './shared.js'
import type { Transferable } from '../worker/transfer.js'
import { SIGNAL_HAS_TEARDOWN, SIGNAL_MESSAGES, SIGNAL_RECYCLE, SIGNAL_WORDS, isProgress, isRetired, type RetireReason } from './signals.js'
import type { ResolvedWorkerOptions } from './worker-options.js'
import { workerThreads } from '../worker-threads.js'

/** What a worker is given, as the first message on its `parentPort` (its `workerData` is the user's). */
export interface IsolateData {
  hub: number
  seat: number
  generation: number
  /** Both ways: arguments the worker asked for, results holding shared memory, progress and notices. */
  port: MessagePort
  /** Shared words (`signals.ts`). */
  signal: Int32Array
  /** Tasks to run before retiring (`maxTasksPerWorker`); `Infinity`: no limit. */
  maxTasks: number
  /** Idle ms before retiring (`idleTimeout`); `Infinity`: never. */
  idleTimeout: number
}

interface Seat {
  worker: Worker
  port: MessagePort
  signal: Int32Array
  /** The last error the worker reported ('error' event), the cause of its exit. */
  error: unknown
  /** It has started running ('online' event, which is emitted once). */
  online: boolean
  /** It said it retires itself, and why. */
  retired: RetireReason | undefined
  /** Resolves once it has exited. */
  exited: Promise<void>
  /** It is being terminated (see `#terminate`). */
  terminating: boolean
}

/** How the workers are spawned and when they retire. */
export interface IsolatesOptions {
  max: number
  worker: ResolvedWorkerOptions
  maxTasksPerWorker: number
  idleTimeout: number
}

export interface IsolatesHost {
  /** The worker running task `id` exited: the task fails with `error`. */
  lost(id: number, error: WorkerExitError): void
  /** No worker runs and one failed to start: the worker tasks waiting fail with `error`. */
  cannotStart(error: WorkerExitError): void
  /** Worker tasks accepted and not settled: how many workers could be busy. */
  demand(): number
  /** Task `id` has not settled: a result posted for it will be taken. */
  awaits(id: number): boolean
  /** Task `id` reported progress. */
  progress(id: number, value: unknown): void
  /** A worker is running (`'workerStart'`). */
  workerStart(id: number, worker: Worker): void
  /** A worker exited (`'workerExit'`). */
  workerExit(id: number, exitCode: number): void
  /** An exception killed a worker outside any task (`'error'`). */
  error(error: unknown): void
}

/** Set (to true) by scripts/bundle.mjs in the bundled build, whose shared code lives in `dist/`. */
declare const FERRIS_BUNDLED: boolean | undefined

/**
 * The worker program: this file's sibling (`.ts` when running from the sources), or, in the
 * bundled build, where this code sits in `dist/` (the bundle script checks that it does),
 * `lib/workers/isolate.js` below it.
 */
const PROGRAM =
  typeof FERRIS_BUNDLED === 'boolean' && FERRIS_BUNDLED
    ? new URL('./lib/workers/isolate.js', import.meta.url)
    : new URL(`./isolate${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

/** The first wait for a terminated worker's exit before asking again; doubled each time. */
const TERMINATE_RETRY_MS = 50
/**
 * Requests after the first, at most: past them the worker is blocked where no termination
 * reaches (a native call that never returns), and asking again is no use. Few enough that
 * the `'exit'` listener each `terminate()` adds stays under Node's warning threshold.
 */
const TERMINATE_RETRIES = 6

export class Isolates {
  readonly #native: NativeExecutor
  readonly #host: IsolatesHost
  readonly #options: IsolatesOptions
  /** The Node options of workers spawned without `workerOptions.execArgv` (undefined: the process's). */
  readonly #execArgv = workerExecArgv()
  readonly #seats: Array<Seat | undefined> = []
  #alive = 0
  #started = 0
  #replaced = 0
  #retired = 0
  #closed = false
  readonly #exits = new Set<Promise<void>>()
  /** Results posted by workers (they hold shared memory), by task id, until their event comes. */
  readonly #posted = new Map<number, unknown>()
  /** Shared buffers named to the workers (see `shared.ts`). */
  readonly shared = new MainSharedBuffers((message) => {
    for (const entry of this.#seats) entry?.port.postMessage(message)
  })

  constructor(native: NativeExecutor, options: IsolatesOptions, host: IsolatesHost) {
    this.#native = native
    this.#options = options
    this.#host = host
  }

  get max(): number {
    return this.#options.max
  }

  /** Spawns workers until every pending worker task could have one (up to `jsWorkers`). */
  grow(): void {
    const wanted = Math.min(this.#host.demand(), this.#options.max)
    for (let seat = 0; this.#alive < wanted && seat < this.#options.max; seat++) {
      if (this.#seats[seat] === undefined) this.#spawn(seat)
    }
  }

  /** Spawns every worker now; resolves once they are all running. */
  async start(): Promise<void> {
    const online: Array<Promise<unknown>> = []
    for (let seat = 0; seat < this.#options.max; seat++) {
      if (this.#seats[seat] === undefined) this.#spawn(seat)
      const entry = this.#seats[seat]
      // Running already ('online' will not come again), or not spawned (closed).
      if (entry === undefined || entry.online) continue
      const { worker } = entry
      worker.ref() // until it is online: the caller waits for it
      online.push(
        new Promise<void>((resolve, reject) => {
          worker.once('online', resolve)
          worker.once('exit', (code) => reject(new WorkerExitError(code, 'the worker exited while starting')))
        }).finally(() => worker.unref()),
      )
    }
    await Promise.all(online)
  }

  #spawn(seat: number): void {
    if (this.#closed) return
    const { MessageChannel, Worker } = workerThreads()
    const { port1, port2 } = new MessageChannel()
    for (const message of this.shared.live()) port1.postMessage(message)
    const signal = new Int32Array(new SharedArrayBuffer(SIGNAL_WORDS * Int32Array.BYTES_PER_ELEMENT))
    const { maxTasksPerWorker: maxTasks, idleTimeout, worker: options } = this.#options
    const data: IsolateData = { hub: this.#native.hubId, seat, generation: this.#native.seatWorker(seat), port: port2, signal, maxTasks, idleTimeout }
    let worker: Worker
    try {
      worker = new Worker(PROGRAM, { name: `ferris-js-worker-${seat}`, execArgv: this.#execArgv, ...options })
      worker.postMessage(data, [port2])
    } catch (error) {
      // Bad `execArgv` flags, say: Node refuses them here. Reported from a microtask, once
      // the submission that asked for a worker is in the batch and can be failed.
      port1.close()
      queueMicrotask(() => {
        if (this.#alive === 0) this.#host.cannotStart(new WorkerExitError(1, `cannot start a worker thread: ${(error as Error)?.message ?? error}`, error))
      })
      return
    }
    worker.unref()
    port1.on('message', (message: unknown) => this.#received(entry, message))
    port1.unref()
    let exited!: () => void
    const entry: Seat = {
      worker,
      port: port1,
      signal,
      error: undefined,
      online: false,
      retired: undefined,
      exited: new Promise((resolve) => (exited = resolve)),
      terminating: false,
    }
    this.#seats[seat] = entry
    this.#alive++
    this.#started++
    worker.once('online', () => {
      entry.online = true
      this.#host.workerStart(worker.threadId, worker)
    })
    worker.on('error', (error) => {
      entry.error = error
    })
    const threadId = worker.threadId
    worker.once('exit', (code) => {
      this.#exited(seat, entry, code)
      this.#host.workerExit(threadId, code)
      exited()
    })
    this.#exits.add(entry.exited)
    void entry.exited.then(() => this.#exits.delete(entry.exited))
  }

  #exited(seat: number, entry: Seat, code: number): void {
    if (this.#seats[seat] !== entry) return
    this.#seats[seat] = undefined
    this.#alive--
    this.#readPosted(entry) // results and notices posted just before it exited, whose events may still come
    entry.port.close()
    const joined = this.#native.workerJoined(seat)
    const id = this.#native.workerExited(seat)
    if (id !== null) this.#host.lost(id, new WorkerExitError(code, undefined, entry.error))
    if (this.#closed) return
    if (!joined) {
      // It failed before taking tasks, as its replacement would: no respawning in a loop.
      // The next submission tries again.
      if (this.#alive === 0) this.#host.cannotStart(new WorkerExitError(code, `a worker thread failed to start (exit code ${code})`, entry.error))
      return
    }
    // An exception outside any task (a leftover timer's, a teardown hook's) has no task to fail.
    if (id === null && entry.error !== undefined) this.#host.error(entry.error)
    if (entry.retired !== undefined && entry.error === undefined) this.#retired++
    else this.#replaced++
    this.grow()
  }

  /** Terminates the worker at `seat` (its task was stopped); it is replaced once it has exited. */
  stop(seat: number): void {
    const entry = this.#seats[seat]
    if (entry !== undefined) this.#terminate(entry)
  }

  /**
   * Terminates `entry`'s worker, asking again until it has exited. One request can be lost:
   * on Node 20, a `terminate()` that lands within milliseconds of a task's start (a fresh
   * worker's first task, under load) may leave the worker running that task, a `for (;;)`
   * for good, and never exiting; `destroy()` and `shutdown()` then wait forever for its
   * exit. A later request reaches it (each call re-arms the isolate's termination, and is
   * harmless once it is on its way out). The timer is unref'd: `terminate()` itself holds
   * the process until the exit.
   */
  #terminate(entry: Seat): void {
    if (entry.terminating) return
    entry.terminating = true
    let gone = false
    void entry.exited.then(() => (gone = true))
    let wait = TERMINATE_RETRY_MS
    let left = TERMINATE_RETRIES
    const ask = (): void => {
      if (gone) return
      void entry.worker.terminate()
      if (left-- === 0) return
      setTimeout(ask, wait).unref()
      wait *= 2
    }
    ask()
  }

  /** Sends task `id`'s arguments to the worker at `seat`, which asked for them. */
  sendArgs(seat: number, id: number, args: readonly unknown[] | undefined, transfer: readonly Transferable[] | undefined): void {
    const entry = this.#seats[seat]
    if (entry === undefined) return
    try {
      entry.port.postMessage({ id, args }, transfer as Transferable[] | undefined)
    } finally {
      Atomics.add(entry.signal, SIGNAL_MESSAGES, 1)
      Atomics.notify(entry.signal, SIGNAL_MESSAGES)
    }
  }

  /** The result of task `id`, posted by the worker at `seat` (it holds shared memory). */
  takePosted(seat: number, id: number): { value: unknown } | undefined {
    const entry = this.#seats[seat]
    if (entry !== undefined) this.#readPosted(entry)
    if (!this.#posted.has(id)) return undefined
    const value = this.#posted.get(id)
    this.#posted.delete(id)
    return { value }
  }

  /**
   * Takes what the worker posted so far, synchronously: before a task with `onProgress`
   * settles, its last reports are delivered (they were posted before its result).
   */
  readPosted(): void {
    for (const entry of this.#seats) if (entry !== undefined) this.#readPosted(entry)
  }

  /**
   * Takes what a worker posted from its port. A task stopped (timed out, cancelled) just after
   * its worker posted the result gets no event to take it, so a result for a task that has
   * settled is dropped here rather than kept forever.
   */
  #readPosted(entry: Seat): void {
    const { receiveMessageOnPort } = workerThreads()
    for (let received = receiveMessageOnPort(entry.port); received !== undefined; received = receiveMessageOnPort(entry.port)) {
      this.#received(entry, received.message)
    }
  }

  #received(entry: Seat, message: unknown): void {
    if (typeof message !== 'object' || message === null) return
    if (isProgress(message)) {
      this.#host.progress(message.progress, message.value)
    } else if (isRetired(message)) {
      entry.retired = message.retired
    } else {
      const { id, value } = message as { id: number; value: unknown }
      if (this.#host.awaits(id)) this.#posted.set(id, value)
    }
  }

  /**
   * Retires every worker running now once its current task ends (after its teardown hooks);
   * new ones replace them as tasks need them. Resolves once they have all exited.
   */
  recycle(): Promise<void> {
    const exits: Array<Promise<void>> = []
    for (const entry of this.#seats) {
      if (entry === undefined) continue
      Atomics.store(entry.signal, SIGNAL_RECYCLE, 1)
      entry.worker.ref() // the caller waits for its exit
      exits.push(entry.exited)
    }
    this.#native.wakeWorkers()
    return Promise.all(exits).then(() => undefined)
  }

  stats(): { alive: number; started: number; replaced: number; retired: number } {
    return { alive: this.#alive, started: this.#started, replaced: this.#replaced, retired: this.#retired }
  }

  /**
   * Ends every worker; resolves once they have exited. With `graceful`, a worker with
   * teardown hooks is left to retire (the hub closed: it runs its hooks and exits); the
   * others, and all of them otherwise, are terminated. `close(false)` after `close(true)`
   * terminates the ones still running.
   */
  close(graceful: boolean): Promise<void> {
    this.#closed = true
    for (const entry of this.#seats) {
      if (entry === undefined) continue
      // One left to run its hooks holds the process open until it has: shutdown() waits for it.
      if (graceful && Atomics.load(entry.signal, SIGNAL_HAS_TEARDOWN) !== 0) entry.worker.ref()
      else this.#terminate(entry)
    }
    return Promise.all(this.#exits).then(() => undefined)
  }
}
