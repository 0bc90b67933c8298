/**
 * `Isolates`: the worker threads of one executor, seen from the main thread. It spawns them
 * as tasks need them (up to `jsWorkers`), seats each in the native hub (`src/workers/hub.rs`),
 * terminates the one running a task that must stop, replaces workers that exit, and carries
 * what goes by `postMessage` (arguments and results holding shared memory or transferred
 * buffers). Workers are `unref`ed: an idle one never keeps the process alive (the executor
 * does, while tasks are pending).
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type ResourceLimits } from 'node:worker_threads'

import type { NativeExecutor } from '../binding.js'
import { WorkerExitError } from '../errors.js'
import { workerExecArgv } from './exec-argv.js'
import { MainSharedBuffers } from './shared.js'
import type { Transferable } from '../worker/transfer.js'

/** What a worker is given (`workerData`). */
export interface IsolateData {
  hub: number
  seat: number
  generation: number
  /** Both ways: arguments the worker asked for, results holding shared memory. */
  port: MessagePort
  /** Bumped (and notified) after each message for the worker: it waits on it with `Atomics.wait`. */
  signal: Int32Array
}

interface Seat {
  worker: Worker
  port: MessagePort
  signal: Int32Array
  /** The last error the worker reported ('error' event), the cause of its exit. */
  error: unknown
  /** It has started running ('online' event, which is emitted once). */
  online: boolean
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
}

/** The worker program: this file's sibling, `.ts` when running from the sources. */
const PROGRAM = new URL(`./isolate${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

export class Isolates {
  readonly #native: NativeExecutor
  readonly #host: IsolatesHost
  readonly #max: number
  readonly #resourceLimits: ResourceLimits | undefined
  readonly #execArgv = workerExecArgv()
  readonly #seats: Array<Seat | undefined> = []
  #alive = 0
  #started = 0
  #replaced = 0
  #closed = false
  readonly #exits = new Set<Promise<void>>()
  /** Results posted by workers (they hold shared memory), by task id, until their event comes. */
  readonly #posted = new Map<number, unknown>()
  /** Shared buffers named to the workers (see `shared.ts`). */
  readonly shared = new MainSharedBuffers((message) => {
    for (const entry of this.#seats) entry?.port.postMessage(message)
  })

  constructor(native: NativeExecutor, max: number, resourceLimits: ResourceLimits | undefined, host: IsolatesHost) {
    this.#native = native
    this.#max = max
    this.#resourceLimits = resourceLimits
    this.#host = host
  }

  get max(): number {
    return this.#max
  }

  /** Spawns workers until every pending worker task could have one (up to `jsWorkers`). */
  grow(): void {
    const wanted = Math.min(this.#host.demand(), this.#max)
    for (let seat = 0; this.#alive < wanted && seat < this.#max; seat++) {
      if (this.#seats[seat] === undefined) this.#spawn(seat)
    }
  }

  /** Spawns every worker now; resolves once they are all running. */
  async start(): Promise<void> {
    const online: Array<Promise<unknown>> = []
    for (let seat = 0; seat < this.#max; seat++) {
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
    const { port1, port2 } = new MessageChannel()
    for (const message of this.shared.live()) port1.postMessage(message)
    const signal = new Int32Array(new SharedArrayBuffer(4))
    const data: IsolateData = { hub: this.#native.hubId, seat, generation: this.#native.seatWorker(seat), port: port2, signal }
    const worker = new Worker(PROGRAM, {
      workerData: data,
      transferList: [port2],
      resourceLimits: this.#resourceLimits,
      execArgv: this.#execArgv,
      name: `ferris-js-worker-${seat}`,
    })
    worker.unref()
    const entry: Seat = { worker, port: port1, signal, error: undefined, online: false }
    this.#seats[seat] = entry
    this.#alive++
    this.#started++
    worker.once('online', () => {
      entry.online = true
    })
    worker.on('error', (error) => {
      entry.error = error
    })
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        this.#exited(seat, entry, code)
        resolve()
      })
    })
    this.#exits.add(exited)
    void exited.then(() => this.#exits.delete(exited))
  }

  #exited(seat: number, entry: Seat, code: number): void {
    if (this.#seats[seat] !== entry) return
    this.#seats[seat] = undefined
    this.#alive--
    this.#readPosted(entry.port) // results posted just before it exited, whose events may still come
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
    this.#replaced++
    this.grow()
  }

  /** Terminates the worker at `seat` (its task was stopped); it is replaced once it has exited. */
  stop(seat: number): void {
    void this.#seats[seat]?.worker.terminate()
  }

  /** Sends task `id`'s arguments to the worker at `seat`, which asked for them. */
  sendArgs(seat: number, id: number, args: readonly unknown[] | undefined, transfer: readonly Transferable[] | undefined): void {
    const entry = this.#seats[seat]
    if (entry === undefined) return
    try {
      entry.port.postMessage({ id, args }, transfer as Transferable[] | undefined)
    } finally {
      Atomics.add(entry.signal, 0, 1)
      Atomics.notify(entry.signal, 0)
    }
  }

  /** The result of task `id`, posted by the worker at `seat` (it holds shared memory). */
  takePosted(seat: number, id: number): { value: unknown } | undefined {
    const entry = this.#seats[seat]
    if (entry !== undefined) this.#readPosted(entry.port)
    if (!this.#posted.has(id)) return undefined
    const value = this.#posted.get(id)
    this.#posted.delete(id)
    return { value }
  }

  /**
   * Moves the results a worker posted from its port to `#posted`. A task stopped (timed out,
   * cancelled) just after its worker posted the result gets no event to take it, so a result
   * for a task that has settled is dropped here rather than kept forever.
   */
  #readPosted(port: MessagePort): void {
    for (let received = receiveMessageOnPort(port); received !== undefined; received = receiveMessageOnPort(port)) {
      const { id, value } = received.message as { id: number; value: unknown }
      if (this.#host.awaits(id)) this.#posted.set(id, value)
    }
  }

  stats(): { alive: number; started: number; replaced: number } {
    return { alive: this.#alive, started: this.#started, replaced: this.#replaced }
  }

  /** Terminates every worker; resolves once they have exited. */
  close(): Promise<void> {
    this.#closed = true
    for (const entry of this.#seats) void entry?.worker.terminate()
    return Promise.all(this.#exits).then(() => undefined)
  }
}
