/**
 * Pipeline: a two-stage pipeline over a stream of items with `imap`, then the same inside
 * `stream.pipeline` with backpressure.
 *
 * Stage 1, a JavaScript function, parses text lines into arrays of numbers; stage 2, a native
 * kernel, reduces each array. `imap` reads its source only as results are consumed, so an
 * endless or huge source runs in bounded memory. In `stream.pipeline`, `Readable.from()` pulls
 * from `imap` only while the writer keeps up: the slow writer below holds the source back.
 *
 *   npm run build:examples && node examples/pipeline.js
 */
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { Executor, kernels } from 'ferris-executor'

const executor = new Executor()

/** An endless source of text lines, e.g. a socket or a log being tailed. */
let linesRead = 0
function* lines(): Generator<string> {
  for (let i = 0; ; i++) {
    linesRead++
    yield Array.from({ length: 100 }, (_, j) => ((i + j) % 10) / 10).join(',')
  }
}

const parse = (line: string): Float64Array => Float64Array.from(line.split(','), Number)

try {
  // 1. Two chained imaps: parsing and reducing run concurrently, in input order.
  const parsed = executor.imap(parse, lines(), { concurrency: 8 })
  const sums = executor.imap(kernels.sumOfSquares, parsed, { concurrency: 8 })
  let n = 0
  for await (const sum of sums) {
    if (n < 3) console.log(`line ${n}: sum of squares ${sum.toFixed(2)}`)
    if (++n === 1000) break // leaving the loop cancels queued tasks and closes both imaps and the source
  }
  console.log(`imap: ${n} results consumed, ${linesRead} lines read from an endless source`)

  // 2. Inside stream.pipeline, with a writer that takes one item per millisecond.
  linesRead = 0
  let written = 0
  let maxAhead = 0
  const format = new Transform({
    objectMode: true,
    highWaterMark: 4,
    transform(sum: number, _encoding, callback) {
      callback(null, `${sum.toFixed(2)}\n`)
    },
  })
  const slowWriter = new Writable({
    objectMode: true,
    highWaterMark: 4,
    write(_text: string, _encoding, callback) {
      written++
      maxAhead = Math.max(maxAhead, linesRead - written)
      setTimeout(callback, 1)
    },
  })
  // How far the source can run ahead: each imap holds `concurrency` tasks (default 2 x
  // maxWorkers) of `chunkSize` items (a kernel over a stream takes 16 per task by default),
  // plus what the streams buffer (their highWaterMarks).
  const source = Readable.from(executor.imap(kernels.sumOfSquares, executor.imap(parse, lines())), { highWaterMark: 4 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 500)
  await pipeline(source, format, slowWriter, { signal: controller.signal }).catch((error: Error) => {
    if (error.name !== 'AbortError') throw error
  })
  console.log(`pipeline: ${written} written in 500 ms; the source was never more than ${maxAhead} lines ahead of the writer`)
} finally {
  await executor.shutdown()
}
