/**
 * pack:check's glibc 2.17 run (copied into the project where ferris-executor was installed, and
 * started there by scripts/lib/old-glibc.mjs under Node 16 on the 2.17 loader): the package loads, a pool starts,
 * and a kernel, a JS function and a worker task return their results; a kernel's panic still
 * unwinds into KernelPanicError. Prints one JSON line. Node 16 needs glibc217-node16-shim.mjs.
 */
import { readFileSync } from 'node:fs'

const { Executor, KernelPanicError, kernels, workerTask } = await import('ferris-executor')
const executor = new Executor({ maxWorkers: 2 })
const [kernel, js, worker, panic] = await Promise.all([
  executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])]),
  executor.submit((a, b) => a * b, [6, 7]),
  executor.submit(workerTask((n) => n * 2), [21]),
  executor.submit(kernels.testing.panic, ['on purpose']).then(
    () => 'no error',
    (error) => (error instanceof KernelPanicError ? 'KernelPanicError' : String(error)),
  ),
])
const stats = executor.getStats()
await executor.shutdown()
// Which libc the process really runs on, and which addon it loaded.
const report = process.report.getReport()
const addon = report.sharedObjects.find((path) => path.endsWith('.node'))
const libc = report.sharedObjects.find((path) => /\/libc\.so\.6$/.test(path))
if (kernel !== 14 || js !== 42 || worker !== 42 || panic !== 'KernelPanicError' || stats.completedTasks !== 3) {
  throw new Error(`wrong results: ${JSON.stringify({ kernel, js, worker, panic, completed: stats.completedTasks })}`)
}
console.log(JSON.stringify({ node: process.version, glibc: report.header.glibcVersionRuntime, libc, addon, addonBytes: readFileSync(addon).length, kernel, js, worker, panic }))
