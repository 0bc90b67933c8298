/**
 * The options of the worker threads behind `workerTask` functions (`ExecutorOptions`'
 * `workerOptions`, `idleTimeout`, `maxTasksPerWorker`), checked once, at `new Executor()`:
 * a worker is spawned later, when a task needs it, so a mistake found then would fail a task
 * far from its cause (or, for `resourceLimits`, silently mean no limit at all).
 */
import type { ResourceLimits } from 'node:worker_threads'

import { SHARE_ENV } from '../worker-threads.js'

import { checkOptions } from '../options.js'

/**
 * Options of each worker thread, with the meaning `new Worker()` gives them; an unknown key is
 * refused with `TypeError`.
 *
 * ```ts
 * const executor = new Executor({
 *   workerOptions: { env: { LOG_LEVEL: 'debug' }, workerData: { region: 'eu' }, resourceLimits: { maxOldGenerationSizeMb: 256 } },
 * })
 * ```
 */
export interface WorkerOptions {
  /** The workers' `process.env`: an object, or `SHARE_ENV` to share the main thread's. Default: a copy of the main thread's. */
  env?: Record<string, string | undefined> | typeof SHARE_ENV
  /** Strings appended to the workers' `process.argv`. */
  argv?: readonly string[]
  /** Node options of the workers (`--max-old-space-size=...`, ...). Default: the main thread's, but `--input-type`. */
  execArgv?: readonly string[]
  /** Readable as `workerData` (from `node:worker_threads`) in the task's module; cloned once per worker. */
  workerData?: unknown
  /** The workers' thread name (in debuggers and `worker.threadName`). Default `'ferris-js-worker-<n>'`. */
  name?: string
  /** Heap limits: a worker that runs out fails its task with `WorkerExitError` and is replaced. */
  resourceLimits?: ResourceLimits
  /** Do not copy the workers' standard output to the main thread's: read it from the `Worker` of `'workerStart'`. */
  stdout?: boolean
  /** As `stdout`, for standard error. */
  stderr?: boolean
}

/** What each worker is spawned with: only the options given. */
export type ResolvedWorkerOptions = Omit<WorkerOptions, 'argv' | 'execArgv'> & { argv?: string[]; execArgv?: string[] }

const WORKER_OPTIONS: readonly (keyof WorkerOptions)[] = ['env', 'argv', 'execArgv', 'workerData', 'name', 'resourceLimits', 'stdout', 'stderr']
const RESOURCE_LIMITS: readonly (keyof ResourceLimits)[] = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function strings(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new TypeError(`${name} must be an array of strings`)
  }
  return [...value]
}

/** Refuses unknown keys, non-numbers and limits that are not positive and finite (`-1` would stop every worker from starting). */
export function checkResourceLimits(name: string, limits: unknown): ResourceLimits {
  checkOptions(name, limits, RESOURCE_LIMITS)
  const checked = limits as Record<string, unknown>
  for (const key of RESOURCE_LIMITS) {
    const value = checked[key]
    if (value === undefined) continue
    if (typeof value !== 'number') throw new TypeError(`${name}.${key} must be a number, got ${typeof value}`)
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name}.${key} must be a finite number of MiB > 0, got ${value}`)
  }
  return { ...(checked as ResourceLimits) }
}

/** `workerOptions`, with the top-level `resourceLimits` (its alias) folded in. */
export function resolveWorkerOptions(options: unknown, resourceLimits: unknown): ResolvedWorkerOptions {
  checkOptions('workerOptions', options, WORKER_OPTIONS)
  const given = (options ?? {}) as Record<string, unknown>
  const resolved: ResolvedWorkerOptions = {}
  const { env, argv, execArgv, name, stdout, stderr } = given
  if (env !== undefined) {
    if (env !== SHARE_ENV && !isRecord(env)) throw new TypeError('workerOptions.env must be an object or SHARE_ENV')
    resolved.env = env === SHARE_ENV ? SHARE_ENV : { ...(env as Record<string, string>) }
  }
  if (argv !== undefined) resolved.argv = strings('workerOptions.argv', argv)
  if (execArgv !== undefined) resolved.execArgv = strings('workerOptions.execArgv', execArgv)
  if ('workerData' in given && given.workerData !== undefined) {
    try {
      structuredClone(given.workerData)
    } catch (error) {
      throw new TypeError('workerOptions.workerData must be structured-cloneable', { cause: error })
    }
    resolved.workerData = given.workerData
  }
  if (name !== undefined) {
    if (typeof name !== 'string') throw new TypeError(`workerOptions.name must be a string, got ${typeof name}`)
    resolved.name = name
  }
  for (const [key, value] of [['stdout', stdout], ['stderr', stderr]] as const) {
    if (value === undefined) continue
    if (typeof value !== 'boolean') throw new TypeError(`workerOptions.${key} must be a boolean, got ${typeof value}`)
    resolved[key] = value
  }
  if (given.resourceLimits !== undefined && resourceLimits !== undefined) {
    throw new TypeError('give resourceLimits once: in workerOptions or at the top level (its alias), not both')
  }
  const limits = given.resourceLimits ?? resourceLimits
  if (limits !== undefined) {
    resolved.resourceLimits = checkResourceLimits(given.resourceLimits === undefined ? 'resourceLimits' : 'workerOptions.resourceLimits', limits)
  }
  return resolved
}

/** A duration option in ms that may be `Infinity` (never); `undefined` stays `Infinity`. */
export function checkIdleTimeout(value: unknown): number {
  if (value === undefined) return Infinity
  if (typeof value !== 'number') throw new TypeError(`idleTimeout must be a number, got ${typeof value}`)
  if (!(value >= 0)) throw new RangeError(`idleTimeout must be a number of ms >= 0 (or Infinity), got ${value}`)
  return value
}

/** A count that may be `Infinity` (never); `undefined` stays `Infinity`. */
export function checkMaxTasksPerWorker(value: unknown): number {
  if (value === undefined) return Infinity
  if (typeof value !== 'number') throw new TypeError(`maxTasksPerWorker must be a number, got ${typeof value}`)
  if (value !== Infinity && !(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`maxTasksPerWorker must be an integer >= 1 (or Infinity), got ${value}`)
  }
  return value
}
