/**
 * `TasksById`: the pending tasks by id, for ids that come in increasing order (the executor
 * numbers its tasks). A `Map` cost the JS thread 10-14 % of a burst of 100 000 native tasks
 * (hashing each id, growing and rehashing the table); here a task sits in an array at its id's
 * offset from the window's first id, and finding it is a subtraction.
 *
 * Rules:
 * - The window runs from the oldest id that may be pending to the newest added; a settled
 *   task leaves a hole, and the window's start moves past the holes at its front. An empty
 *   window starts again at the next id added.
 * - A task left pending far behind the others (a long one among many short ones) would hold
 *   the start back while the window grows with holes. Once the window holds more than four
 *   entries per task (and 4096 or more), the tasks in its older half move to a `Map` of
 *   stragglers and the window drops that half: memory stays proportional to the tasks held.
 * - An id below the window's start is looked up among the stragglers; an id added out of
 *   order (never, from the executor) goes there too.
 */
export class TasksById<T> {
  /** `#window[i]` holds the task of id `#first + i`, or `undefined`; entries before `#head` are all settled. */
  #window: Array<T | undefined> = []
  #first = 0
  #head = 0
  /** Tasks in the window. */
  #held = 0
  readonly #stragglers = new Map<number, T>()

  /** Tasks held. */
  get size(): number {
    return this.#held + this.#stragglers.size
  }

  /** @internal entries the window spans, for the memory bound's tests */
  get span(): number {
    return this.#window.length - this.#head
  }

  add(id: number, task: T): void {
    if (this.#head === this.#window.length) this.#restartAt(id)
    const at = id - this.#first
    if (at < this.#window.length) {
      this.#stragglers.set(id, task)
      return
    }
    while (this.#window.length < at) this.#window.push(undefined) // ids skipped (refused submissions)
    this.#window.push(task)
    this.#held++
    const span = this.span
    if (span >= MIN_SPLIT_SPAN && span > HOLES_PER_TASK * this.#held) this.#moveOlderHalf()
  }

  get(id: number): T | undefined {
    const at = id - this.#first
    if (at >= this.#head && at < this.#window.length) return this.#window[at]
    return this.#stragglers.size === 0 ? undefined : this.#stragglers.get(id)
  }

  /** Removes the task of `id`; false if none was held. */
  delete(id: number): boolean {
    const at = id - this.#first
    if (at < this.#head || at >= this.#window.length) return this.#stragglers.delete(id)
    if (this.#window[at] === undefined) return false
    this.#window[at] = undefined
    this.#held--
    if (at === this.#head) this.#advance()
    return true
  }

  /** Every task held, in id order. */
  values(): T[] {
    const tasks = [...this.#stragglers.values()]
    for (let at = this.#head; at < this.#window.length; at++) {
      const task = this.#window[at]
      if (task !== undefined) tasks.push(task)
    }
    return tasks
  }

  #restartAt(id: number): void {
    this.#window = []
    this.#first = id
    this.#head = 0
  }

  /** Moves the start past the holes at the front; drops the settled front once it is most of the array. */
  #advance(): void {
    while (this.#head < this.#window.length && this.#window[this.#head] === undefined) this.#head++
    if (this.#head === this.#window.length) this.#restartAt(this.#first + this.#head)
    else if (this.#head >= MIN_SPLIT_SPAN && 2 * this.#head >= this.#window.length) {
      this.#window = this.#window.slice(this.#head)
      this.#first += this.#head
      this.#head = 0
    }
  }

  #moveOlderHalf(): void {
    const end = this.#head + (this.span >> 1)
    for (let at = this.#head; at < end; at++) {
      const task = this.#window[at]
      if (task === undefined) continue
      this.#stragglers.set(this.#first + at, task)
      this.#window[at] = undefined
      this.#held--
    }
    this.#head = end
    this.#advance()
  }
}

/** Window entries per task held past which the older half moves to the stragglers. */
const HOLES_PER_TASK = 4
/** The shortest window that is split, and the settled front that is dropped. */
const MIN_SPLIT_SPAN = 4096
