/**
 * The kernels with a SIMD version give the same results on the scalar path: one process is
 * forced onto it (`FERRIS_KERNELS_SCALAR=1`), another picks the best the CPU offers, and their
 * outputs are compared (bit for bit, and matmul against the textbook product). On a CPU
 * without AVX2 and FMA both are scalar and only the forcing is checked.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import test from 'ava'

const script = fileURLToPath(new URL('./fixtures/kernel-outputs.mjs', import.meta.url))

interface Outputs {
  isa: string
  mandelbrot: number[]
  dot: string
  sumOfSquares: string
  monteCarloPi: string
  histogram: number[]
  /** matmul's largest relative difference from the textbook product. */
  matmulWorst: number
}

function outputs(forceScalar: boolean): Promise<Outputs> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  if (forceScalar) env.FERRIS_KERNELS_SCALAR = '1'
  else delete env.FERRIS_KERNELS_SCALAR
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`, { cause: error }))
      else resolve(JSON.parse(stdout) as Outputs)
    })
  })
}

test('every SIMD kernel gives the scalar path\'s results, and mandelbrot\'s counts stay exact', async (t) => {
  const [scalar, best] = await Promise.all([outputs(true), outputs(false)])
  t.is(scalar.isa, 'scalar', 'FERRIS_KERNELS_SCALAR=1 did not force the scalar path')
  t.log(`compared scalar with ${best.isa}`)
  t.deepEqual(best.mandelbrot, scalar.mandelbrot)
  t.true(new Set(scalar.mandelbrot).size > 50, 'the picture has many distinct counts')
  for (const key of ['dot', 'sumOfSquares', 'monteCarloPi'] as const) t.is(best[key], scalar[key], key)
  t.deepEqual(best.histogram, scalar.histogram)
  for (const { isa, matmulWorst } of [scalar, best]) {
    t.true(matmulWorst < 1e-9, `matmul on ${isa} is off the textbook product by ${matmulWorst}`)
  }
})
