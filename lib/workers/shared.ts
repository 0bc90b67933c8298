/**
 * The registries of shared buffers that let typed arrays over a SharedArrayBuffer travel as
 * references (`codec.ts`). The main thread names each buffer it sends once, and posts the
 * buffer itself to every worker (at once, and to workers spawned later): a `postMessage` is
 * queued on the worker's port before the task that needs the buffer is even submitted, so a
 * worker finds it there, synchronously (`receiveMessageOnPort`), when it decodes the task. A
 * buffer the main thread lets go of is forgotten by the workers too.
 */
import type { MessagePort } from 'node:worker_threads'

import type { SharedBuffers } from './codec.js'
import { workerThreads } from '../worker-threads.js'

/** What the main thread posts about shared buffers. */
export type SharedMessage = { share: number; buffer: SharedArrayBuffer } | { forget: number }

export function isSharedMessage(message: unknown): message is SharedMessage {
  return typeof message === 'object' && message !== null && ('share' in message || 'forget' in message)
}

/** The main thread's registry: it names buffers and tells the workers (`post` reaches every live worker). */
export class MainSharedBuffers implements SharedBuffers {
  readonly #ids = new WeakMap<SharedArrayBuffer, number>()
  readonly #buffers = new Map<number, WeakRef<SharedArrayBuffer>>()
  readonly #gone: FinalizationRegistry<number>
  readonly #post: (message: SharedMessage) => void
  #next = 1

  constructor(post: (message: SharedMessage) => void) {
    this.#post = post
    this.#gone = new FinalizationRegistry((id) => {
      this.#buffers.delete(id)
      this.#post({ forget: id })
    })
  }

  idOf(buffer: SharedArrayBuffer): number {
    let id = this.#ids.get(buffer)
    if (id === undefined) {
      id = this.#next++
      this.#ids.set(buffer, id)
      this.#buffers.set(id, new WeakRef(buffer))
      this.#gone.register(buffer, id)
      this.#post({ share: id, buffer })
    }
    return id
  }

  bufferOf(id: number): SharedArrayBuffer {
    const buffer = this.#buffers.get(id)?.deref()
    if (buffer === undefined) throw new Error(`a worker task's result refers to shared buffer ${id}, which is gone`)
    return buffer
  }

  /** Every buffer still named, for a worker spawned now. */
  *live(): Iterable<SharedMessage> {
    for (const [id, ref] of this.#buffers) {
      const buffer = ref.deref()
      if (buffer !== undefined) yield { share: id, buffer }
    }
  }
}

/**
 * A worker's registry: the buffers the main thread posted. A message of another kind met while
 * looking for a buffer can only be a stale answer (arguments for a task this worker no longer
 * runs): it is dropped.
 */
export class WorkerSharedBuffers implements SharedBuffers {
  readonly #buffers = new Map<number, SharedArrayBuffer>()
  readonly #ids = new WeakMap<SharedArrayBuffer, number>()
  readonly #port: MessagePort

  constructor(port: MessagePort) {
    this.#port = port
  }

  /** Handles a message from the main thread; false if it was not about shared buffers. */
  take(message: unknown): boolean {
    if (!isSharedMessage(message)) return false
    if ('share' in message) {
      this.#buffers.set(message.share, message.buffer)
      this.#ids.set(message.buffer, message.share)
    } else {
      const buffer = this.#buffers.get(message.forget)
      if (buffer !== undefined) this.#ids.delete(buffer)
      this.#buffers.delete(message.forget)
    }
    return true
  }

  idOf(buffer: SharedArrayBuffer): number | undefined {
    return this.#ids.get(buffer)
  }

  bufferOf(id: number): SharedArrayBuffer {
    for (;;) {
      const buffer = this.#buffers.get(id)
      if (buffer !== undefined) return buffer
      const received = workerThreads().receiveMessageOnPort(this.#port)
      if (received === undefined) throw new Error(`shared buffer ${id} never reached this worker`)
      this.take(received.message)
    }
  }
}
