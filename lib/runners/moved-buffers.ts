/**
 * `moveArgs`: the buffers a kernel's `submit` moves to it (its `transfer` list), taken out of
 * the caller's hands, on the main thread without a new `ArrayBuffer`.
 *
 * The kernel reads them in place, so their memory must stay where it is, and away from the
 * caller, until the kernel is done. A `structuredClone` of the arguments with a transfer list
 * does that, at a price: detaching a buffer lowers V8's external-memory limit by its size, and
 * the clone's new `ArrayBuffer` over the same memory counts against that limit again, so moving
 * two 32 MB arrays left the isolate at its limit and the next allocation, within the same
 * `submit`, started a garbage collection ("external memory pressure": scavenges, a concurrent
 * mark, a mark-compact) that held the main thread and a core for several milliseconds: `dot`
 * of 4M doubles with `transfer` took 3.1-3.7x its time on shared arrays.
 *
 * Protocol on the main thread (parking):
 * 1. At `submit`, the list is checked (`TypeError` for a buffer listed twice or already
 *    detached) and the task goes to the pool at once, which takes the addresses of its arrays
 *    over these buffers (read in place, not copied: see `src/wire/args.rs`).
 * 2. Right after (`park`), still within `submit`, the buffers are posted to a `MessageChannel`
 *    whose receiving port is never started: that detaches them in the caller, and the queued
 *    message keeps their memory alive, unmoved, where V8 no longer counts it. No `ArrayBuffer`
 *    is created.
 * 3. When the task settles (`release`), both ports are closed. The message, and the memory,
 *    are freed when the ports' handles close, on a later turn of the event loop: after the
 *    kernel has returned, since the only settlement that comes before a kernel returns is
 *    `destroy()`'s, which disposes of the pool (joining its threads) in the same call. The
 *    main thread's environment is not torn down while a kernel runs: pending work keeps the
 *    process alive, and `process.exit()` and fatal errors end it without closing handles.
 *
 * In a worker thread the arguments are cloned instead: terminating the worker closes every
 * handle of its environment, the ports included, before the addon's cleanup hook stops the
 * pool, so a kernel still running read freed memory (a segfault, reproduced by terminating
 * workers with a 512 MB `sumOfSquares` under way). The clone's buffers live as long as the
 * worker's V8 heap, which is disposed of after that hook.
 *
 * A buffer Node cannot detach (one marked untransferable, such as the pool behind small
 * `Buffer`s, or a WebAssembly memory's) is left attached by `postMessage`, without an error:
 * it stays with the caller and the kernel reads it in place, like a shared one.
 */
import { workerThreads } from '../worker-threads.js'

/** The buffers moved to one kernel task. */
export interface MovedBuffers {
  /** Whether an array over `buffer` is private to the task, and so read in place. */
  has(buffer: ArrayBufferLike): boolean
  /** Detaches the buffers from the caller (step 2); once the pool holds the task's arguments. */
  park(): void
  /** Frees what `park` kept, once the task has settled (step 3). */
  release(): void
}

/** The arguments the task keeps, and what was moved, for `submit(kernel, args, { transfer })`. */
export function moveArgs(args: readonly unknown[], transfer: readonly ArrayBuffer[]): { args: readonly unknown[]; moved: MovedBuffers } {
  const buffers = checkTransfer(transfer)
  if (workerThreads().isMainThread) return { args, moved: new ParkedBuffers(buffers) }
  try {
    // Every ordinary buffer in the clone is the task's: the listed ones moved, the others copied.
    return { args: structuredClone(args, { transfer: [...buffers] }), moved: CLONED }
  } catch (cause) {
    throw new TypeError('submit: transfer lists a buffer that cannot be moved', { cause })
  }
}

/** The list as a set; `TypeError` for a buffer listed twice or already detached, before anything is detached. */
function checkTransfer(transfer: readonly ArrayBuffer[]): ReadonlySet<ArrayBuffer> {
  const buffers = new Set<ArrayBuffer>()
  for (const buffer of transfer) {
    if (buffers.has(buffer)) {
      const cause = new DOMException('Transfer list contains duplicate ArrayBuffer', 'DataCloneError')
      throw new TypeError('submit: transfer lists a buffer that cannot be moved (one listed twice, for instance)', { cause })
    }
    try {
      new Uint8Array(buffer) // throws for a detached buffer
    } catch (cause) {
      throw new TypeError('submit: transfer lists a buffer that was already detached (transferred)', { cause })
    }
    buffers.add(buffer)
  }
  return buffers
}

/** Buffers parked in an undelivered message (the main thread's protocol above). */
class ParkedBuffers implements MovedBuffers {
  readonly #buffers: ReadonlySet<ArrayBuffer>
  #channel: InstanceType<typeof MessageChannel> | undefined

  constructor(buffers: ReadonlySet<ArrayBuffer>) {
    this.#buffers = buffers
  }

  has(buffer: ArrayBufferLike): boolean {
    return this.#buffers.has(buffer as ArrayBuffer)
  }

  park(): void {
    if (this.#channel !== undefined) return
    this.#channel = new MessageChannel()
    this.#channel.port1.postMessage(null, [...this.#buffers])
  }

  release(): void {
    this.#channel?.port1.close()
    this.#channel?.port2.close()
    this.#channel = undefined
  }
}

/** Arguments cloned at `submit` (a worker thread): their ordinary buffers are the task's alone. */
const CLONED: MovedBuffers = {
  has: () => true,
  park: () => {},
  release: () => {},
}
