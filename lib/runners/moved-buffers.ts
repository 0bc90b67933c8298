/**
 * `MovedBuffers`: the buffers a kernel's `submit` moves to it (its `transfer` list), kept out
 * of the caller's hands without a new `ArrayBuffer`.
 *
 * The kernel reads them in place, so their memory must stay where it is, and away from the
 * caller, until the kernel is done. A `structuredClone` with a transfer list did that, at a
 * price: detaching a buffer lowers V8's external-memory limit by its size, and the clone's new
 * `ArrayBuffer` over the same memory counts against that limit again, so moving two 32 MB
 * arrays left the isolate at its limit and the next allocation, within the same `submit`,
 * started a garbage collection ("external memory pressure": scavenges, a concurrent mark, a
 * mark-compact) that held the main thread and a core for several milliseconds: `dot` of 4M
 * doubles with `transfer` took 3.7x its time on shared arrays.
 *
 * Protocol:
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
 *    `destroy()`'s, which disposes of the pool (joining its threads) in the same call.
 *
 * A buffer Node cannot detach (one marked untransferable, such as the pool behind small
 * `Buffer`s, or a WebAssembly memory's) is left attached by `postMessage`, without an error:
 * it stays with the caller and the kernel reads it in place, like a shared one.
 */
export class MovedBuffers {
  readonly #buffers: ReadonlySet<ArrayBuffer>
  #channel: InstanceType<typeof MessageChannel> | undefined

  /** Checks the `transfer` list of a kernel's `submit`; nothing is detached yet. */
  constructor(transfer: readonly ArrayBuffer[]) {
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
    this.#buffers = buffers
  }

  /** Whether an array over `buffer` is moved to the task, and so read in place. */
  has(buffer: ArrayBufferLike): boolean {
    return this.#buffers.has(buffer as ArrayBuffer)
  }

  /** Detaches the buffers from the caller, keeping their memory (step 2); once the pool holds the task. */
  park(): void {
    if (this.#channel !== undefined) return
    this.#channel = new MessageChannel()
    this.#channel.port1.postMessage(null, [...this.#buffers])
  }

  /** Frees the memory once the task has settled (step 3). */
  release(): void {
    this.#channel?.port1.close()
    this.#channel?.port2.close()
    this.#channel = undefined
  }
}
