/**
 * CPU-bound JavaScript: one task, then ten, with `submit` and `await`, run three ways.
 *
 * `cpuIntensiveTask` is an ordinary JavaScript function. Called in a loop, or submitted as a
 * plain function (which the executor calls on the main thread), ten calls run one after
 * another and block the event loop: same time. Wrapped in `workerTask`, the same function
 * runs on worker threads, `maxWorkers` calls at a time, while the main thread stays free:
 * the ten calls take about 1 / cores of the time.
 *
 *   npm run build:examples && node examples/cpu-bound.js
 */
import { isDeepStrictEqual } from 'node:util'

import { Executor, workerTask } from 'ferris-executor'

/** Sums the integers below `n` million, the long way (PyFerris's `cpu_intensive_task`). */
function cpuIntensiveTask(n: number): number {
  let result = 0
  for (let i = 0; i < n * 1_000_000; i++) result += i
  return result
}

// The function is self-contained (it uses nothing from around it), so its source can be
// sent to the workers: each compiles it once.
const onWorkers = workerTask(cpuIntensiveTask)

async function timed<T>(label: string, run: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  await run() // warm up: each thread compiles the function the first time it calls it
  const start = performance.now()
  const result = await run()
  const ms = performance.now() - start
  console.log(`${label.padEnd(36)} 10 calls in ${ms.toFixed(0).padStart(4)} ms`)
  return { result, ms }
}

const executor = new Executor() // one slot per core (os.availableParallelism()), as many worker threads
try {
  await executor.startWorkers() // optional: boot the worker threads now rather than on first use

  // submit() returns a Future at once; awaiting it gives the result.
  const one = executor.submit(onWorkers, [100])
  console.log(`one task: cpuIntensiveTask(100) = ${await one}`)

  const inputs = Array.from({ length: 10 }, (_, i) => 10 + i)
  const loop = await timed('main thread, a plain loop:', () => inputs.map(cpuIntensiveTask))
  const main = await timed('main thread, through the executor:', () => Promise.all(inputs.map((n) => executor.submit(cpuIntensiveTask, [n]))))
  const workers = await timed(`worker tasks, ${executor.maxWorkers} workers:`, () => Promise.all(inputs.map((n) => executor.submit(onWorkers, [n]))))
  console.log(`speedup of worker tasks over the plain loop: ${(loop.ms / workers.ms).toFixed(2)}x (the executor on the main thread: ${(loop.ms / main.ms).toFixed(2)}x)`)
  console.log(`results agree: ${isDeepStrictEqual(loop.result, main.result) && isDeepStrictEqual(loop.result, workers.result)}`)
} finally {
  await executor.shutdown()
}
