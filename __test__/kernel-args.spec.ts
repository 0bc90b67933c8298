/** Bad kernel arguments are refused cleanly: TypeError/RangeError at submission, else KernelError. */
import test from 'ava'

import { KernelError, kernels, type Kernel } from '../index.js'
import { setup } from './helpers.js'

type AnyKernel = Kernel

/** Arguments of the wrong type or out of range for their parameter kind: refused synchronously. */
const refusedAtSubmission: Array<[string, AnyKernel, unknown[], typeof TypeError | typeof RangeError]> = [
  ['dot: a string for an array', kernels.dot, ['x', new Float64Array(1)], TypeError],
  ['dot: a plain array', kernels.dot, [[1, 2], new Float64Array(2)], TypeError],
  ['dot: a Float32Array', kernels.dot, [new Float32Array(2), new Float64Array(2)], TypeError],
  ['dot: one argument', kernels.dot, [new Float64Array(2)], TypeError],
  ['matmul: NaN size', kernels.matmul, [new Float64Array(1), new Float64Array(1), NaN], RangeError],
  ['matmul: negative size', kernels.matmul, [new Float64Array(1), new Float64Array(1), -1], RangeError],
  ['matmul: fractional size', kernels.matmul, [new Float64Array(1), new Float64Array(1), 1.5], RangeError],
  ['mandelbrot: Infinity width', kernels.mandelbrot, [Infinity, 10, 10], RangeError],
  ['mandelbrot: a string height', kernels.mandelbrot, [10, '10', 10], TypeError],
  ['mandelbrot: six arguments', kernels.mandelbrot, [1, 1, 1, 0, 1, 1], TypeError],
  ['mandelbrot: two arguments', kernels.mandelbrot, [1, 1], TypeError],
  ['primeCount: negative lo', kernels.primeCount, [-5, 10], RangeError],
  ['primeCount: hi beyond 2^53', kernels.primeCount, [0, 2 ** 60], RangeError],
  ['sort: a Uint8Array', kernels.sort, [new Uint8Array(4)], TypeError],
  ['fib: a bigint', kernels.fib, [10n], TypeError],
  ['monteCarloPi: NaN seed', kernels.monteCarloPi, [10, NaN], RangeError],
  ['histogram: NaN min', kernels.histogram, [new Float64Array(1), 4, NaN, 1], RangeError],
  ['histogram: -Infinity min', kernels.histogram, [new Float64Array(1), 4, -Infinity, 1], RangeError],
  ['sha256: a string', kernels.sha256, ['abc'], TypeError],
  ['sha256: an ArrayBuffer', kernels.sha256, [new ArrayBuffer(4)], TypeError],
]

for (const [name, kernel, args, ErrorClass] of refusedAtSubmission) {
  test(`refused at submission: ${name}`, (t) => {
    const { executor } = setup(t, { maxWorkers: 1 })
    t.throws(() => executor.submit(kernel, args), { instanceOf: ErrorClass })
  })
}

/** Well-typed arguments whose values the kernel refuses: the future rejects with KernelError. */
const refusedByTheKernel: Array<[string, AnyKernel, unknown[], RegExp]> = [
  ['dot: lengths differ', kernels.dot, [new Float64Array(3), new Float64Array(4)], /differ in length/],
  ['matmul: length is not n²', kernels.matmul, [new Float64Array(4), new Float64Array(4), 3], /has 4 elements/],
  ['matmul: a terabyte-sized result', kernels.matmul, [new Float64Array(0), new Float64Array(0), 2 ** 26], /more than/],
  ['mandelbrot: a 10^18-pixel picture', kernels.mandelbrot, [1e9, 1e9, 10], /more than/],
  ['mandelbrot: rowStart after rowEnd', kernels.mandelbrot, [4, 4, 10, 3, 2], /rows/],
  ['mandelbrot: rowEnd beyond height', kernels.mandelbrot, [4, 4, 10, 0, 5], /rows/],
  ['mandelbrot: absurd maxIter', kernels.mandelbrot, [4, 4, 2 ** 40], /maxIter/],
  ['primeCount: lo above hi', kernels.primeCount, [10, 5], /above/],
  ['fib: beyond exact doubles', kernels.fib, [79], /above 78/],
  ['monteCarloPi: no samples', kernels.monteCarloPi, [0, 1], /samples/],
  ['monteCarloPi: 2^50 samples', kernels.monteCarloPi, [2 ** 50, 1], /samples/],
  ['histogram: no bins', kernels.histogram, [new Float64Array(1), 0, 0, 1], /bins/],
  ['histogram: 2^40 bins', kernels.histogram, [new Float64Array(1), 2 ** 40, 0, 1], /bins/],
  ['histogram: min equals max', kernels.histogram, [new Float64Array(1), 4, 1, 1], /below max/],
  ['histogram: infinite width', kernels.histogram, [new Float64Array(1), 4, -1e308, 1e308], /finite width/],
]

for (const [name, kernel, args, message] of refusedByTheKernel) {
  test(`rejected by the kernel: ${name}`, async (t) => {
    const { executor } = setup(t, { maxWorkers: 1 })
    const error = await t.throwsAsync(executor.submit(kernel, args), { instanceOf: KernelError })
    t.regex(error!.message, message)
    t.is(error!.code, 'ERR_KERNEL')
    // The executor keeps working.
    t.is(await executor.submit(kernels.fib, [10]), 55)
  })
}

test('zero-length and subarray inputs are fine, and a detached array is refused with TypeError', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  t.is(await executor.submit(kernels.dot, [new Float64Array(0), new Float64Array(0)]), 0)
  t.deepEqual(await executor.submit(kernels.histogram, [new Float64Array(0), 3, 0, 1]), new Uint32Array(3))
  const whole = Float64Array.from([1, 2, 3, 4, 5, 6])
  t.is(await executor.submit(kernels.dot, [whole.subarray(1, 3), whole.subarray(4, 6)]), 2 * 5 + 3 * 6)
  const detached = new Float64Array(8)
  structuredClone(detached.buffer, { transfer: [detached.buffer] })
  t.is(detached.length, 0)
  t.throws(() => executor.submit(kernels.sumOfSquares, [detached]), { instanceOf: TypeError, message: /detached/ })
  await t.throwsAsync(executor.map(kernels.sumOfSquares, [detached]), { instanceOf: TypeError, message: /detached/ })
  t.is(await executor.submit(kernels.sumOfSquares, [new Float64Array(new ArrayBuffer(0))]), 0, 'an empty buffer is fine')
})
