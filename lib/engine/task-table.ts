/**
 * The tasks an executor has accepted and not yet settled, by id, with the counts of how
 * tasks ended. Settling goes through here only, so every task is settled once and counted
 * once: at rest, submitted = completed + failed + cancelled.
 */
import { CancelledError } from '../errors.js'
import type { Counts } from '../stats.js'
import type { Outcome, Task } from './task.js'
import { TasksById } from './tasks-by-id.js'

export interface TableEvents {
  /** The first task is pending: the executor must keep the process alive. */
  busy(): void
  /** A task settled (queue room and `ready()` waiters may follow). */
  settled(): void
  /** No task is pending any more. */
  idle(): void
  /** The signal of `task` aborted (see `listen`). */
  aborted(task: Task, error: CancelledError): void
}

/** The pending tasks that share one signal, and the one listener that cancels them. */
interface Watch {
  readonly tasks: Set<Task>
  readonly onAbort: () => void
}

export class TaskTable {
  readonly counts: Counts = { submitted: 0, completed: 0, failed: 0, cancelled: 0, rejected: 0 }
  readonly #tasks = new TasksById<Task>()
  readonly #events: TableEvents
  /** One abort listener per signal, however many tasks share it (no `MaxListenersExceededWarning`). */
  readonly #watches = new WeakMap<AbortSignal, Watch>()
  #nextId = 1

  constructor(events: TableEvents) {
    this.#events = events
  }

  /** Tasks accepted and not yet settled. */
  get pending(): number {
    return this.#tasks.size
  }

  nextId(): number {
    return this.#nextId++
  }

  add(task: Task): void {
    this.#tasks.add(task._id, task)
    this.counts.submitted++
    if (this.#tasks.size === 1) this.#events.busy()
  }

  get(id: number): Task | undefined {
    return this.#tasks.get(id)
  }

  /** Every pending task, in submission order. */
  all(): Task[] {
    return this.#tasks.values()
  }

  /** A submission was refused before it became a task. */
  refuse(): void {
    this.counts.rejected++
  }

  /** Settles `task` once (later calls are ignored) and does the bookkeeping every outcome shares. */
  settle(task: Task, outcome: Outcome, value: unknown): void {
    if (!this.#tasks.delete(task._id)) return
    task.unlisten?.()
    task.runner.settled?.(task)
    if (outcome === 'refused') {
      this.counts.submitted--
      this.counts.rejected++
    } else {
      this.counts[outcome]++
    }
    if (outcome === 'completed') task._resolve(value)
    else if (outcome === 'cancelled') task._cancel(value as CancelledError)
    else task._reject(value)
    this.#events.settled()
    if (this.#tasks.size === 0) this.#events.idle()
  }

  /**
   * Reports `task` as `aborted` when `signal` aborts, until it settles. Tasks sharing a
   * signal share its one listener, which is removed once none of them is pending.
   */
  listen(task: Task, signal: AbortSignal): void {
    if (this.#tasks.get(task._id) !== task) return // settled already (refused as it was handed over)
    let watch = this.#watches.get(signal)
    if (watch === undefined) {
      const tasks = new Set<Task>()
      const onAbort = (): void => {
        this.#watches.delete(signal)
        for (const each of tasks) this.#events.aborted(each, new CancelledError('the task was aborted', { cause: signal.reason }))
      }
      watch = { tasks, onAbort }
      this.#watches.set(signal, watch)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    const { tasks, onAbort } = watch
    tasks.add(task)
    task.unlisten = () => {
      tasks.delete(task)
      if (tasks.size === 0 && this.#watches.get(signal) === watch) {
        this.#watches.delete(signal)
        signal.removeEventListener('abort', onAbort)
      }
    }
  }
}
