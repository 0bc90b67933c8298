/**
 * The data of a job as `QueueExecutor` writes it and `serve` reads it. BullMQ keeps it as
 * JSON, so the values inside are `codec.ts` strings. A job is either one call of its task
 * (`args`) or a chunk of a `map` (`items`, run by the serving executor's own `map`).
 */
import { decodeValue } from './codec.js'
import { BadJobError } from './errors.js'

/**
 * Version of this layout, written by `QueueExecutor`; a serving process refuses one it does
 * not read instead of guessing. Format 1: values in base64 only; format 2: values may be JSON
 * text too (`codec.ts`). A serving process reads both, and answers a format 1 job in base64,
 * which its client reads.
 */
export const JOB_FORMAT = 2
const FORMATS_READ: readonly unknown[] = [1, 2]

export interface JobData {
  /** `JOB_FORMAT`. */
  ferris: number
  /** Encoded argument list of a call. */
  args?: string
  /** Encoded items of a map chunk. */
  items?: string
  /** Most milliseconds a call may run on the serving executor. */
  timeout?: number
  /** Encoded error of the last failed attempt, written by `serve` before it fails the job. */
  error?: string
}

/** What a job asks for; `compact`: its client reads JSON-text results (format 2 on). */
export type Work = ({ kind: 'call'; args: unknown[]; timeout: number | undefined } | { kind: 'map'; items: unknown[] }) & { compact: boolean }

/** BullMQ priorities (1 is the highest) of TaskPriority's levels (HIGH 0, NORMAL 1, LOW 2). Every job gets one: BullMQ takes jobs without a priority before all prioritized ones. */
export function bullPriority(level: number): number {
  return level + 1
}

function decodeList(text: unknown, what: string): unknown[] {
  if (typeof text !== 'string') throw new BadJobError(`${what} must be an encoded string, got ${typeof text}`)
  let value: unknown
  try {
    value = decodeValue(text)
  } catch (error) {
    throw new BadJobError(`${what} cannot be decoded`, { cause: error })
  }
  if (!Array.isArray(value)) throw new BadJobError(`${what} is not an array`)
  return value
}

/** What a job asks for; `BadJobError` for data that `QueueExecutor` did not write. */
export function readJob(data: unknown): Work {
  if (typeof data !== 'object' || data === null) throw new BadJobError(`expected an object, got ${data === null ? 'null' : typeof data}`)
  const job = data as Partial<JobData>
  if (!FORMATS_READ.includes(job.ferris)) {
    throw new BadJobError(`unknown format ${JSON.stringify(job.ferris)} (this version reads ${FORMATS_READ.join(' and ')})`)
  }
  const compact = job.ferris !== 1
  if (job.items !== undefined) return { kind: 'map', items: decodeList(job.items, 'items'), compact }
  const timeout = job.timeout
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    throw new BadJobError(`timeout must be a non-negative number, got ${JSON.stringify(timeout)}`)
  }
  return { kind: 'call', args: decodeList(job.args, 'args'), timeout, compact }
}
