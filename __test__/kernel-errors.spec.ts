/**
 * A kernel's failure names the kernel once (issue [room] bug 7: `dot: dot: the arrays differ
 * in length`): the kernels' messages leave the name out and `KernelError` puts it in front.
 * One failing call per way each built-in kernel can fail after its arguments were accepted.
 */
import test from 'ava'

import { KernelError, KernelPanicError, getKernel, kernels, listKernels, type Kernel } from '../index.js'
import { describeRun, runScript, setup } from './helpers.js'

const floats = (...values: number[]): Float64Array => new Float64Array(values)

/** [kernel, arguments, the whole expected message] */
const failures: Array<[Kernel, unknown[], string]> = [
  [kernels.dot, [floats(1, 2, 3), floats(1, 2)], 'dot: the arrays differ in length (3 and 2)'],
  [kernels.matmul, [floats(1, 2, 3, 4), floats(1, 2, 3, 4), 3], 'matmul: a has 4 elements, not 3 x 3 = 9'],
  [kernels.matmul, [new Float64Array(0), new Float64Array(0), 2 ** 15], 'matmul: the result would have more than 268435456 elements'],
  [kernels.mandelbrot, [4, 4, 10, 3, 2], 'mandelbrot: rows 3..2 are not within 0..4 (rowStart <= rowEnd <= height)'],
  [kernels.mandelbrot, [4, 4, 2 ** 30], 'mandelbrot: maxIter 1073741824 is above 16777216'],
  [kernels.mandelbrot, [1e9, 1e9, 10], 'mandelbrot: the result would have more than 268435456 elements'],
  [kernels.primeCount, [10, 5], 'primeCount: lo (10) is above hi (5)'],
  [kernels.fib, [79], 'fib: n = 79 is above 78, whose result is the last a double holds exactly'],
  [kernels.monteCarloPi, [0, 1], 'monteCarloPi: samples must be from 1 to 2^40, got 0'],
  [kernels.histogram, [floats(0.5), 0, 0, 1], 'histogram: bins must be from 1 to 2^24, got 0'],
  [kernels.histogram, [floats(0.5), 4, 1, 1], 'histogram: min (1) must be below max (1), with a finite width'],
  [kernels.testing.fail, ['the input file is missing'], 'testing.fail: the input file is missing'],
  [getKernel('limits.memoryRead')!, [0], 'limits.memoryRead: megabytes must be from 1 to 4096, got 0'],
  [getKernel('limits.peakFma')!, [2000], 'limits.peakFma: pieces must be from 1 to 1024, got 2000'],
]

test('every kernel failure names its kernel exactly once', async (t) => {
  const { executor } = setup(t, { maxWorkers: 2 })
  const submit = executor.submit.bind(executor) as (kernel: Kernel, args: unknown[]) => PromiseLike<unknown>
  for (const [kernel, args, expected] of failures) {
    const error = await t.throwsAsync(async () => submit(kernel, args), { instanceOf: KernelError }, kernel.name)
    t.is(error?.message, expected, kernel.name)
    t.is(error?.kernel, kernel.name)
    t.is(error?.message.split(kernel.name).length, 2, `${kernel.name} named more than once: ${error?.message}`)
  }
  // Every kernel that can fail after its arguments were accepted is covered above.
  const covered = new Set(failures.map(([kernel]) => kernel.name))
  const cannotFail = new Set(['spin', 'sleep', 'sumOfSquares', 'sort', 'sha256', 'testing.panic', 'testing.scale'])
  t.deepEqual(listKernels().map((k) => k.name).filter((name) => !covered.has(name) && !cannotFail.has(name)), [])
})

test('a kernel panic names its kernel once, and where it panicked', async (t) => {
  const { executor } = setup(t, { maxWorkers: 1 })
  const error = await t.throwsAsync(executor.submit(kernels.testing.panic, ['oops']), { instanceOf: KernelPanicError })
  t.regex(error?.message ?? '', /^testing\.panic: panicked: oops \(at crates\/kernels\/src\/[\w/]+\.rs:\d+:\d+\)$/)
})

test('a caught kernel panic prints nothing: its message and location are in the KernelPanicError', async (t) => {
  const run = await runScript(`
import { Executor, kernels } from {{PACKAGE}}
const executor = new Executor({ maxWorkers: 2 })
const errors = await Promise.all([1, 2, 3].map((i) => executor.submit(kernels.testing.panic, ['boom ' + i]).catch((e) => e.code)))
console.log(JSON.stringify(errors))
await executor.shutdown()
`)
  t.is(run.code, 0, describeRun(run))
  t.deepEqual(JSON.parse(run.stdout), ['ERR_KERNEL_PANIC', 'ERR_KERNEL_PANIC', 'ERR_KERNEL_PANIC'])
  t.is(run.stderr, '', describeRun(run))
})
