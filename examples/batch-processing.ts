/**
 * Batch processing: a large data set in chunks through `map`, with progress reports.
 *
 * Two million readings live in one SharedArrayBuffer; `map` runs the native `sumOfSquares`
 * kernel over views of 16 chunks of it, in parallel and without copying. Then a JavaScript
 * function validates 10 000 records, 500 per task (`chunkSize`), reporting progress.
 *
 *   npm run build:examples && node examples/batch-processing.js
 */
import { Executor, kernels } from 'ferris-executor'

const executor = new Executor()
try {
  const readings = new Float64Array(new SharedArrayBuffer(8 * 2_000_000))
  for (let i = 0; i < readings.length; i++) readings[i] = Math.sin(i / 1000)

  // Views over the shared buffer: each task reads its chunk in place.
  const CHUNKS = 16
  const size = readings.length / CHUNKS
  const chunks = Array.from({ length: CHUNKS }, (_, i) => readings.subarray(i * size, (i + 1) * size))
  const sums = await executor.map(kernels.sumOfSquares, chunks)
  const rms = Math.sqrt(sums.reduce((a, b) => a + b, 0) / readings.length)
  console.log(`rms of ${readings.length} readings in ${CHUNKS} chunks: ${rms.toFixed(6)}`)

  // A JavaScript function over records, 500 per task. onProgress is called at most every
  // 100 ms, and once at the end with done === total.
  const records = Array.from({ length: 10_000 }, (_, id) => ({ id, email: id % 97 === 0 ? 'broken' : `user${id}@example.com` }))
  const valid = await executor.map((record: { id: number; email: string }) => record.email.includes('@'), records, {
    chunkSize: 500,
    onProgress: (done, total) => console.log(`validated ${done}/${total}`),
  })
  console.log(`records: ${valid.filter(Boolean).length} valid, ${valid.filter((v) => !v).length} invalid`)
} finally {
  await executor.shutdown()
}
