/**
 * How values and errors cross the queue. BullMQ stores job data and results as JSON, which
 * loses typed arrays, `BigInt`, `Date`, `Map`, `Set` and shared references; so each travels as
 * one string: JSON text behind the tag `j:` when JSON carries the value exactly
 * (`json-exact.ts`), else base64 of `v8.serialize` (the structured-clone format of Node,
 * which every typed array kind, `Buffer` and `DataView` round-trip through with their class).
 * The tag cannot begin base64 (no `:` in its alphabet), so a reader tells the two apart, and
 * reads the base64-only strings of format 1 (`job-data.ts`) as before.
 *
 * Errors are not left to `v8.serialize`, which keeps only the message and stack of a few
 * built-in classes: an error is written as a record of its name, message, stack, cause and own
 * enumerable fields (`code`, `kernel`, whatever the task added) and rebuilt on the other side
 * with the same class when it is one of JavaScript's or this package's, else as an `Error`
 * whose `name` says what it was.
 */
import { deserialize, serialize } from 'node:v8'

import * as packageErrors from '../errors.js'
import * as queueErrors from './errors.js'
import { jsonExact } from './json-exact.js'

/** Marks a value written as JSON text. */
const JSON_TAG = 'j:'

/**
 * Writes `value` (anything structured clone accepts) as a string; throws its `DataCloneError`
 * otherwise. `compact: false` writes base64 only, for a reader of format 1.
 */
export function encodeValue(value: unknown, compact = true): string {
  if (compact && jsonExact(value)) return JSON_TAG + JSON.stringify(value)
  return serialize(value).toString('base64')
}

/** Reads what `encodeValue` wrote; throws if `text` is not such a string. */
export function decodeValue(text: string): unknown {
  if (text.startsWith(JSON_TAG)) return JSON.parse(text.slice(JSON_TAG.length))
  return deserialize(Buffer.from(text, 'base64'))
}

/** An error as it travels: plain data only. */
interface ErrorRecord {
  /** Marks the record, so that a thrown non-error value is told apart from it. */
  readonly ferrisError: 1
  name: string
  /** The name was an own enumerable property (as the package's errors set it), not the prototype's. */
  ownName: boolean
  message: string
  stack: string | undefined
  fields: Record<string, unknown>
  cause?: { value: unknown }
}

/** A `cause` chain deeper than this is cut (it may be cyclic). */
const MAX_CAUSE_DEPTH = 8

/** Own keys written apart from `fields`. */
const RESERVED = new Set(['name', 'message', 'stack', 'cause'])

function cloneable(value: unknown): boolean {
  try {
    serialize(value)
    return true
  } catch {
    return false
  }
}

function toRecord(error: Error, depth: number): ErrorRecord {
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(error)) {
    if (RESERVED.has(key)) continue
    const value = (error as unknown as Record<string, unknown>)[key]
    // (a field that cannot be cloned, a socket say, is dropped rather than failing the job)
    if (cloneable(value)) fields[key] = value
  }
  const record: ErrorRecord = {
    ferrisError: 1,
    name: String(error.name),
    ownName: Object.prototype.propertyIsEnumerable.call(error, 'name'),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    fields,
  }
  if (Object.hasOwn(error, 'cause') && depth < MAX_CAUSE_DEPTH) record.cause = { value: toWire(error.cause, depth + 1) }
  return record
}

function toWire(thrown: unknown, depth: number): unknown {
  if (thrown instanceof Error) return toRecord(thrown, depth)
  return cloneable(thrown) ? thrown : String(thrown)
}

/** Writes what a task threw (an error or any other value) as base64: rare enough to keep in the one form every client reads. */
export function encodeError(thrown: unknown): string {
  return encodeValue(toWire(thrown, 0), false)
}

/** Error classes rebuilt with their own prototype, by name. */
const CLASSES = new Map<string, ErrorConstructor>()
for (const Class of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError]) {
  CLASSES.set(Class.name, Class as ErrorConstructor)
}
for (const Class of [...Object.values(packageErrors), ...Object.values(queueErrors)]) {
  if (typeof Class === 'function' && Class.prototype instanceof Error) CLASSES.set(Class.name, Class as unknown as ErrorConstructor)
}

function isRecord(value: unknown): value is ErrorRecord {
  return typeof value === 'object' && value !== null && (value as { ferrisError?: unknown }).ferrisError === 1
}

function fromWire(value: unknown): unknown {
  if (!isRecord(value)) return value
  const options = value.cause === undefined ? undefined : { cause: fromWire(value.cause.value) }
  // A real `Error` (so `util.types.isNativeError` holds), given the class's prototype:
  // the package's classes take other constructor arguments, and calling them is not needed.
  const error = new Error(value.message, options)
  const Class = CLASSES.get(value.name)
  if (Class !== undefined && Class !== Error) Object.setPrototypeOf(error, Class.prototype)
  if (value.ownName || error.name !== value.name) {
    Object.defineProperty(error, 'name', { value: value.name, writable: true, configurable: true, enumerable: value.ownName })
  }
  Object.defineProperty(error, 'stack', { value: value.stack, writable: true, configurable: true, enumerable: false })
  Object.assign(error, value.fields)
  return error
}

/** Rebuilds what `encodeError` wrote. */
export function decodeError(text: string): unknown {
  return fromWire(decodeValue(text))
}
