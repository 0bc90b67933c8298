/**
 * Native vs JS: the same computation, a 600 x 400 Mandelbrot picture with up to 300 steps per
 * pixel, as a JavaScript function and as the native `mandelbrot` kernel, timed.
 *
 * JavaScript tasks run on the JavaScript thread: mapping a JS function over bands of rows
 * gives no CPU parallelism (it is about as fast as one plain loop). A native kernel runs on the
 * pool's threads: one call already splits its rows over every worker, and `map` over bands
 * does the same from the outside. The counts are identical: the kernel does the arithmetic in
 * the same order as the JS function.
 *
 *   npm run build:examples && node examples/native-vs-js.js
 */
import { isDeepStrictEqual } from 'node:util'

import { Executor, kernels } from 'ferris-executor'

const [WIDTH, HEIGHT, MAX_ITER] = [600, 400, 300]

/** Escape counts of rows `rowStart` to `rowEnd`, as `kernels.mandelbrot` defines them. */
function mandelbrot(rowStart: number, rowEnd: number): Uint32Array {
  const counts = new Uint32Array(WIDTH * (rowEnd - rowStart))
  let o = 0
  for (let py = rowStart; py < rowEnd; py++) {
    const ci = -1.5 + ((py + 0.5) * 3) / HEIGHT
    for (let px = 0; px < WIDTH; px++) {
      const cr = -2 + ((px + 0.5) * 3) / WIDTH
      let [zr, zi, n] = [0, 0, 0]
      while (n < MAX_ITER) {
        const nextZr = zr * zr - zi * zi + cr
        zi = 2 * zr * zi + ci
        zr = nextZr
        n++
        if (zr * zr + zi * zi > 4) break
      }
      counts[o++] = n
    }
  }
  return counts
}

function joined(bands: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(WIDTH * HEIGHT)
  let offset = 0
  for (const band of bands) {
    out.set(band, offset)
    offset += band.length
  }
  return out
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
  const bandCount = executor.maxWorkers * 8
  const bands = Array.from({ length: bandCount }, (_, i) => [Math.floor((i * HEIGHT) / bandCount), Math.floor(((i + 1) * HEIGHT) / bandCount)] as const)
  const results = [
    await timed('plain JS loop, no executor', () => mandelbrot(0, HEIGHT)),
    await timed('JS function over bands (map)', async () => joined(await executor.map(([a, b]) => mandelbrot(a, b), bands))),
    await timed(`native kernel, one task (${executor.maxWorkers} workers)`, () =>
      executor.submit(kernels.mandelbrot, [WIDTH, HEIGHT, MAX_ITER]),
    ),
    await timed(`native kernel over bands (map, ${executor.maxWorkers} workers)`, async () =>
      joined(await executor.map(kernels.mandelbrot, bands.map(([a, b]): [number, number, number, number, number] => [WIDTH, HEIGHT, MAX_ITER, a, b]))),
    ),
  ]
  console.log(`results agree: ${results.every((r) => isDeepStrictEqual(r, results[0]))} (${results[0]!.length} pixels)`)
} finally {
  await executor.shutdown()
}
