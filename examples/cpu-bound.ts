/**
 * CPU-bound work: one task, then ten, with `submit` and `await`.
 *
 * `kernels.spin` is a tight native loop (about 1 ns per iteration). Native kernels run on the
 * pool's threads, so the ten tasks use every core while the JavaScript thread stays free.
 *
 *   npm run build:examples && node examples/cpu-bound.js
 */
import { Executor, kernels } from 'ferris-executor'

const executor = new Executor() // one worker per core (os.availableParallelism())
try {
  // submit() returns a Future at once; awaiting it gives the result.
  const one = executor.submit(kernels.spin, [20_000_000])
  console.log(`one task: checksum ${await one}`)

  // Ten at once: up to maxWorkers of them run in parallel, the rest wait in the queue.
  const started = performance.now()
  const futures = Array.from({ length: 10 }, (_, i) => executor.submit(kernels.spin, [10_000_000 + i]))
  const checksums = await Promise.all(futures)
  const ms = performance.now() - started
  console.log(`ten tasks on ${executor.maxWorkers} workers in ${ms.toFixed(0)} ms, ${new Set(checksums).size} distinct checksums`)
} finally {
  await executor.shutdown()
}
