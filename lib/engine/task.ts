/** `Task`: the record of one submitted task, and the future its caller holds. */
import { Future, type Canceller } from '../future.js'
import type { Runner } from '../runners/runner.js'

/** How a task ended, as the executor counts it (`refused`: the pool did not take it after all). */
export type Outcome = 'completed' | 'failed' | 'cancelled' | 'refused'

/**
 * One object per task, future and record at once (keeping the garbage collector out of the
 * way). Each runner extends it with its payload (`MainThreadTask`, `KernelTask`): a tagged
 * union whose tag is `runner`, the runner that encodes, runs and settles the task.
 */
export class Task extends Future<unknown> {
  /** Still in the submission batch, not yet in the pool. */
  batched = true
  /** Removes the abort listener, if any. */
  unlisten: (() => void) | undefined = undefined

  constructor(
    canceller: Canceller,
    id: number,
    readonly runner: Runner,
    /** Priority level: 0 high, 1 normal, 2 low. */
    readonly level: number,
    /** Run-time limit in ms, if any. */
    readonly timeout: number | undefined,
  ) {
    super(canceller, id)
  }
}

/** What every runner's task constructor takes first. */
export interface TaskInit {
  readonly canceller: Canceller
  readonly id: number
  readonly level: number
  readonly timeout: number | undefined
}
