/**
 * Futures: status with `done()`, `wait` with a timeout, and `asCompleted` with error handling,
 * in the manner of Python's `concurrent.futures`.
 *
 *   npm run build:examples && node examples/futures.js
 */
import { Executor, KernelError, kernels, type Future } from 'ferris-executor'

const executor = new Executor({ maxWorkers: 2 })
try {
  const quick = executor.submit(kernels.spin, [1000])
  const slow = executor.submit(kernels.sleep, [300])
  console.log(`just submitted: quick.done()=${quick.done()} slow.done()=${slow.done()}`)
  await quick
  console.log(`quick finished: quick.done()=${quick.done()} slow.running()=${slow.running()}`)

  // wait() returns what is done when the condition holds or the timeout passes; nothing is cancelled.
  const { done, notDone } = await executor.wait([quick, slow], { timeout: 50 })
  console.log(`wait({ timeout: 50 }): ${done.length} done, ${notDone.length} not done`)
  const first = await executor.wait([slow], { returnWhen: 'FIRST_COMPLETED' })
  console.log(`wait(FIRST_COMPLETED): ${first.done.length} done`)

  // asCompleted yields each future as it completes; a failed one is yielded too, not thrown.
  const jobs: Future<unknown>[] = [
    executor.submit(async (name: string, ms: number) => {
      await new Promise((r) => setTimeout(r, ms))
      return name
    }, ['slow JS task', 60]),
    executor.submit(kernels.testing.fail, ['the input file is missing']),
    executor.submit((x: number) => {
      if (x < 0) throw new RangeError(`negative input ${x}`)
      return x
    }, [-1]),
    executor.submit(kernels.spin, [10]),
  ]
  for await (const future of executor.asCompleted(jobs, { timeout: 5000 })) {
    const error = await future.exception()
    if (error instanceof KernelError) console.log(`kernel failed (${error.code}): ${error.message}`)
    else if (error !== undefined) console.log(`task failed: ${String(error)}`)
    else console.log(`completed: ${String(await future.result())}`)
  }
  console.log('all jobs accounted for')
} finally {
  await executor.shutdown()
}
