/** Checking the options of `new Executor()`. */
import { availableParallelism } from 'node:os'

import { FifoScheduler, WorkStealingScheduler, type Scheduler } from './scheduling.js'

/**
 * Options of `new Executor()`; unknown options are refused with `TypeError`.
 *
 * ```ts
 * const options: ExecutorOptions = { maxWorkers: 2, queueCapacity: 100, threadStackSize: 4 * 1024 * 1024, agingMs: 250 }
 * const executor = new Executor(options)
 * ```
 */
export interface ExecutorOptions {
  /** Worker threads, and the most tasks of any kind running at once. Default: `os.availableParallelism()`. */
  maxWorkers?: number
  /** Most tasks waiting to start; one more is refused with `QueueFullError`. Default 10 000. */
  queueCapacity?: number
  /** Stack size of each worker thread in bytes (at least 64 KiB). Default: the platform's (2 MiB on Linux). */
  threadStackSize?: number
  /** How queued tasks are ordered. Default: `new WorkStealingScheduler()`. */
  scheduler?: Scheduler
  /** A task that has waited this many ms starts before younger tasks of higher priority; 0 disables aging. Default 1000. */
  agingMs?: number
  /**
   * Resident set size in bytes above which `ready()` (and so `map` and `imap`) waits before
   * feeding more work; `submit` itself ignores it. Default: none.
   */
  memoryLimit?: number
}

export interface ResolvedOptions {
  maxWorkers: number
  queueCapacity: number
  threadStackSize: number | undefined
  scheduler: Scheduler
  agingMs: number
  memoryLimit: number | undefined
}

const MIN_STACK = 64 * 1024
const MAX_STACK = 1024 * 1024 * 1024
const KNOWN = new Set(['maxWorkers', 'queueCapacity', 'threadStackSize', 'scheduler', 'agingMs', 'memoryLimit'])

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return value
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('Executor options must be an object')
  }
  const given = options as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown Executor option ${JSON.stringify(key)}`)
  }
  const { maxWorkers, queueCapacity, threadStackSize, scheduler, agingMs, memoryLimit } = given
  if (scheduler !== undefined && !(scheduler instanceof WorkStealingScheduler || scheduler instanceof FifoScheduler)) {
    throw new TypeError('scheduler must be a WorkStealingScheduler or a FifoScheduler')
  }
  if (agingMs !== undefined) {
    if (typeof agingMs !== 'number') throw new TypeError(`agingMs must be a number, got ${typeof agingMs}`)
    if (!(agingMs >= 0) || !Number.isFinite(agingMs)) throw new RangeError(`agingMs must be a finite number >= 0, got ${agingMs}`)
  }
  return {
    maxWorkers: maxWorkers === undefined ? Math.min(availableParallelism(), 1024) : integer('maxWorkers', maxWorkers, 1, 1024),
    queueCapacity: queueCapacity === undefined ? 10_000 : integer('queueCapacity', queueCapacity, 1, 2 ** 31 - 1),
    threadStackSize:
      threadStackSize === undefined ? undefined : integer('threadStackSize', threadStackSize, MIN_STACK, MAX_STACK),
    scheduler: scheduler ?? new WorkStealingScheduler(),
    agingMs: agingMs ?? 1000,
    memoryLimit: memoryLimit === undefined ? undefined : integer('memoryLimit', memoryLimit, 1, Number.MAX_SAFE_INTEGER),
  }
}
