/**
 * async/await: the executor inside an async application. A request handler reads a file and
 * runs a CPU-heavy kernel at the same time with `Promise.all` (a Future is awaitable and mixes
 * with promises), then runs an async JavaScript task. Timers keep firing while kernels run,
 * because kernels run on the pool's threads, not on the event loop.
 *
 *   npm run build:examples && node examples/async-await.js
 */
import { readFile } from 'node:fs/promises'

import { Executor, kernels } from 'ferris-executor'

const executor = new Executor()

async function handle(requestId: number): Promise<string> {
  const [manifest, checksum] = await Promise.all([
    readFile(new URL('../package.json', import.meta.url), 'utf8'), // I/O on libuv's threads
    executor.submit(kernels.spin, [30_000_000 + requestId]), // CPU on the pool's threads
  ])
  // An async JavaScript task holds one of maxWorkers slots until its promise settles.
  const name = await executor.submit(async (text: string) => {
    await new Promise((r) => setTimeout(r, 5)) // e.g. a lookup
    return (JSON.parse(text) as { name: string }).name
  }, [manifest])
  return `request ${requestId}: ${name}, checksum ${checksum % 1000}`
}

try {
  let ticks = 0
  const ticker = setInterval(() => ticks++, 10)
  const started = performance.now()
  const responses = await Promise.all([1, 2, 3, 4, 5, 6].map(handle))
  clearInterval(ticker)
  for (const response of responses) console.log(response)
  const ms = performance.now() - started
  console.log(`${responses.length} requests in ${ms.toFixed(0)} ms; a 10 ms timer fired ${ticks} times meanwhile (event loop free)`)
} finally {
  await executor.shutdown()
}
