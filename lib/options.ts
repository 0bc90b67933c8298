/**
 * Checking options objects: the one check of unknown keys that every entry point taking options
 * runs (`checkOptions`), and the options of `new Executor()`.
 */
import { availableParallelism } from 'node:os'
import type { ResourceLimits } from 'node:worker_threads'

import type { ReadyOptions, ShutdownOptions } from './executor.js'
import type { SubmitOptions } from './submit-options.js'
import type { WaitOptions } from './future.js'
import type { ImapOptions, MapOptions } from './mapping.js'
import { FifoScheduler, WorkStealingScheduler, type Scheduler } from './scheduling.js'
import type { WaitForOptions } from './waiting.js'
import { checkIdleTimeout, checkMaxTasksPerWorker, resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './workers/worker-options.js'

/**
 * Options of `new Executor()`; an unknown key is refused with `TypeError` (naming the closest valid one).
 *
 * ```ts
 * const options: ExecutorOptions = { maxWorkers: 2, queueCapacity: 100, threadStackSize: 4 * 1024 * 1024, agingMs: 250 }
 * const executor = new Executor(options)
 * ```
 */
export interface ExecutorOptions {
  /** Worker threads, and the most tasks of any kind running at once. Default: `os.availableParallelism()`. */
  maxWorkers?: number
  /**
   * Most tasks waiting to start beyond those the free slots take at once: up to
   * `maxWorkers + queueCapacity` tasks are accepted and unsettled, one more is refused with
   * `QueueFullError`. Default 10 000.
   */
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
  /**
   * Most worker threads running `workerTask` functions (JavaScript isolates, each with its own
   * heap); `0` disables worker tasks. They start as worker tasks need them (or all at once with
   * `executor.startWorkers()`), and an idle one costs no CPU and does not keep the process
   * alive. Worker tasks share the `maxWorkers` slots with every other task. Default:
   * `min(maxWorkers, os.availableParallelism())`: a `maxWorkers` raised for I/O concurrency
   * does not start more isolates than there are cores to run them.
   */
  jsWorkers?: number
  /**
   * Heap limits of each worker thread (`worker_threads` `resourceLimits`): a worker that runs
   * out fails its task with `WorkerExitError` and is replaced. Default: Node's. An alias of
   * `workerOptions.resourceLimits` (give one or the other).
   */
  resourceLimits?: ResourceLimits
  /** Options of each worker thread (`env`, `workerData`, `execArgv`, ...; see `WorkerOptions`). */
  workerOptions?: WorkerOptions
  /**
   * Milliseconds a worker thread may stay idle before it exits (after its `onTeardown`
   * hooks); a new one starts when a worker task needs it. Default `Infinity`: idle workers
   * stay, costing no CPU and not keeping the process alive.
   */
  idleTimeout?: number
  /**
   * Tasks (or `map` chunks) a worker thread runs before it exits and a fresh one replaces
   * it, with fresh module state: a bound on what leaky task modules can accumulate. Default
   * `Infinity`.
   */
  maxTasksPerWorker?: number
}

export interface ResolvedOptions {
  maxWorkers: number
  queueCapacity: number
  threadStackSize: number | undefined
  scheduler: Scheduler
  agingMs: number
  memoryLimit: number | undefined
  jsWorkers: number
  workerOptions: ResolvedWorkerOptions
  idleTimeout: number
  maxTasksPerWorker: number
}

const MIN_STACK = 64 * 1024
const MAX_STACK = 1024 * 1024 * 1024
const EXECUTOR_OPTIONS = optionKeys<ExecutorOptions>({
  maxWorkers: true,
  queueCapacity: true,
  threadStackSize: true,
  scheduler: true,
  agingMs: true,
  memoryLimit: true,
  jsWorkers: true,
  resourceLimits: true,
  workerOptions: true,
  idleTimeout: true,
  maxTasksPerWorker: true,
})

/**
 * Refuses an `options` argument that is not an object, or that has an own key not in `known`,
 * with a `TypeError` naming the key and the closest known one: a misspelt option would
 * otherwise be ignored in silence (`{ timeOut: 5 }` would run without a time limit). Known
 * keys set to `undefined` pass; `undefined` options pass (every option has a default).
 *
 * `where` names the entry point in the message: `unknown submit option "timeOut"; did you mean "timeout"?`.
 */
export function checkOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`)
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const closest = closestKey(key, known)
    throw new TypeError(
      `unknown ${where} option ${JSON.stringify(key)}; ` +
        (closest === undefined ? `the options are ${known.map((k) => JSON.stringify(k)).join(', ')}` : `did you mean ${JSON.stringify(closest)}?`),
    )
  }
}

/**
 * The keys of an options interface, each listed once: the type makes the compiler refuse a
 * list that misses an option of `T` or has one `T` lacks, so the lists below follow the interfaces.
 */
function optionKeys<T>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys)
}

/** The known keys of every options object of the API, for `checkOptions`. */
export const SUBMIT_OPTIONS = optionKeys<SubmitOptions>({ priority: true, signal: true, timeout: true, transfer: true, onProgress: true })
export const READY_OPTIONS = optionKeys<ReadyOptions>({ signal: true, timeout: true })
export const SHUTDOWN_OPTIONS = optionKeys<ShutdownOptions>({ wait: true, cancelPending: true, timeout: true })
export const MAP_OPTIONS = optionKeys<MapOptions>({ chunkSize: true, priority: true, signal: true, timeout: true, onProgress: true })
export const IMAP_OPTIONS = optionKeys<ImapOptions>({ chunkSize: true, priority: true, signal: true, timeout: true, concurrency: true, ordered: true })
export const WAIT_FOR_OPTIONS = optionKeys<WaitForOptions>({ timeout: true, returnWhen: true })
/** Of `future.result()`, `future.exception()` and `executor.asCompleted()`. */
export const WAIT_OPTIONS = optionKeys<WaitOptions>({ timeout: true })

/** Lower case without `_` and `-`, so that `chunk_size`, `ChunkSize` and `chunkSize` compare equal. */
const normalise = (key: string): string => key.toLowerCase().replace(/[_-]/g, '')

/**
 * The known key nearest to `key`: one equal to it or starting with it (`prio` -> `priority`)
 * once case, `_` and `-` are ignored, else the one at the smallest edit distance if that is at
 * most a third of the known key's length (two slips in `timeout`, three in `cancelPending`),
 * so that an unrelated key gets no suggestion.
 */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const given = normalise(key)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const target = normalise(candidate)
    const distance = given.length >= 3 && target.startsWith(given) ? 0 : editDistance(given, target)
    if (distance < bestDistance && distance <= Math.floor(target.length / 3)) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return value
}

export function resolveOptions(options: unknown): ResolvedOptions {
  checkOptions('Executor', options, EXECUTOR_OPTIONS)
  const given = (options ?? {}) as Record<string, unknown>
  const { maxWorkers, queueCapacity, threadStackSize, scheduler, agingMs, memoryLimit, jsWorkers } = given
  if (scheduler !== undefined && !(scheduler instanceof WorkStealingScheduler || scheduler instanceof FifoScheduler)) {
    throw new TypeError('scheduler must be a WorkStealingScheduler or a FifoScheduler')
  }
  if (agingMs !== undefined) {
    if (typeof agingMs !== 'number') throw new TypeError(`agingMs must be a number, got ${typeof agingMs}`)
    if (!(agingMs >= 0) || !Number.isFinite(agingMs)) throw new RangeError(`agingMs must be a finite number >= 0, got ${agingMs}`)
  }
  const workers = maxWorkers === undefined ? Math.min(availableParallelism(), 1024) : integer('maxWorkers', maxWorkers, 1, 1024)
  return {
    maxWorkers: workers,
    queueCapacity: queueCapacity === undefined ? 10_000 : integer('queueCapacity', queueCapacity, 1, 2 ** 31 - 1),
    threadStackSize:
      threadStackSize === undefined ? undefined : integer('threadStackSize', threadStackSize, MIN_STACK, MAX_STACK),
    scheduler: scheduler ?? new WorkStealingScheduler(),
    agingMs: agingMs ?? 1000,
    memoryLimit: memoryLimit === undefined ? undefined : integer('memoryLimit', memoryLimit, 1, Number.MAX_SAFE_INTEGER),
    jsWorkers: jsWorkers === undefined ? Math.min(workers, availableParallelism()) : integer('jsWorkers', jsWorkers, 0, 1024),
    workerOptions: resolveWorkerOptions(given.workerOptions, given.resourceLimits),
    idleTimeout: checkIdleTimeout(given.idleTimeout),
    maxTasksPerWorker: checkMaxTasksPerWorker(given.maxTasksPerWorker),
  }
}
