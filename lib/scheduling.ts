/** Task priorities and the scheduler choices of an executor. */

/** Priority of a task. Higher priorities start first; a task waiting longer than `agingMs` goes before younger ones of higher priority. */
export const TaskPriority = {
  HIGH: 'high',
  NORMAL: 'normal',
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
 * The default scheduler: one queue per priority with aging, a deque per worker for subtasks,
 * and work stealing between workers.
 */
export class WorkStealingScheduler {
  readonly kind = 'work-stealing' as const
}

/** One shared first-in first-out queue: no priorities, no stealing. For comparison. */
export class FifoScheduler {
  readonly kind = 'fifo' as const
}

export type Scheduler = WorkStealingScheduler | FifoScheduler
