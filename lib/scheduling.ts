/** Task priorities and the scheduler choices of an executor. */

/**
 * Priority of a task. Higher priorities start first; a task waiting longer than `agingMs` goes
 * before younger ones of higher priority.
 *
 * ```ts
 * executor.submit(kernels.spin, [1e6], { priority: TaskPriority.HIGH })
 * await executor.map(kernels.spin, [1e6, 2e6], { priority: TaskPriority.LOW })
 * ```
 */
export const TaskPriority = {
  /** Starts before `NORMAL` and `LOW` tasks (unless those are overdue by `agingMs`). */
  HIGH: 'high',
  /** The default. */
  NORMAL: 'normal',
  /** Starts after `HIGH` and `NORMAL` tasks, or once it has waited `agingMs`. */
  LOW: 'low',
} as const

export type TaskPriority = (typeof TaskPriority)[keyof typeof TaskPriority]

const LEVELS: Record<TaskPriority, number> = { high: 0, normal: 1, low: 2 }

/** The native queue level of `priority`; throws for anything that is not a `TaskPriority`. */
export function priorityLevel(priority: unknown): number {
  if (priority === undefined) return LEVELS.normal
  if (typeof priority !== 'string') {
    throw new TypeError(`priority must be one of TaskPriority.HIGH, NORMAL or LOW, got ${typeof priority}`)
  }
  if (!Object.hasOwn(LEVELS, priority)) {
    throw new RangeError(`unknown priority ${JSON.stringify(priority)}: use TaskPriority.HIGH, NORMAL or LOW`)
  }
  return LEVELS[priority as TaskPriority]
}

/**
 * The default scheduler: one queue per priority, with aging. (Under either scheduler, the
 * halves a kernel forks go on per-worker deques and idle workers steal them.)
 *
 * ```ts
 * const executor = new Executor({ scheduler: new WorkStealingScheduler(), agingMs: 500 })
 * ```
 */
export class WorkStealingScheduler {
  /** Names the scheduler for the native pool. */
  readonly kind = 'work-stealing' as const
}

/**
 * One shared first-in first-out queue for every task: no priorities. For comparison. (Kernels'
 * forked halves are still stolen by idle workers: fork-join works the same under both.)
 *
 * ```ts
 * const executor = new Executor({ scheduler: new FifoScheduler() })
 * ```
 */
export class FifoScheduler {
  /** Names the scheduler for the native pool. */
  readonly kind = 'fifo' as const
}

/**
 * The `scheduler` option of `new Executor()`.
 *
 * ```ts
 * const scheduler: Scheduler = process.env.FIFO ? new FifoScheduler() : new WorkStealingScheduler()
 * const executor = new Executor({ scheduler })
 * ```
 */
export type Scheduler = WorkStealingScheduler | FifoScheduler
