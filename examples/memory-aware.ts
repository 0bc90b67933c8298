/**
 * Memory-aware submission: with the `memoryLimit` option (bytes of resident memory), `await
 * executor.ready()` holds a producer back while the process uses more than that, or while
 * the queue is full; `map` and `imap` wait on it by themselves.
 *
 * Each block below is 40 MiB of numbers. Submitting an ordinary (non-shared) Float64Array to a
 * kernel copies it, and the copy is freed when the kernel is done. The pool is busy for the
 * first 300 ms, so without the limit all 12 copies (480 MiB) would pile up in the queue.
 *
 *   npm run build:examples && node examples/memory-aware.js
 */
import { Executor, kernels, type Future } from 'ferris-executor'

const MiB = 2 ** 20
const block = new Float64Array((40 * MiB) / 8).fill(0.5) // one buffer, refilled by the "reader"
const probe = new Executor({ maxWorkers: 1 })
const baseline = probe.getMemoryUsage()
await probe.shutdown()

const limit = baseline + 120 * MiB
const executor = new Executor({ maxWorkers: 1, memoryLimit: limit })
try {
  executor.submit(kernels.sleep, [300]) // the pool is busy with something else first
  let waits = 0
  let peak = 0
  const results: Future<number>[] = []
  for (let i = 0; i < 12; i++) {
    const before = performance.now()
    await executor.ready() // resolves once RSS < memoryLimit and the queue has room
    if (performance.now() - before > 5) waits++
    peak = Math.max(peak, executor.getMemoryUsage())
    block[0] = i // "read" the next block into the buffer
    results.push(executor.submit(kernels.sumOfSquares, [block])) // copied here, freed when done
  }
  const sums = await Promise.all(results)
  console.log(`${sums.length} blocks of 40 MiB processed; the producer waited for memory ${waits} times`)
  console.log(`peak RSS ${((peak - baseline) / MiB).toFixed(0)} MiB above the baseline (limit: baseline + 120 MiB, plus the checks' granularity)`)
} finally {
  await executor.shutdown()
}
