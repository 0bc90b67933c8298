/**
 * Exceptions: a task that throws for some inputs, handled per future. A JavaScript task's error
 * reaches you as the very same object (class, message, fields); a native kernel's as a
 * `KernelError` with a stable `code`.
 *
 *   npm run build:examples && node examples/exceptions.js
 */
import { Executor, KernelError, kernels } from 'ferris-executor'

class InvalidInput extends Error {
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)}: ${reason}`)
  }
}

function squareRoot(text: string): number {
  const n = Number(text)
  if (text.trim() === '' || Number.isNaN(n)) throw new InvalidInput(text, 'not a number')
  if (n < 0) throw new InvalidInput(text, 'negative')
  return Math.sqrt(n)
}

const executor = new Executor({ maxWorkers: 2 })
try {
  const inputs = ['16', 'abc', '-4', '2.25', '']
  const futures = inputs.map((input) => executor.submit(squareRoot, [input]))
  for (const [i, future] of futures.entries()) {
    try {
      console.log(`${JSON.stringify(inputs[i])} -> ${await future}`)
    } catch (error) {
      if (error instanceof InvalidInput) console.log(`rejected ${error.message}`)
      else throw error // not ours: let it propagate
    }
  }

  // Or collect outcomes without try/catch:
  const outcomes = await Promise.allSettled(futures)
  console.log(`allSettled: ${outcomes.filter((o) => o.status === 'fulfilled').length} fulfilled, ${outcomes.filter((o) => o.status === 'rejected').length} rejected`)

  // A failing native kernel; its pool thread lives on (a panic would give KernelPanicError).
  const error = await executor.submit(kernels.testing.fail, ['disk full']).exception()
  if (error instanceof KernelError) console.log(`kernel ${error.kernel} failed with ${error.code}: ${error.message}`)
  console.log(`the pool still works: ${await executor.submit(kernels.spin, [3])}`)
} finally {
  await executor.shutdown()
}
