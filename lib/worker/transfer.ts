/**
 * `transfer(value, list)`: a worker task's result whose buffers and ports are moved to the
 * caller rather than copied (piscina's `Piscina.move()`, workerpool's `Transfer`). The
 * worker loop (`lib/workers/isolate.ts`) recognises the wrapper by a registered symbol, not by
 * class: a module of the user's may load this file through the package's name, from another
 * path than the worker loop did.
 */
import type { MessagePort } from 'node:worker_threads'

/**
 * What can be moved between threads: an `ArrayBuffer` (detached where it was) or a `MessagePort`.
 *
 * ```ts
 * const { port1, port2 } = new MessageChannel()
 * const list: Transferable[] = [new ArrayBuffer(8), port2]
 * ```
 */
export type Transferable = ArrayBuffer | MessagePort

/** The brand of `transfer`'s wrappers, the same in every copy of this module. */
const MOVED = Symbol.for('ferris-executor.transfer')

/** Type-only key: carries the wrapped value's type (no such symbol exists at run time). */
declare const movedValue: unique symbol

/**
 * A worker task's result to move, made by `transfer(value, list)`; the future resolves with
 * `value` itself.
 *
 * ```ts
 * const moved: Transfer<Uint8Array> = transfer(bytes, [bytes.buffer])
 * ```
 */
export interface Transfer<T> {
  /** @hidden type-only */
  readonly [movedValue]: T
}

interface Moved {
  readonly [MOVED]: true
  readonly value: unknown
  readonly list: readonly Transferable[]
}

/**
 * Returned by a worker task (as its result, or as one item's result in `map`/`imap`), moves
 * `value` to the caller with the `ArrayBuffer`s and `MessagePort`s of `list` transferred, not
 * copied: they are detached in the worker. The future resolves with `value`. Import it in a
 * worker module from `ferris-executor/worker` (or `ferris-executor`); in a
 * `workerTask(fn)`, with `await import('ferris-executor/worker')`.
 *
 * ```ts
 * import { transfer } from 'ferris-executor/worker'
 * export function render(width: number, height: number) {
 *   const pixels = new Uint8ClampedArray(width * height * 4)
 *   // ... fill it
 *   return transfer(pixels, [pixels.buffer]) // the caller gets pixels without a copy
 * }
 * ```
 */
export function transfer<T>(value: T, list: readonly Transferable[]): Transfer<T> {
  if (!Array.isArray(list)) throw new TypeError('transfer(value, list): list must be an array of ArrayBuffers and MessagePorts')
  const moved: Moved = Object.freeze({ [MOVED]: true as const, value, list: [...list] })
  return moved as unknown as Transfer<T>
}

/**
 * The result of a task whose result may be `transfer(...)`ed: `T`, or what `Transfer<T>` wraps.
 *
 * ```ts
 * type Pixels = Unmoved<Transfer<Uint8Array>> // Uint8Array: what the caller's future resolves with
 * ```
 */
export type Unmoved<R> = R extends Transfer<infer T> ? T : R

function isMoved(value: unknown): value is Moved {
  return typeof value === 'object' && value !== null && (value as Partial<Moved>)[MOVED] === true
}

/**
 * @internal a result (of one call, or a chunk's array of results) with its `transfer`
 * wrappers taken off and the list of what they move; `undefined` if there are none.
 */
export function unwrapMoved(result: unknown, chunk: boolean): { value: unknown; list: Transferable[] } | undefined {
  if (!chunk) return isMoved(result) ? { value: result.value, list: [...result.list] } : undefined
  const results = result as unknown[]
  let values: unknown[] | undefined
  const list: Transferable[] = []
  for (let i = 0; i < results.length; i++) {
    const each = results[i]
    if (!isMoved(each)) continue
    values ??= results.slice()
    values[i] = each.value
    list.push(...each.list)
  }
  return values === undefined ? undefined : { value: values, list }
}
