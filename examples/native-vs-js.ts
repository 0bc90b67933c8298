/**
 * Native vs JS: the same computation, a sum of squares over 8 million numbers, as a
 * JavaScript function and as the native `sumOfSquares` kernel, timed.
 *
 * JavaScript tasks run on the JavaScript thread: mapping a JS function over chunks gives no
 * CPU parallelism (it is about as fast as one plain loop). A native kernel runs on the pool's
 * threads: mapped over chunks of a SharedArrayBuffer, which it reads in place, it uses every
 * core. Timings vary with the machine; the results agree to rounding.
 *
 *   npm run build:examples && node examples/native-vs-js.js
 */
import { Executor, kernels } from 'ferris-executor'

const N = 8_000_000
const data = new Float64Array(new SharedArrayBuffer(8 * N))
for (let i = 0; i < N; i++) data[i] = (i % 1000) / 1000

function sumOfSquares(values: Float64Array): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!
  return sum
}

async function timed<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  await fn() // warm up (JIT, threads)
  const start = performance.now()
  const result = await fn()
  console.log(`${label.padEnd(44)} ${(performance.now() - start).toFixed(1).padStart(7)} ms`)
  return result
}

const executor = new Executor()
try {
  const pieces = executor.maxWorkers * 4
  const chunks = Array.from({ length: pieces }, (_, i) => data.subarray(Math.floor((i * N) / pieces), Math.floor(((i + 1) * N) / pieces)))
  const total = (sums: number[]): number => sums.reduce((a, b) => a + b, 0)
  const results = [
    await timed('plain JS loop, no executor', () => sumOfSquares(data)),
    await timed('JS function over chunks (map)', async () => total(await executor.map(sumOfSquares, chunks))),
    await timed('native kernel, one task', () => executor.submit(kernels.sumOfSquares, [data])),
    await timed(`native kernel over chunks (map, ${executor.maxWorkers} workers)`, async () =>
      total(await executor.map(kernels.sumOfSquares, chunks)),
    ),
  ]
  const agree = results.every((r) => Math.abs(r - results[0]!) <= 1e-9 * Math.abs(results[0]!))
  console.log(`results agree: ${agree} (${results[0]!.toFixed(3)})`)
} finally {
  await executor.shutdown()
}
