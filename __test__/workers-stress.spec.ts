/**
 * The stress run of issue 14: 100 000 mixed tasks (main thread, worker, kernel; some throw,
 * time out, crash their worker or are cancelled) through `bench/stress.mjs`, which checks that
 * every future settles exactly once with the outcome it must have and that the statistics add
 * up exactly, replaced workers included, and exits non-zero otherwise. Workers also retire
 * on their own meanwhile (`maxTasksPerWorker`, `recycleWorkers()`, idle exits in pauses).
 * A new seed each run.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { describeRun, runNode } from './helpers.js'

const STRESS = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'stress.mjs')

interface StressResult {
  tasks: number
  completed: number
  failed: number
  cancelled: number
  workerTasks: number
  workerCrashesAndTimeouts: number
  workersReplaced: number
  workersRetired: number
  idlePauses: number
  recycleCalls: number
  failures: string[]
}

test('stress: 100 000 tasks of every kind, worker crashes, timeouts, recycling and idle exits among them, settle once with exact statistics', async (t) => {
  const seed = 1 + (Date.now() % 10_000)
  const run = await runNode([STRESS, '--tasks', '100000', '--seed', String(seed)], 110_000)
  t.is(run.code, 0, `seed ${seed}\n${describeRun(run)}`)
  t.regex(run.stdout, /every future settled once with the right outcome; the stats add up/)
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as StressResult
  t.deepEqual(result.failures, [])
  t.is(result.completed + result.failed + result.cancelled, 100_000)
  // The mix did what it is for: a quarter worker tasks, some of them ending their worker.
  t.true(result.workerTasks > 20_000, `only ${result.workerTasks} worker tasks`)
  t.true(result.workerCrashesAndTimeouts > 0, 'no worker task crashed or timed out')
  t.true(result.workersReplaced >= result.workerCrashesAndTimeouts)
  // Recycling and idle exits were mixed in, and counted apart from the replacements.
  t.is(result.idlePauses, 3)
  t.true(result.recycleCalls > 0)
  t.true(result.workersRetired >= result.idlePauses + result.recycleCalls, `only ${result.workersRetired} workers retired`)
  t.log(run.stdout.split('\n')[0])
})
