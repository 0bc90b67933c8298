/**
 * How worker tasks' values and errors cross between threads as bytes (`v8.serialize`, the
 * structured-clone format). Two things it cannot carry go another way: shared memory (`v8`'s
 * serializer copies a SharedArrayBuffer's contents, and Node 20's deserializer cannot rebuild
 * one by id), so a value holding some goes by `postMessage`; and errors' own fields and
 * classes (the format keeps only the built-in error types and drops fields such as `code`), so
 * errors travel as records.
 */
import v8 from 'node:v8'

/** Thrown inside the serializer when it meets shared memory, to give up on the bytes. */
const SHARED = Symbol('shared memory')

/** The serializer's hooks Node calls (its typings leave them out). */
interface Hooks {
  _writeHostObject(object: object): void
}

const writeHostObject = (v8.DefaultSerializer.prototype as unknown as Hooks)._writeHostObject

/** The default serializer (typed arrays keep their class), except that it gives up on shared memory. */
class Serializer extends v8.DefaultSerializer {
  /** Node calls it for every typed array and DataView (they are "host objects" to this serializer). */
  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object) && object.buffer instanceof SharedArrayBuffer) throw SHARED
    writeHostObject.call(this, object)
  }

  /** V8 calls it for a SharedArrayBuffer met on its own. */
  _getSharedArrayBufferId(): never {
    throw SHARED
  }
}

/** `value` as bytes, or `undefined` if it holds shared memory (send it by `postMessage`). Throws `DataCloneError` for values that cannot be cloned. */
export function encode(value: unknown): Uint8Array | undefined {
  const serializer = new Serializer()
  serializer.writeHeader()
  try {
    serializer.writeValue(value)
  } catch (error) {
    if (error === SHARED) return undefined
    throw error
  }
  return serializer.releaseBuffer()
}

export function decode(bytes: Uint8Array): unknown {
  return v8.deserialize(bytes)
}

/** An error as plain data: what survives of it across threads. */
interface ErrorRecord {
  name: string
  message: string
  stack: string | undefined
  /** Own enumerable fields that can be cloned (`code`, `errno`, ...). */
  fields: Record<string, unknown>
  cause?: Thrown
  /** An `AggregateError`'s errors. */
  errors?: Thrown[]
}

/** What was thrown: an error's record, or any other value (cloned if it can be, else its text). */
type Thrown = { error: ErrorRecord } | { value: unknown }

const BUILT_IN: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
}

function cloneable(value: unknown): boolean {
  try {
    v8.serialize(value)
    return true
  } catch {
    return false
  }
}

/** Depth at which nested causes stop being recorded: a cycle of causes must end somewhere. */
const MAX_DEPTH = 8

function record(thrown: unknown, depth: number): Thrown {
  if (!(thrown instanceof Error)) return { value: cloneable(thrown) ? thrown : String(thrown) }
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(thrown)) {
    if (key === 'cause' || key === 'errors' || key === 'name' || key === 'message' || key === 'stack') continue
    const value = (thrown as unknown as Record<string, unknown>)[key]
    if (cloneable(value)) fields[key] = value
  }
  const error: ErrorRecord = { name: thrown.name, message: thrown.message, stack: thrown.stack, fields }
  if (depth < MAX_DEPTH && 'cause' in thrown) error.cause = record(thrown.cause, depth + 1)
  if (depth < MAX_DEPTH && thrown instanceof AggregateError) error.errors = thrown.errors.map((e: unknown) => record(e, depth + 1))
  return { error }
}

function rebuild(thrown: Thrown): unknown {
  if (!('error' in thrown)) return thrown.value
  const { name, message, stack, fields, cause, errors } = thrown.error
  const options = cause === undefined ? undefined : { cause: rebuild(cause) }
  const error = errors !== undefined ? new AggregateError(errors.map(rebuild), message, options) : new (BUILT_IN[name] ?? Error)(message, options)
  if (error.name !== name) Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true })
  if (stack !== undefined) error.stack = stack
  Object.assign(error, fields)
  return error
}

/** What a task threw, as bytes: its class name, message, stack, cause and own fields survive. */
export function encodeError(thrown: unknown): Uint8Array {
  return v8.serialize(record(thrown, 0))
}

/** The error `encodeError` recorded, rebuilt (a built-in class where the name is one, else `Error` with that name). */
export function decodeError(bytes: Uint8Array): unknown {
  return rebuild(v8.deserialize(bytes) as Thrown)
}
