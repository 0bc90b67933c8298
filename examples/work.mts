/**
 * The module of `worker-tasks.ts`'s module tasks: each worker thread imports it once, and
 * `workerTask(new URL('./work.mjs', import.meta.url), 'name')` calls one of its exports there.
 * A module may import anything (here `node:crypto`) and keep state per worker; the caller
 * imports only its types (`import type * as Work from './work.mjs'`).
 */
import { createHash } from 'node:crypto'

import { progress, transfer, type Transfer } from 'ferris-executor/worker'

/** The SHA-256 of `text` repeated `times` times, in hex: CPU work that needs an import. */
export function digest(text: string, times: number): string {
  const hash = createHash('sha256')
  for (let i = 0; i < times; i++) hash.update(text)
  return hash.digest('hex')
}

/**
 * Inverts 8-bit grey pixels in place and moves them back: the caller transfers the buffer in,
 * `transfer` moves it out, so nothing is copied either way.
 */
export function invert(pixels: Uint8Array<ArrayBuffer>): Transfer<Uint8Array<ArrayBuffer>> {
  for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - pixels[i]!
  return transfer(pixels, [pixels.buffer])
}

/** Fills `out[from..to)` with squares: workers write into a shared buffer the caller reads. */
export function squaresInto(out: Float64Array, from: number, to: number): number {
  for (let i = from; i < to; i++) out[i] = i * i
  return to - from
}

/** Counts the primes below `limit`, reporting the percentage done (`progress`) to the caller's `onProgress`. */
export function countPrimes(limit: number): number {
  let count = 0
  for (let n = 2; n < limit; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
    if (n % (limit / 10) === 0) progress((100 * n) / limit)
  }
  return count
}

/** Module state: the tasks this module has run in this worker (a new worker starts from 1). */
let runs = 0
export function runsHere(): number {
  return ++runs
}
