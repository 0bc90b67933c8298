/**
 * Disposal: `await using` shuts an executor down when the block ends, waiting for its tasks;
 * without it, `try/finally` and `shutdown()` do the same. TypeScript 5.2+ compiles `await using`
 * (Node 20 cannot parse it yet).
 *
 *   npm run build:examples && node examples/disposal.js
 */
import { Executor, ExecutorShutdownError, kernels } from 'ferris-executor'

let escaped: Executor | undefined
{
  await using executor = new Executor({ maxWorkers: 2 })
  escaped = executor
  executor.submit(kernels.sleep, [50]).then(() => console.log('the task finished before the block was left'))
  console.log('leaving the block')
} // here: await executor[Symbol.asyncDispose]() === await executor.shutdown()
try {
  escaped.submit(kernels.spin, [1])
} catch (error) {
  if (error instanceof ExecutorShutdownError) console.log(`after the block: ${error.code}`)
}

// The same without `using`:
const executor = new Executor({ maxWorkers: 2 })
try {
  console.log(`try/finally: ${await executor.submit((a: number, b: number) => a + b, [2, 3])}`)
} finally {
  await executor.shutdown() // { wait: false } would not wait; { cancelPending: true } drops queued tasks
}

// Cancelling what has not started: one slot, held by a running task until it is let go, and
// three tasks queued behind it.
const busy = new Executor({ maxWorkers: 1 })
let started = (): void => {}
let letGo = (): void => {}
const hasStarted = new Promise<void>((resolve) => (started = resolve))
const running = busy.submit(async () => {
  started()
  await new Promise<void>((resolve) => (letGo = resolve))
})
const queued = [1, 2, 3].map((n) => busy.submit(kernels.spin, [n]))
await hasStarted
const stopped = busy.shutdown({ cancelPending: true }) // the queued three are cancelled here
letGo()
await stopped
console.log(`cancelPending: running task ${running.done() ? 'finished' : 'pending'}, ${queued.filter((f) => f.cancelled()).length} queued cancelled`)
