/**
 * Readiness and backpressure: room in the queue, the `memoryLimit`, `ready()` and the
 * `'drain'` event.
 *
 * Rules: `queueCapacity` counts the tasks waiting to start beyond those the free slots take
 * at once, as the peer pools count it (`maxWorkers + queueCapacity` accepted into idle
 * workers). Waiting: the pool's live queued count (shared memory, no native call) plus what
 * waits in the submission batch. Busy: the other unsettled tasks (running, or done with their
 * result on its way); the slots they leave free take as many waiting tasks. So a burst into
 * idle workers is not refused while they have yet to take its first tasks, and results on
 * their way do not count against the queue. A submission or `ready()` that finds no room
 * arms `'drain'`, emitted once when room appears (not after shutdown). Room appears when a
 * worker takes a task, just after it finished another one: it is looked for at each settle
 * while someone cares (`watching`), and every `READY_POLL_MS` while someone waits.
 */
import { memoryUsage } from '../binding.js'
import { CancelledError, ExecutorShutdownError } from '../errors.js'
import { Stop } from '../stop.js'

/**
 * How often a waiting `ready()` looks again, besides at each settle: for the resident set size
 * to fall below `memoryLimit`, and for room that appeared just after a settle was looked at (a
 * worker takes its next task a moment after reporting the last one).
 */
const READY_POLL_MS = 25

/**
 * How long a reading of the resident set size is reused by `ready()` checks: a reading costs
 * about 35 us (sysinfo), and `map` checks before each chunk.
 */
const MEMORY_READING_MS = 10

export interface ReadinessHost {
  readonly queueCapacity: number
  readonly maxWorkers: number
  readonly memoryLimit: number | undefined
  /** The pool's queued count, live. */
  readonly queued: Int32Array
  /** Accepted tasks still in the submission batch. */
  batched(): number
  /** Tasks accepted and not settled. */
  pending(): number
  closed(): boolean
  emitDrain(): void
}

export class Readiness {
  readonly #host: ReadinessHost
  /** Resolved (and cleared) once the executor is ready or shut down; exists while someone waits. */
  #wait: { promise: Promise<void>; resolve: () => void } | undefined
  #poll: ReturnType<typeof setInterval> | undefined
  /** The queue was found full, and 'drain' was not emitted since. */
  #needsDrain = false
  /** `#needsDrain || #wait !== undefined`: each settle must look at the queue's room. */
  watching = false
  #rss = 0
  #rssAt = -Infinity

  constructor(host: ReadinessHost) {
    this.#host = host
  }

  /** Room for one more waiting task (see the rules above). */
  hasRoom(): boolean {
    const host = this.#host
    const waiting = Atomics.load(host.queued, 0) + host.batched()
    const freeSlots = Math.max(0, host.maxWorkers - (host.pending() - waiting))
    return waiting < host.queueCapacity + freeSlots
  }

  /** The queue was found full: emit 'drain' once it has room. */
  expectDrain(): void {
    this.#needsDrain = true
    this.watching = true
  }

  /** Room in the queue and, with `memoryLimit`, the resident set size below it. */
  isReady(): boolean {
    if (!this.hasRoom()) {
      this.expectDrain()
      return false
    }
    const limit = this.#host.memoryLimit
    if (limit === undefined) return true
    const now = performance.now()
    if (now - this.#rssAt >= MEMORY_READING_MS) {
      this.#rss = memoryUsage()
      this.#rssAt = now
    }
    return this.#rss < limit
  }

  /** Resolves once the executor may be ready, or is shut down; callers check `isReady()` again. */
  whenReady(): Promise<void> {
    if (this.#host.closed() || this.isReady()) return Promise.resolve()
    if (this.#wait === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.#wait = { promise, resolve }
      this.watching = true
      this.#poll = setInterval(() => this.check(), READY_POLL_MS)
    }
    return this.#wait.promise
  }

  /** Wakes the waiters and emits 'drain' when their conditions hold (called at settles while `watching`, and at shutdown). */
  check(): void {
    const closed = this.#host.closed()
    if (this.#needsDrain && (closed || this.hasRoom())) {
      this.#needsDrain = false
      if (!closed) queueMicrotask(this.#emitDrain)
    }
    const wait = this.#wait
    if (wait !== undefined && (closed || this.isReady())) {
      this.#wait = undefined
      clearInterval(this.#poll)
      this.#poll = undefined
      wait.resolve()
    }
    this.watching = this.#needsDrain || this.#wait !== undefined
  }

  readonly #emitDrain = (): void => {
    if (this.#host.closed()) return
    if (this.hasRoom()) this.#host.emitDrain()
    else this.expectDrain() // full again already: wait for the next room
  }

  /** `executor.ready()`, its options checked. */
  async ready(signal: AbortSignal | undefined, timeout: number | undefined): Promise<void> {
    if (signal?.aborted) throw new CancelledError('ready() was aborted', { cause: signal.reason })
    if (this.#host.closed()) throw new ExecutorShutdownError()
    if (this.isReady()) return
    const stop = new Stop('ready()', { timeout, signal })
    try {
      for (;;) {
        await Promise.race([this.whenReady(), stop.next()])
        if (stop.error !== undefined) throw stop.error.reason
        if (this.#host.closed()) throw new ExecutorShutdownError()
        if (this.isReady()) return
      }
    } finally {
      stop.dispose()
    }
  }
}
