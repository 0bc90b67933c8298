/**
 * The submission batch: accepted tasks on their way into the pool, handed over in one native
 * call (`submitBatch`, decoded by `src/wire/submit.rs`) at the end of the current microtask,
 * every `MAX_BATCH` tasks, or at once when a runner needs it (`Runner.urgent`) or a slot is
 * free for the task (`SubmitSink.slotFree`): a worker then starts it while the submitter goes
 * on (`const f = submit(heavy); computeOtherHalf(); await f` runs both halves in parallel).
 * A burst pays one native call per free slot, then batches as before.
 *
 * The encoding: task `i` has id `ids[i]` and meta word `meta[i]` (its priority level, plus
 * what its runner's `encode` returns); each runner appends the task's numbers and objects in
 * order.
 */
import type { NativeExecutor } from '../binding.js'
import type { Task } from '../engine/task.js'
import { NumberBuffer } from './number-buffer.js'

/** Submissions per native call at most: bounds the delay before the first ones can start. */
const MAX_BATCH = 1024

type Submitted = ReturnType<NativeExecutor['submitBatch']>

export interface SubmitSink {
  /** The pool refused `task` (`reason`: a `Refused` code). */
  refused(task: Task, reason: number, message: string | null | undefined): void
  /** The native call threw: only a bug can get here (the batch is built from checked input). */
  broken(tasks: readonly Task[], error: unknown): void
  /** Where the native call writes the ids of the main-thread tasks it hands out (one entry per slot). */
  readonly handedOut: Float64Array
  /** The native call wrote `n` ids to `handedOut`. */
  received(n: number): void
  /** A task accepted now would find a free slot (every task accepted and unsettled fits in one). */
  slotFree(): boolean
}

export class SubmitBatch {
  readonly #native: NativeExecutor
  readonly #sink: SubmitSink
  #tasks: Task[] = []
  /** Tasks in the batch not cancelled since: they count against the queue's capacity. */
  live = 0

  constructor(native: NativeExecutor, sink: SubmitSink) {
    this.#native = native
    this.#sink = sink
  }

  add(task: Task): void {
    this.live++
    if (this.#tasks.push(task) === 1) queueMicrotask(this.flush)
    if (this.#tasks.length >= MAX_BATCH || task.runner.urgent(task) || this.#sink.slotFree()) this.flush()
  }

  /** Takes a task out of the batch (it was cancelled); false if it has reached the pool. */
  remove(task: Task): boolean {
    if (!task.batched) return false
    task.batched = false
    this.live--
    return true
  }

  /** Hands the batched tasks to the pool. */
  readonly flush = (): void => {
    const tasks = this.#tasks
    if (tasks.length === 0) return
    this.#tasks = []
    this.live = 0
    const ids = new Float64Array(tasks.length)
    const meta = new Uint32Array(tasks.length)
    const numbers = new NumberBuffer()
    const objects: unknown[] = []
    let n = 0
    const told: Task[] = [] // tasks whose runner wants to know when the pool has them
    for (const task of tasks) {
      if (!task.batched) continue // cancelled while batched
      task.batched = false
      ids[n] = task._id
      meta[n++] = task.level | task.runner.encode(task, numbers, objects)
      if (task.runner.handedOver !== undefined) told.push(task)
    }
    if (n === 0) return
    let submitted: Submitted
    try {
      submitted = this.#native.submitBatch(ids.subarray(0, n), meta.subarray(0, n), numbers.view(), objects, this.#sink.handedOut)
    } catch (error) {
      this.#sink.broken(tasks, error)
      return
    }
    for (const task of told) task.runner.handedOver!(task)
    const { handedOut, refusals } = submitted
    this.#sink.received(handedOut)
    if (refusals.length === 0) return
    const byId = new Map(tasks.map((task) => [task._id, task]))
    for (const { id, reason, message } of refusals) this.#sink.refused(byId.get(id)!, reason, message)
  }
}
