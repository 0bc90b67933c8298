/**
 * How worker tasks' values and errors cross between threads as bytes (`v8.serialize`, the
 * structured-clone format), and how shared memory and errors, which that format cannot carry
 * as they are, get across:
 * - Shared memory: `v8`'s serializer copies a SharedArrayBuffer's contents, and Node 20's
 *   deserializer cannot rebuild one by id. So a typed array over a SharedArrayBuffer is
 *   written as a reference (the buffer's id in a `SharedBuffers` registry, its type, offset
 *   and length); each thread's registry maps ids to the buffer objects, which reach the
 *   threads by `postMessage` (see `lib/workers/shared.ts`). A bare SharedArrayBuffer, or a
 *   buffer the registry cannot name, makes `encode` give up: such a value goes by
 *   `postMessage` as a whole.
 * - Errors: the format keeps only the built-in error classes and drops own fields such as
 *   `code`, so errors travel as records (`encodeError`).
 */
import v8 from 'node:v8'

/** Ids of shared buffers, and buffers by id, as one thread knows them. */
export interface SharedBuffers {
  /** The id of `buffer`, or `undefined` if it cannot be named to the other side. */
  idOf(buffer: SharedArrayBuffer): number | undefined
  /** The buffer of id `id`; throws if it never arrives. */
  bufferOf(id: number): SharedArrayBuffer
}

/** Thrown inside the serializer when it meets shared memory it cannot name, to give up on the bytes. */
const SHARED = Symbol('shared memory')

/** What precedes every host object (typed array, DataView) in our format. */
const enum Host {
  /** Node's default encoding follows. */
  Copied = 0,
  /** A view over a shared buffer: its id, type, byte offset and length follow. */
  Shared = 1,
}

const VIEW_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const
type View = InstanceType<(typeof VIEW_TYPES)[number]>

function viewType(view: ArrayBufferView): number {
  for (let i = 0; i < VIEW_TYPES.length; i++) if (view instanceof VIEW_TYPES[i]!) return i
  throw SHARED
}

/** The hooks Node's serializers call (its typings leave them out). */
interface Hooks {
  _writeHostObject(object: object): void
  _readHostObject(): unknown
}

const writeCopied = (v8.DefaultSerializer.prototype as unknown as Hooks)._writeHostObject
const readCopied = (v8.DefaultDeserializer.prototype as unknown as Hooks)._readHostObject

/** Node's default serializer (typed arrays keep their class), with views over shared memory written as references. */
class Serializer extends v8.DefaultSerializer {
  readonly #shared: SharedBuffers | undefined

  constructor(shared: SharedBuffers | undefined) {
    super()
    this.#shared = shared
  }

  /** Node calls it for every typed array and DataView (they are "host objects" to this serializer). */
  _writeHostObject(view: ArrayBufferView): void {
    if (!(view.buffer instanceof SharedArrayBuffer)) {
      this.writeUint32(Host.Copied)
      writeCopied.call(this, view)
      return
    }
    const id = this.#shared?.idOf(view.buffer)
    if (id === undefined) throw SHARED
    const type = viewType(view)
    this.writeUint32(Host.Shared)
    this.writeUint32(id)
    this.writeUint32(type)
    this.writeDouble(view.byteOffset)
    this.writeDouble(view instanceof DataView ? view.byteLength : (view as Exclude<View, DataView>).length)
  }

  /** V8 calls it for a SharedArrayBuffer met on its own. */
  _getSharedArrayBufferId(): never {
    throw SHARED
  }
}

class Deserializer extends v8.DefaultDeserializer {
  readonly #shared: SharedBuffers | undefined

  constructor(bytes: Uint8Array, shared: SharedBuffers | undefined) {
    super(bytes)
    this.#shared = shared
  }

  _readHostObject(): unknown {
    if (this.readUint32() === Host.Copied) return readCopied.call(this)
    const id = this.readUint32()
    const Type = VIEW_TYPES[this.readUint32()]
    const offset = this.readDouble()
    const length = this.readDouble()
    if (Type === undefined || this.#shared === undefined) throw new Error('malformed reference to shared memory')
    // Every view type takes (buffer, byte offset, length in its own units).
    const View = Type as unknown as new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => View
    return new View(this.#shared.bufferOf(id), offset, length)
  }
}

/**
 * `value` as bytes, or `undefined` if it holds shared memory `shared` cannot name (send it by
 * `postMessage`). Throws `DataCloneError` for values that cannot be cloned.
 */
export function encode(value: unknown, shared?: SharedBuffers): Uint8Array | undefined {
  const serializer = new Serializer(shared)
  serializer.writeHeader()
  try {
    serializer.writeValue(value)
  } catch (error) {
    if (error === SHARED) return undefined
    throw error
  }
  return serializer.releaseBuffer()
}

/** The value `encode` wrote; shared buffers are looked up in `shared`. */
export function decode(bytes: Uint8Array, shared?: SharedBuffers): unknown {
  const deserializer = new Deserializer(bytes, shared)
  deserializer.readHeader()
  return deserializer.readValue()
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

/**
 * What was thrown: an error's record, or any other value (cloned if it can be, else an
 * object's cloneable own fields, else its text).
 */
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

/** An error's fields that its record holds apart. */
const ERROR_KEYS = new Set(['cause', 'errors', 'name', 'message', 'stack'])
const NO_KEYS = new Set<string>()

/** `object`'s own enumerable fields that can be cloned, but those in `skipped`. */
function cloneableFields(object: object, skipped: ReadonlySet<string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(object)) {
    if (skipped.has(key)) continue
    const value = (object as Record<string, unknown>)[key]
    if (cloneable(value)) fields[key] = value
  }
  return fields
}

function record(thrown: unknown, depth: number): Thrown {
  if (!(thrown instanceof Error)) {
    if (cloneable(thrown)) return { value: thrown }
    // An object with a method (`toJSON`, say) cannot be cloned whole: its data can.
    return { value: typeof thrown === 'object' && thrown !== null ? cloneableFields(thrown, NO_KEYS) : String(thrown) }
  }
  const fields = cloneableFields(thrown, ERROR_KEYS)
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
