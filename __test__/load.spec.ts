/**
 * Short runs of the stress, soak and churn scripts under bench/ (the full runs are
 * `npm run stress`, `npm run soak`, `npm run churn`). Each script checks its own invariants
 * and exits non-zero when one fails; here they run for seconds so that CI runs them every time.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { describeRun, runNode } from './helpers.js'

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench')

test('stress: 20 000 mixed tasks each settle once with the right outcome and the stats add up', async (t) => {
  const run = await runNode([join(BENCH, 'stress.mjs'), '--tasks', '20000', '--seed', String(Date.now() % 1000)], 110_000)
  t.is(run.code, 0, describeRun(run))
  t.regex(run.stdout, /every future settled once with the right outcome; the stats add up/)
})

test('soak: a few seconds of steady mixed load leave no future pending and the stats add up', async (t) => {
  const args = ['--expose-gc', join(BENCH, 'soak.mjs'), '--seconds', '5', '--rate', '1000', '--sample', '1', '--warmup', '1']
  const run = await runNode(args, 60_000)
  t.is(run.code, 0, describeRun(run))
  t.regex(run.stdout, /every one settled with the right outcome: yes/)
})

test('churn: worker threads terminated mid-task, then 100 executors in a loop, and the process exits by itself', async (t) => {
  const run = await runNode([join(BENCH, 'churn.mjs'), '--workers', '20', '--executors', '100'], 110_000)
  t.false(run.timedOut, 'the process did not exit by itself')
  t.is(run.code, 0, describeRun(run))
  t.is(run.signal, null)
  t.is(run.stderr, '', 'no crash report or warning')
  t.regex(run.stdout, /the main thread executor still works/)
})
