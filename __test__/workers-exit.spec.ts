/**
 * Process exit with worker threads, in child processes running the built package: idle
 * workers never keep a process alive, a busy one keeps it alive until its task completes, and
 * `process.exit()` is never held up by a worker (busy in JS, or waiting natively for a task).
 *
 * "Promptly" is checked as "before the child's generous kill timer" (a hang), never as a duration.
 */
import test from 'ava'

import { describeRun, runScript } from './helpers.js'

/** The start of a script whose worker task runs forever: it goes on once the task runs. */
const BUSY_WORKER = `
  import { Executor, workerTask } from {{PACKAGE}}
  const executor = new Executor({ maxWorkers: 2, jsWorkers: 2 })
  const flags = new Int32Array(new SharedArrayBuffer(4))
  const forever = workerTask((f) => {
    Atomics.store(f, 0, 1)
    for (;;);
  })
  executor.submit(forever, [flags])
  while (Atomics.load(flags, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 2))
`

for (const start of ['on demand', 'with startWorkers()']) {
  test(`a script that used worker tasks (started ${start}) and ends without shutdown() while its workers are idle exits 0`, async (t) => {
    const run = await runScript(`
      import { Executor, workerTask } from {{PACKAGE}}
      const executor = new Executor({ maxWorkers: 2, jsWorkers: 2 })
      ${start === 'on demand' ? '' : 'await executor.startWorkers()'}
      const square = workerTask((n) => n * n)
      const results = await executor.map(square, [1, 2, 3, 4])
      console.log('results', results.join(','), executor.getStats().workers.alive)
    `)
    t.false(run.timedOut, `idle workers kept the process alive\n${describeRun(run)}`)
    t.is(run.code, 0, describeRun(run))
    t.regex(run.stdout, /results 1,4,9,16 [12]/)
  })
}

test('a script that ends while a worker task runs: the task completes, then the process exits 0', async (t) => {
  const run = await runScript(`
    import { Executor, workerTask } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2, jsWorkers: 2 })
    const slow = workerTask((ms) => {
      const until = Date.now() + ms
      while (Date.now() < until);
      return 'finished'
    })
    // Not awaited: the main module ends at once, with the task pending.
    executor.submit(slow, [300]).then((value) => console.log('task', value))
    console.log('main module done')
  `)
  t.false(run.timedOut, `the process did not exit after its task\n${describeRun(run)}`)
  t.is(run.code, 0, describeRun(run))
  t.regex(run.stdout, /main module done\ntask finished/, 'the process exited before the task settled')
})

test('process.exit() in the main thread while a worker task runs forever exits at once', async (t) => {
  const run = await runScript(`${BUSY_WORKER}
    console.log('running')
    process.exit(5)
  `)
  t.false(run.timedOut, `process.exit() hung on a busy worker\n${describeRun(run)}`)
  t.is(run.code, 5, describeRun(run))
  t.regex(run.stdout, /running/)
})

test('process.exit() right after worker tasks, while the workers wait natively for more, exits at once', async (t) => {
  const run = await runScript(`
    import { Executor, workerTask } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2, jsWorkers: 2 })
    const square = workerTask((n) => n * n)
    for (let round = 0; round < 3; round++) await executor.map(square, Array.from({ length: 100 }, (_, i) => i))
    console.log('mapped')
    process.exit(4)
  `)
  t.false(run.timedOut, `process.exit() hung on waiting workers\n${describeRun(run)}`)
  t.is(run.code, 4, describeRun(run))
  t.regex(run.stdout, /mapped/)
})

test('an uncaught exception in the main thread while a worker task runs ends the process with code 1', async (t) => {
  const run = await runScript(`${BUSY_WORKER}
    setTimeout(() => { throw new Error('main thread failure') }, 1)
  `)
  t.false(run.timedOut, `the process hung on a busy worker after an uncaught exception\n${describeRun(run)}`)
  t.is(run.code, 1, describeRun(run))
  t.regex(run.stderr, /main thread failure/)
})

test('shutdown() with a worker task running waits for it, then ends the workers and the process', async (t) => {
  const run = await runScript(`
    import { Executor, workerTask } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2, jsWorkers: 2 })
    await executor.startWorkers()
    const slow = workerTask((ms) => {
      const until = Date.now() + ms
      while (Date.now() < until);
      return 'finished'
    })
    const future = executor.submit(slow, [100])
    await executor.shutdown()
    console.log('after shutdown', future.done(), await future, JSON.stringify(executor.getStats().workers))
  `)
  t.false(run.timedOut, describeRun(run))
  t.is(run.code, 0, describeRun(run))
  t.regex(run.stdout, /after shutdown true finished \{"alive":0,/)
})
