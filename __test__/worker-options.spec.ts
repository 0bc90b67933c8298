/**
 * `workerOptions` (env, argv, execArgv, workerData, name, resourceLimits, stdout, stderr) with
 * the meaning `new Worker()` gives them, and the checks of every worker option at
 * `new Executor()`: unknown keys, types and ranges, so that a typo cannot mean "no limit".
 */
import { SHARE_ENV, type Worker } from 'node:worker_threads'

import test from 'ava'

import { Executor, workerTask, type ExecutorOptions } from '../index.js'
import { waitUntil } from './helpers.js'
import { fixture, setupWorkers } from './worker-helpers.js'

const whatTheWorkerSees = workerTask(() => ({
  env: process.env.FERRIS_TEST_VAR,
  argv: process.argv.slice(2),
  execArgv: process.execArgv.includes('--no-warnings'),
}))

test('env, argv, execArgv and workerData reach the worker; workerData is readable in the task module', async (t) => {
  const { executor } = setupWorkers(t, {
    maxWorkers: 1,
    workerOptions: {
      env: { FERRIS_TEST_VAR: 'from-options' },
      argv: ['--mode', 'test'],
      execArgv: [...process.execArgv, '--no-warnings'],
      workerData: { region: 'eu', limits: new Map([['a', 1]]) },
      name: 'resizer',
    },
  })
  t.deepEqual(await executor.submit(whatTheWorkerSees, []), { env: 'from-options', argv: ['--mode', 'test'], execArgv: true })
  const readWorkerData = workerTask<() => unknown>(fixture('lifecycle.mjs'), 'readWorkerData')
  t.deepEqual(await executor.submit(readWorkerData, []), { region: 'eu', limits: new Map([['a', 1]]) })
})

test('env: SHARE_ENV shares the main thread environment', async (t) => {
  process.env.FERRIS_TEST_VAR = 'shared'
  t.teardown(() => delete process.env.FERRIS_TEST_VAR)
  const { executor } = setupWorkers(t, { maxWorkers: 1, workerOptions: { env: SHARE_ENV } })
  t.like(await executor.submit(whatTheWorkerSees, []), { env: 'shared' })
})

test("stdout: true keeps a worker's output off the main thread's stdout, readable from the Worker of 'workerStart'", async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, workerOptions: { stdout: true } })
  let output = ''
  executor.on('workerStart', (_id, worker: Worker) => worker.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk)))
  await executor.submit(
    workerTask(() => console.log('to the stream')),
    [],
  )
  await waitUntil(() => output.includes('to the stream'), "the worker's output on its stream")
  t.pass()
})

test('the top-level resourceLimits is an alias of workerOptions.resourceLimits', async (t) => {
  for (const options of [{ resourceLimits: { maxOldGenerationSizeMb: 24 } }, { workerOptions: { resourceLimits: { maxOldGenerationSizeMb: 24 } } }]) {
    const { executor } = setupWorkers(t, { maxWorkers: 1, ...options })
    const hog = workerTask(() => {
      const hoard: number[][] = []
      for (;;) hoard.push(new Array(1e5).fill(1))
    })
    const error = await executor.submit(hog, []).exception()
    t.is((error as Error).name, 'WorkerExitError', JSON.stringify(options))
  }
})

const refused: Array<[string, ExecutorOptions, typeof TypeError | typeof RangeError, RegExp]> = [
  ['a misspelt resourceLimits key', { resourceLimits: { maxOldGenSizeMb: 16 } as never }, TypeError, /did you mean "maxOldGenerationSizeMb"/],
  ['a negative limit', { resourceLimits: { maxOldGenerationSizeMb: -1 } }, RangeError, /maxOldGenerationSizeMb must be a finite number/],
  ['a limit that is not a number', { workerOptions: { resourceLimits: { stackSizeMb: '4' as never } } }, TypeError, /stackSizeMb must be a number/],
  ['an infinite limit', { resourceLimits: { maxYoungGenerationSizeMb: Infinity } }, RangeError, /finite/],
  ['resourceLimits given twice', { resourceLimits: {}, workerOptions: { resourceLimits: {} } }, TypeError, /not both/],
  ['resourceLimits not an object', { resourceLimits: 16 as never }, TypeError, /must be an object/],
  ['an unknown workerOptions key', { workerOptions: { workerdata: 1 } as never }, TypeError, /did you mean "workerData"/],
  ['workerOptions not an object', { workerOptions: 'x' as never }, TypeError, /must be an object/],
  ['env not an object', { workerOptions: { env: 'A=1' as never } }, TypeError, /env must be an object or SHARE_ENV/],
  ['argv not strings', { workerOptions: { argv: [1] as never } }, TypeError, /argv must be an array of strings/],
  ['execArgv not an array', { workerOptions: { execArgv: '--inspect' as never } }, TypeError, /execArgv must be an array of strings/],
  ['workerData that cannot be cloned', { workerOptions: { workerData: { fn: () => 1 } } }, TypeError, /workerData must be structured-cloneable/],
  ['name not a string', { workerOptions: { name: 1 as never } }, TypeError, /name must be a string/],
  ['stdout not a boolean', { workerOptions: { stdout: 'yes' as never } }, TypeError, /stdout must be a boolean/],
  ['idleTimeout negative', { idleTimeout: -1 }, RangeError, /idleTimeout/],
  ['idleTimeout not a number', { idleTimeout: '1s' as never }, TypeError, /idleTimeout must be a number/],
  ['maxTasksPerWorker zero', { maxTasksPerWorker: 0 }, RangeError, /maxTasksPerWorker must be an integer >= 1/],
  ['maxTasksPerWorker fractional', { maxTasksPerWorker: 1.5 }, RangeError, /maxTasksPerWorker/],
]

for (const [what, options, errorClass, message] of refused) {
  test(`new Executor() refuses ${what}`, (t) => {
    t.throws(() => new Executor(options), { instanceOf: errorClass, message })
  })
}

test('workerData that cannot be cloned keeps the clone error as cause; valid limits and Infinity counts pass', (t) => {
  const error = t.throws(() => new Executor({ workerOptions: { workerData: Symbol('x') } }))
  t.is((error?.cause as Error).name, 'DataCloneError')
  t.notThrows(() => void new Executor({ maxTasksPerWorker: Infinity, idleTimeout: Infinity, resourceLimits: { stackSizeMb: 4 } }).shutdown())
})

test('execArgv that Node refuses for workers fails the waiting worker tasks with WorkerExitError, not submit', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, workerOptions: { execArgv: ['--title=abc'] } })
  const future = executor.submit(whatTheWorkerSees, [])
  const error = await future.exception()
  t.is((error as Error).name, 'WorkerExitError')
  t.regex((error as Error).message, /cannot start a worker thread/)
})
