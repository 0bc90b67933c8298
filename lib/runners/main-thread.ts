/**
 * The main-thread runner: JavaScript functions, called on the JS thread when the pool hands
 * them out. The pool orders and throttles them with every other task (priorities, aging,
 * the queue bound, `maxWorkers` slots); this runner calls them and returns their slots.
 *
 * Protocol:
 * - The pool hands tasks out (`RunExternal` events, in the order they left its queue) and
 *   each holds a slot from then on. They wait in `#ready`, first in first out, so they are
 *   called in hand-out order. A submission that finds free slots gets its hand-outs back from
 *   its native call instead (`received`), behind those already waiting; they are called from
 *   a microtask, never inside `submit`.
 * - `drain()` calls ready tasks for at most one time slice (`SLICE_MS`), looking at the
 *   clock after every call, then lets the event loop turn before the next slice: timers and
 *   I/O wait one slice plus one task at most. The next slice runs in the loop's check phase
 *   (`setImmediate`) after the timers phase: from a slice that ran in the check phase, one
 *   `setImmediate` gets there; from one that ran in any other phase (the pool's events
 *   arrive in the poll phase), an immediate would still run in this turn, before any timer,
 *   so it takes two.
 * - A task finishes when its function returns, or when the promise it returned settles. Its
 *   run time goes to `#runTimes` and its slot back to the pool in the next report
 *   (`finishExternal`), which hands the freed slots straight to the next queued external
 *   tasks: their ids come back from that call, behind the hand-outs already waiting.
 * - A task cancelled after its hand-out is dropped when its turn comes; its slot goes back
 *   in the next report too (`#abandoned`).
 */
import { callEach, isThenable } from '../calls.js'
import { Task, type Outcome } from '../engine/task.js'
import { TimeoutError } from '../errors.js'
import type { Canceller } from '../future.js'
import { after, type Timer } from '../timers.js'
import { TaskKind, META_KIND_SHIFT } from '../wire/codes.js'
import type { Failure, Runner, RunnerShare } from './runner.js'

type AnyFunction = (...args: never[]) => unknown

/** A JS function call, or a `map` chunk of calls. */
export class MainThreadTask extends Task {
  readonly #fn: AnyFunction
  readonly #args: readonly unknown[]
  #timer: Timer | undefined = undefined

  constructor(
    canceller: Canceller,
    id: number,
    runner: MainThreadRunner,
    level: number,
    timeout: number | undefined,
    fn: AnyFunction,
    args: readonly unknown[],
  ) {
    super(canceller, id, runner, level, timeout)
    this.#fn = fn
    this.#args = args
  }

  get fn(): AnyFunction {
    return this.#fn
  }

  get args(): readonly unknown[] {
    return this.#args
  }

  /** Fires the run-time limit of a running async task. */
  get timer(): Timer | undefined {
    return this.#timer
  }

  set timer(timer: Timer | undefined) {
    this.#timer = timer
  }
}

/** What the runner needs of its executor. */
export interface MainThreadHost {
  /**
   * Reports finished and abandoned tasks to the pool, which hands their slots to the next
   * queued external tasks; writes the ids of every hand-out pending by then into
   * `handedOut`, in order, and returns how many.
   */
  finishExternal(runTimes: Float64Array, finished: number, abandoned: number, handedOut: Float64Array): number
  /** The task of id `id`, if it is still pending. */
  task(id: number): Task | undefined
  settle(task: Task, outcome: Outcome, value: unknown): void
}

/**
 * How long the JS thread keeps calling tasks before it lets the event loop turn (I/O, timers,
 * pool events). Long enough to amortise the turn, short enough not to be noticed.
 */
const SLICE_MS = 4

function overtime(limit: number, cause?: unknown): TimeoutError {
  return new TimeoutError(`the task ran longer than its ${limit} ms limit`, cause === undefined ? undefined : { cause })
}

export class MainThreadRunner implements Runner<MainThreadTask> {
  readonly name = 'main-thread'
  readonly #host: MainThreadHost
  readonly #canceller: Canceller
  /** Handed-out tasks not called yet, in hand-out order: `#ready[#head..]`. */
  #ready: Array<MainThreadTask | undefined> = []
  #head = 0
  /** Run times (ms) of the `#finished` tasks finished since the last report (at most one per slot). */
  readonly #runTimes: Float64Array
  /** Ids of the tasks a report or a submission handed out (at most one per slot). */
  readonly handedOut: Float64Array
  #finished = 0
  /** Handed-out tasks given up (cancelled) since the last report. */
  #abandoned = 0
  /** Start times (`performance.now()`) of the tasks whose promise is pending, oldest first (a Map keeps insertion order). */
  readonly #pending = new Map<number, number>()
  /** A task's function is being called now (getStats() from inside a task counts it). */
  #calling = false
  /** Inside `drain()`: a nested call (from a report's events) leaves the work to the outer loop. */
  #draining = false
  /** A slice was used up: the next one waits for a turn of the event loop. */
  #yielding = false
  /** Running in `#nextSlice`, that is in the event loop's check phase. */
  #inCheckPhase = false
  /** A microtask will report the async tasks that finished. */
  #reportQueued = false
  #stopped = false

  constructor(host: MainThreadHost, canceller: Canceller, maxWorkers: number) {
    this.#host = host
    this.#canceller = canceller
    this.#runTimes = new Float64Array(maxWorkers)
    this.handedOut = new Float64Array(maxWorkers)
  }

  accepts(fn: unknown): boolean {
    return typeof fn === 'function'
  }

  check(): void {}

  create(id: number, level: number, timeout: number | undefined, fn: unknown, args: readonly unknown[]): MainThreadTask {
    return new MainThreadTask(this.#canceller, id, this, level, timeout, fn as AnyFunction, args)
  }

  createChunk(id: number, level: number, fn: unknown, items: readonly unknown[]): MainThreadTask {
    const chunk = (): unknown[] | Promise<unknown[]> => callEach(fn as (item: unknown) => unknown, items)
    return new MainThreadTask(this.#canceller, id, this, level, undefined, chunk, [])
  }

  urgent(): boolean {
    return false
  }

  encode(): number {
    return TaskKind.External << META_KIND_SHIFT
  }

  started(): boolean {
    return false // marked running when called
  }

  abandon(): boolean {
    return true // `drain` meets it, finds it settled and gives its slot back
  }

  error(_task: MainThreadTask, failure: Failure, message: string): unknown {
    return new Error(`unexpected ${failure} event for a JS task: ${message}`)
  }

  share(): RunnerShare {
    let oldest: number | undefined
    for (const start of this.#pending.values()) {
      oldest = start
      break
    }
    return {
      running: this.#pending.size + (this.#calling ? 1 : 0),
      oldestRunningMs: oldest === undefined ? 0 : performance.now() - oldest,
    }
  }

  /** The pool handed out `task` (undefined: a task settled since, whose slot comes back). */
  run(task: MainThreadTask | undefined): void {
    if (task === undefined) this.#abandoned++
    else this.#ready.push(task)
  }

  /** Calls ready tasks and reports finished ones, for one slice (see the protocol above). */
  drain(): void {
    if (this.#draining || this.#stopped) return
    this.#draining = true
    try {
      if (this.#yielding) {
        this.#report() // the slots are free now; calls wait for the next slice
        return
      }
      const deadline = performance.now() + SLICE_MS
      for (;;) {
        if (this.#head === this.#ready.length) {
          if (this.#finished === 0 && this.#abandoned === 0) break
          this.#report()
          continue
        }
        if (performance.now() >= deadline) {
          this.#yielding = true
          setImmediate(this.#inCheckPhase ? this.#nextSlice : this.#nextTurn)
          return
        }
        const task = this.#ready[this.#head]
        this.#ready[this.#head++] = undefined
        if (this.#head === this.#ready.length) {
          this.#ready.length = 0
          this.#head = 0
        }
        if (task!.done()) this.#abandoned++
        else this.#call(task!)
      }
    } finally {
      this.#draining = false
    }
  }

  readonly #nextTurn = (): void => {
    setImmediate(this.#nextSlice)
  }

  readonly #nextSlice = (): void => {
    this.#yielding = false
    this.#inCheckPhase = true
    try {
      this.drain()
    } finally {
      this.#inCheckPhase = false
    }
  }

  /** Returns the slots of finished and abandoned tasks; queues the tasks handed out in exchange. */
  #report(): void {
    const finished = this.#finished
    const abandoned = this.#abandoned
    if (finished === 0 && abandoned === 0) return
    this.#finished = 0
    this.#abandoned = 0
    this.#take(this.#host.finishExternal(this.#runTimes, finished, abandoned, this.handedOut))
  }

  /** A submission's native call wrote the ids of `n` hand-outs to `handedOut`. */
  received(n: number): void {
    if (n === 0) return
    this.#take(n)
    queueMicrotask(this.#drainSoon)
  }

  readonly #drainSoon = (): void => this.drain()

  #take(n: number): void {
    const handedOut = this.handedOut
    for (let i = 0; i < n; i++) {
      const task = this.#host.task(handedOut[i]!)
      this.run(task instanceof MainThreadTask ? task : undefined)
    }
  }

  /**
   * Calls a task's function with `this` undefined (a method passed as a task gets no hidden
   * receiver). A synchronous function cannot be interrupted: one that returns after its
   * limit fails with `TimeoutError`, its result dropped.
   */
  #call(task: MainThreadTask): void {
    task._markRunning()
    const { fn, args, timeout } = task
    const start = performance.now()
    let result: unknown
    this.#calling = true
    try {
      result = (fn as (...args: unknown[]) => unknown)(...args)
    } catch (error) {
      this.#calling = false
      this.#callEnded(task, start, 'failed', error)
      return
    }
    this.#calling = false
    if (!isThenable(result)) {
      this.#callEnded(task, start, 'completed', result)
      return
    }
    this.#pending.set(task._id, start)
    Promise.resolve(result).then(
      (value) => this.#finishAsync(task, start, 'completed', value),
      (error: unknown) => this.#finishAsync(task, start, 'failed', error),
    )
    if (timeout === undefined) return
    const left = timeout - (performance.now() - start)
    if (left > 0) task.timer = after(left, () => this.#finishAsync(task, start, 'failed', overtime(timeout)))
    else this.#finishAsync(task, start, 'failed', overtime(timeout))
  }

  /** A synchronous call returned or threw. */
  #callEnded(task: MainThreadTask, start: number, outcome: 'completed' | 'failed', value: unknown): void {
    const ran = performance.now() - start
    this.#runTimes[this.#finished++] = ran
    const limit = task.timeout
    if (limit !== undefined && ran > limit) {
      this.#host.settle(task, 'failed', overtime(limit, outcome === 'failed' ? value : undefined))
    } else {
      this.#host.settle(task, outcome, value)
    }
  }

  /** An async task settled, or ran out of time: whichever comes first counts, once. */
  #finishAsync(task: MainThreadTask, start: number, outcome: 'completed' | 'failed', value: unknown): void {
    if (!this.#pending.delete(task._id)) return
    task.timer?.clear()
    this.#runTimes[this.#finished++] = performance.now() - start
    // Queued before the future settles, so the slot and run time reach the pool before any
    // code awaiting this future runs (and reads the statistics, say).
    if (!this.#reportQueued) {
      this.#reportQueued = true
      queueMicrotask(() => {
        this.#reportQueued = false
        this.drain()
      })
    }
    this.#host.settle(task, outcome, value)
  }

  /** The executor is disposed: report the last slots and run times so the final statistics have them, then stop. */
  stop(): void {
    if (this.#stopped) return
    this.#report()
    this.#stopped = true
  }
}
