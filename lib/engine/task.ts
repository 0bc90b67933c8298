/** `Task`: the record of one submitted task, and the future its caller holds. */
import { Future, type Canceller } from '../future.js'
import type { Runner } from '../runners/runner.js'

/** How a task ended, as the executor counts it (`refused`: the pool did not take it after all). */
export type Outcome = 'completed' | 'failed' | 'cancelled' | 'refused'

/**
 * One object per task, future and record at once (keeping the garbage collector out of the
 * way). Each runner extends it with its payload (`MainThreadTask`, `KernelTask`): a tagged
 * union whose tag is `runner`, the runner that encodes, runs and settles the task. The
 * record's fields are private, behind accessors, so that the future a user holds shows no
 * internals (`Object.keys`, `JSON.stringify`).
 */
export class Task extends Future<unknown> {
  readonly #runner: Runner
  readonly #level: number
  readonly #timeout: number | undefined
  #batched = true
  #unlisten: (() => void) | undefined = undefined

  constructor(canceller: Canceller, id: number, runner: Runner, level: number, timeout: number | undefined) {
    super(canceller, id)
    this.#runner = runner
    this.#level = level
    this.#timeout = timeout
  }

  /** The runner that encodes, runs and settles this task. */
  get runner(): Runner {
    return this.#runner
  }

  /** Priority level: 0 high, 1 normal, 2 low. */
  get level(): number {
    return this.#level
  }

  /** Run-time limit in ms, if any. */
  get timeout(): number | undefined {
    return this.#timeout
  }

  /** Still in the submission batch, not yet in the pool. */
  get batched(): boolean {
    return this.#batched
  }

  set batched(value: boolean) {
    this.#batched = value
  }

  /** Removes the abort listener, if any. */
  get unlisten(): (() => void) | undefined {
    return this.#unlisten
  }

  set unlisten(value: (() => void) | undefined) {
    this.#unlisten = value
  }
}

/** What every runner's task constructor takes first. */
export interface TaskInit {
  readonly canceller: Canceller
  readonly id: number
  readonly level: number
  readonly timeout: number | undefined
}
