/** `map`: many items through one executor, with bounded queue use; and what `imap` shares with it. */
import { CancelledError } from './errors.js'
import { checkTimeout, type Future } from './future.js'
import { isKernel, type Kernel } from './kernels.js'
import { isWorkerTask, type WorkerTask } from './workers/worker-task.js'
import { MAP_OPTIONS, checkOptions } from './options.js'
import { priorityLevel, type TaskPriority } from './scheduling.js'
import { Slices } from './slices.js'
import { ChunkSizes } from './chunk-sizes.js'
import { Stop } from './stop.js'

/**
 * Options shared by `executor.map()` and `executor.imap()`. A key neither takes is refused
 * with `TypeError` (naming the closest valid one); so is `onProgress` in `imap`, and
 * `concurrency` or `ordered` in `map`.
 *
 * ```ts
 * const options: BatchOptions = { chunkSize: 64, priority: TaskPriority.LOW, timeout: 5_000 }
 * ```
 */
export interface BatchOptions {
  /**
   * Items per task. Default 1 for functions on the main thread; for kernels and worker tasks,
   * a size that follows the measured cost of the items: one item first, then doubling while
   * a chunk takes well under 2 ms and halving when it takes well over (at most 8 192 items,
   * and about 4 chunks per worker at most for an array).
   */
  chunkSize?: number
  /** Priority of every task. Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority
  /**
   * Aborting rejects with `CancelledError`, cancels the items not yet started and stops the
   * worker chunks running (their workers are terminated, as for `submit`).
   */
  signal?: AbortSignal
  /**
   * Milliseconds for the whole operation; then it rejects with `TimeoutError`, cancels the
   * items not yet started and stops the worker chunks running.
   */
  timeout?: number
}

/**
 * Options of `executor.map()`.
 *
 * ```ts
 * const checksums = await executor.map(kernels.spin, counts, { chunkSize: 64, onProgress: (done, total) => console.log(done, total) })
 * ```
 */
export interface MapOptions extends BatchOptions {
  /**
   * Called with the number of items done and the total, at most every 100 ms while items
   * complete, and once more, with `done === total`, just before the map resolves (never
   * after it rejects). `total` is the length of an array or typed array and the size of a
   * `Set` or `Map`; for other iterables (generators, say) it is `undefined` until the source
   * is exhausted. If it throws, the map rejects with that error and cancels the items not
   * yet started.
   */
  onProgress?: (done: number, total: number | undefined) => void
}

/**
 * Options of `executor.imap()`.
 *
 * ```ts
 * for await (const checksum of executor.imap(kernels.spin, endlessCounts(), { concurrency: 8, ordered: false })) console.log(checksum)
 * ```
 */
export interface ImapOptions extends BatchOptions {
  /** Tasks in flight or with results not yet consumed (each of `chunkSize` items). Default `2 * maxWorkers`. */
  concurrency?: number
  /** Yield results in input order (default), or as they complete (`false`). */
  ordered?: boolean
}

/** What `map` and `imap` call: a JS function (main thread), a worker task or a kernel. */
export type Mappable = ((item: never) => unknown) | Kernel | WorkerTask

/** What map and imap need from their executor (not part of the public API). */
export interface MapHost {
  readonly maxWorkers: number
  readonly queueCapacity: number
  /**
   * One task that runs `fn` on each item in order and resolves with the results; `undefined`
   * (and nothing counted as refused) when the queue has no room for it now.
   */
  submitChunk(fn: Mappable, items: unknown[], level: number): Future<unknown[]> | undefined
  /** Whether `executor.ready()` would resolve at once: room in the queue, memory below the limit. */
  isReady(): boolean
  /** Resolves once the executor may be ready (check `isReady` again), or is shut down. */
  whenReady(): Promise<void>
  /** Cancels a chunk that has not started, or stops it while it runs where its runner can (a worker chunk). */
  halt(chunk: Future<unknown[]>): void
}

export interface Plan {
  /** Items per chunk, fixed or adapting (see `ChunkSizes`). */
  sizes: ChunkSizes
  /** The sizes adapt: few chunks in flight are enough, each of a few milliseconds of work. */
  adaptive: boolean
  level: number
  signal: AbortSignal | undefined
  timeout: number | undefined
}

export function plan(host: MapHost, fn: unknown, items: unknown, options: BatchOptions, what: string): Plan {
  const batched = isKernel(fn) || isWorkerTask(fn)
  if (typeof fn !== 'function' && !batched) throw new TypeError(`${what} takes a function, a worker task or a kernel`)
  if (typeof options !== 'object' || options === null) throw new TypeError(`${what} options must be an object`)
  const { chunkSize, signal } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
  if (signal?.aborted) throw new CancelledError(`${what} was aborted`, { cause: signal.reason })
  if (chunkSize !== undefined) {
    if (typeof chunkSize !== 'number') throw new TypeError(`chunkSize must be a number, got ${typeof chunkSize}`)
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`)
  }
  // Kernels and worker tasks: chunks, as the per-task cost is a cost of parallel work; a
  // main-thread function runs on the main thread whatever the chunk.
  const adaptive = batched && chunkSize === undefined
  const sizes = new ChunkSizes({ fixed: adaptive ? undefined : (chunkSize ?? 1), parallel: host.maxWorkers, length: knownLength(items) })
  return { sizes, adaptive, level: priorityLevel(options.priority), signal, timeout: checkTimeout(options.timeout) }
}

/** Reads up to `n` items from a synchronous iterator. */
export function takeSync(iterator: Iterator<unknown>, n: number): unknown[] {
  const items: unknown[] = []
  while (items.length < n) {
    const step = iterator.next()
    if (step.done) break
    items.push(step.value)
  }
  return items
}

/** The number of items of `items` if it is known before iterating, else `undefined`. */
function knownLength(items: unknown): number | undefined {
  if (Array.isArray(items) || ArrayBuffer.isView(items)) return (items as ArrayLike<unknown>).length
  if (items instanceof Set || items instanceof Map) return items.size
  return undefined
}

const EMPTY: unknown[] = []

/**
 * Chunks of adapting size in flight per worker in `map`: each aims at a few milliseconds of
 * work, so this keeps every worker fed while results come back, and lets the size grow after
 * a few chunks rather than after a window of hundreds of one-item chunks.
 */
const ADAPTIVE_WINDOW = 8

/** Most arrays `concat` takes at once (each is an argument). */
const JOIN_WIDTH = 1024

/**
 * The arrays of `parts` one after the other, by `concat` (a copy of whole runs), from an
 * empty array that never changes: pushing onto a new array costs far more on a million items,
 * and V8 remembers the element kind of arrays made by one line of code, so once a result held
 * a fraction every later array from that line would hold doubles, and integers would be read
 * back as heap doubles (see `exactArray` in lib/wire/numbers.ts).
 */
function joined(parts: unknown[][]): unknown[] {
  if (parts.length <= JOIN_WIDTH) return EMPTY.concat(...parts)
  const groups: unknown[][] = []
  for (let i = 0; i < parts.length; i += JOIN_WIDTH) groups.push(joined(parts.slice(i, i + JOIN_WIDTH)))
  return joined(groups)
}

/** Fewest milliseconds between two intermediate `onProgress` calls. */
const PROGRESS_INTERVAL_MS = 100

export async function mapAll<R>(
  host: MapHost,
  fn: Mappable,
  iterable: Iterable<unknown>,
  options: MapOptions = {},
): Promise<R[]> {
  checkOptions('map', options, MAP_OPTIONS)
  if (iterable == null || typeof iterable[Symbol.iterator] !== 'function') throw new TypeError('map takes an iterable')
  const { sizes, adaptive, level, ...rest } = plan(host, fn, iterable, options, 'map')
  const { onProgress } = options
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('onProgress must be a function')
  let total = onProgress && knownLength(iterable)
  let finished = 0
  let reportedAt = onProgress ? performance.now() : 0
  const window = adaptive ? host.maxWorkers * ADAPTIVE_WINDOW : Math.min(host.queueCapacity, 1024) + host.maxWorkers
  /**
   * Each chunk's results, by chunk: chunks finish out of order, and writing items at their
   * final index would leave holes that turn a large array into a dictionary (slow to fill,
   * and slow for the caller to read). Joined in order at the end.
   */
  const chunks: unknown[][] = []
  const inFlight = new Set<Future<unknown[]>>()
  const stop = new Stop('the map', rest)
  const report = (): void => {
    try {
      onProgress!(finished, total)
    } catch (error) {
      stop.fail(error)
    }
  }
  try {
    const iterator = iterable[Symbol.iterator]()
    const slices = new Slices()
    let next = 0
    let held: unknown[] | undefined
    while (stop.error === undefined) {
      const due = slices.due()
      if (due !== undefined) {
        await due
        continue
      }
      held ??= takeSync(iterator, sizes.size)
      if (held.length === 0) break
      if (inFlight.size >= window) {
        await stop.next()
        continue
      }
      // Wait for room (and memory): for one of ours to finish, or for the executor if none is ours.
      const future = host.isReady() ? host.submitChunk(fn, held, level) : undefined
      if (future === undefined) {
        await (inFlight.size > 0 ? stop.next() : Promise.race([host.whenReady(), stop.next()]))
        continue
      }
      const chunk = chunks.length
      chunks.push(EMPTY)
      next += held.length
      held = undefined
      inFlight.add(future)
      const submittedAt = sizes.submitted()
      future._onDone((done) => {
        inFlight.delete(done)
        if (done._fulfilled()) {
          const values = done._value()
          sizes.completed(values.length, submittedAt)
          chunks[chunk] = values
          if (onProgress) {
            finished += values.length
            const now = performance.now()
            // (the final call, with done === total, is made once below)
            if (now - reportedAt >= PROGRESS_INTERVAL_MS && finished !== total) {
              reportedAt = now
              report()
            }
          }
          stop.progress()
        } else {
          stop.fail(done._error())
        }
      })
    }
    while (inFlight.size > 0 && stop.error === undefined) await stop.next()
    if (onProgress && stop.error === undefined) {
      total = next
      report()
    }
    if (stop.error !== undefined) throw stop.error.reason
    return joined(chunks) as R[]
  } finally {
    stop.dispose()
    for (const future of inFlight) stop.halted ? host.halt(future) : future.cancel()
  }
}
