/**
 * Process and thread lifecycle, in child `node` processes running the compiled package (no TS
 * loader): exiting on its own, staying alive for pending work, process.exit with work in flight,
 * and executors in worker_threads.
 */
import { readFileSync } from 'node:fs'

import test from 'ava'

import { Executor, kernels } from '../index.js'
import { describeRun, runScript, runScripts, spinTwin, waitUntil } from './helpers.js'

/** Threads of this process (Linux: the platform this package ships for). */
function threadCount(): number {
  const match = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  if (match === null) throw new Error('no Threads line in /proc/self/status')
  return Number(match[1])
}

test.serial('shut-down executors release their worker threads', async (t) => {
  const before = threadCount()
  const executors = Array.from({ length: 8 }, () => new Executor({ maxWorkers: 4 }))
  await Promise.all(executors.map((e) => e.submit(kernels.spin, [10])))
  const during = threadCount()
  t.true(during >= before + 8 * 4, `threads: ${before} before, ${during} with 8 executors of 4 workers`)
  await Promise.all(executors.map((e) => e.shutdown()))
  await waitUntil(() => threadCount() <= before + 2, `the worker threads to end (now ${threadCount()}, before ${before})`)
  t.pass()
})

test('a script that awaits a JS and a native task and never shuts down exits on its own with code 0', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2 })
    const js = await executor.submit(async (a, b) => a + b, [40, 2])
    const native = await executor.submit(kernels.spin, [1000])
    const mapped = await executor.map(kernels.spin, [1, 2, 3])
    console.log('RESULT ' + JSON.stringify([js, native, mapped]))
  `)
  t.false(result.timedOut, `the process did not exit on its own\n${describeRun(result)}`)
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes(`RESULT ${JSON.stringify([42, spinTwin(1000), [1, 2, 3].map(spinTwin)])}`), describeRun(result))
})

test('an idle executor that was never used does not keep the process alive', async (t) => {
  const result = await runScript(`
    import { Executor } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 4 })
    globalThis.keep = executor
    console.log('CREATED ' + executor.getStats().maxWorkers)
  `)
  t.false(result.timedOut, `the process did not exit on its own\n${describeRun(result)}`)
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes('CREATED 4'), describeRun(result))
})

test('pending work keeps the process alive until it completes (nothing else on the event loop)', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 1 })
    // not awaited: only the executor can keep the process alive for these
    executor.submit(kernels.sleep, [300]).then((v) => console.log('SLEEP DONE ' + v))
    // a JS task queued behind the sleeping kernel: it waits in the pool, not on the event loop
    executor.submit(() => console.log('JS TASK RAN'))
    executor.submit(kernels.spin, [5]).then((v) => console.log('SPIN DONE ' + v))
    console.log('MAIN DONE')
  `)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  const lines = result.stdout.trim().split('\n')
  t.is(lines[0], 'MAIN DONE', describeRun(result))
  // (the JS task may print before the sleep's then-callback, which runs in a later microtask)
  t.deepEqual([...lines].sort(), ['JS TASK RAN', 'MAIN DONE', 'SLEEP DONE null', `SPIN DONE ${spinTwin(5)}`], describeRun(result))
})

test('after shutdown the process exits even with an executor still referenced', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2 })
    globalThis.keep = executor
    await executor.submit(kernels.sleep, [20])
    executor.submit(() => { throw new Error('failure nobody awaits') })
    const queued = executor.submit(kernels.spin, [1])
    await executor.shutdown()
    console.log('SHUT DOWN ' + queued.done())
  `)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  t.true(result.stdout.includes('SHUT DOWN true'), describeRun(result))
})

test('process.exit() while a kernel runs and JS tasks are queued exits cleanly', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 2 })
    executor.submit(kernels.sleep, [5000])
    executor.submit(kernels.sleep, [5000])
    for (let i = 0; i < 5; i++) executor.submit(() => new Promise(() => {}))
    const deadline = Date.now() + 10000
    while (executor.getStats().activeThreads < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    console.log('EXITING ' + executor.getStats().activeThreads)
    process.exit(0)
  `)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  t.is(result.signal, null, describeRun(result))
  t.true(result.stdout.includes('EXITING 2'), describeRun(result))
  t.false(/fatal|abort|panic|segmentation/i.test(result.stderr), describeRun(result))
})

test('an uncaught exception with work in flight ends the process with the usual code 1, not a crash', async (t) => {
  const result = await runScript(`
    import { Executor, kernels } from {{PACKAGE}}
    const executor = new Executor({ maxWorkers: 1 })
    executor.submit(kernels.sleep, [5000])
    executor.submit(() => 1)
    setTimeout(() => { throw new Error('boom from user code') }, 50)
  `)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 1, describeRun(result))
  t.true(result.stderr.includes('boom from user code'), describeRun(result))
  t.false(/fatal error|abort|segmentation/i.test(result.stderr), describeRun(result))
})

const WORKER = `
  import { parentPort, workerData } from 'node:worker_threads'
  import { Executor, kernels } from {{PACKAGE}}
  const executor = new Executor({ maxWorkers: 2 })
  if (workerData.mode === 'sleep') {
    const future = executor.submit(kernels.sleep, [5000])
    const deadline = Date.now() + 10000
    while (executor.getStats().activeThreads < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    parentPort.postMessage({ sleeping: executor.getStats().activeThreads })
    await future
    parentPort.postMessage({ error: 'the sleep completed: the worker was not terminated' })
  } else {
    let inside = 0
    let maxInside = 0
    const js = await Promise.all(Array.from({ length: 6 }, (_, i) => executor.submit(async () => {
      inside++
      maxInside = Math.max(maxInside, inside)
      await new Promise((r) => setTimeout(r, 20))
      inside--
      return i * workerData.id
    })))
    const native = await executor.map(kernels.spin, [0, 1, 1000])
    let failure = ''
    try { await executor.submit(kernels.testing.fail, ['in a worker']) } catch (e) { failure = e.constructor.name }
    await executor.shutdown()
    parentPort.postMessage({ id: workerData.id, js, native, maxInside, failure })
  }
`

const MAIN = `
  import { Worker } from 'node:worker_threads'
  import { Executor, kernels } from {{PACKAGE}}
  const workerUrl = new URL('./worker.mjs', import.meta.url)
  const run = (data) => new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { workerData: data })
    w.once('message', resolve)
    w.once('error', reject)
  })
  const main = new Executor({ maxWorkers: 2 })
  // 3 workers and the main thread at once
  const [results, mainResults] = await Promise.all([
    Promise.all([1, 2, 3].map((id) => run({ id, mode: 'work' }))),
    Promise.all([main.submit(kernels.spin, [1000]), main.submit(() => 'main js'), main.map(kernels.spin, [0, 1, 1000])]),
  ])
  console.log('WORKERS ' + JSON.stringify(results))
  console.log('MAIN ' + JSON.stringify(mainResults))

  // terminate a worker while its kernel sleeps
  const sleeper = new Worker(workerUrl, { workerData: { id: 9, mode: 'sleep' } })
  const message = await new Promise((resolve, reject) => { sleeper.once('message', resolve); sleeper.once('error', reject) })
  console.log('SLEEPER ' + JSON.stringify(message))
  sleeper.on('message', (m) => console.log('UNEXPECTED ' + JSON.stringify(m)))
  const exitCode = await sleeper.terminate()
  console.log('TERMINATED ' + exitCode)
  // the main thread still works after that
  const after = await Promise.all([main.submit(kernels.spin, [5]), main.submit(() => 'still fine')])
  console.log('AFTER ' + JSON.stringify(after))
`

test('executors in 3 worker_threads plus the main thread; terminating a worker mid-kernel; clean exit', async (t) => {
  const result = await runScripts({ 'main.mjs': MAIN, 'worker.mjs': WORKER }, 'main.mjs', 30_000)
  t.false(result.timedOut, describeRun(result))
  t.is(result.code, 0, describeRun(result))
  const line = (prefix: string): unknown => {
    const found = result.stdout.split('\n').find((l) => l.startsWith(prefix + ' '))
    return found === undefined ? undefined : JSON.parse(found.slice(prefix.length + 1))
  }
  const spins = [0, 1, 1000].map(spinTwin)
  t.deepEqual(
    line('WORKERS'),
    [1, 2, 3].map((id) => ({
      id,
      js: [0, 1, 2, 3, 4, 5].map((i) => i * id),
      native: spins,
      maxInside: 2,
      failure: 'KernelError',
    })),
    describeRun(result),
  )
  t.deepEqual(line('MAIN'), [spinTwin(1000), 'main js', spins], describeRun(result))
  t.deepEqual(line('SLEEPER'), { sleeping: 1 }, describeRun(result))
  t.is(line('TERMINATED'), 1, describeRun(result))
  t.deepEqual(line('AFTER'), [spinTwin(5), 'still fine'], describeRun(result))
  t.false(result.stdout.includes('UNEXPECTED'), describeRun(result))
  t.false(/fatal|abort|segmentation/i.test(result.stderr), describeRun(result))
})
