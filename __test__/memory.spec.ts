/** Memory stays bounded by queueCapacity: flooding submit is refused, long maps keep only their results. */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import test from 'ava'

import { QueueFullError, kernels } from '../index.js'
import { describeRun, runNode, setup, waitForRest } from './helpers.js'

test('flooding submit with 200 000 synchronous calls is refused with QueueFullError instead of growing', async (t) => {
  const capacity = 1000
  const { executor } = setup(t, { maxWorkers: 2, queueCapacity: capacity })
  const heapBefore = process.memoryUsage().heapUsed
  let accepted = 0
  let refused = 0
  let maxQueued = 0
  for (let i = 0; i < 200_000; i++) {
    try {
      if (i % 2) executor.submit(kernels.spin, [10])
      else executor.submit((x: number) => x, [i])
      accepted++
    } catch (error) {
      if (!(error instanceof QueueFullError)) throw error
      refused++
    }
    if (i % 10_000 === 0) maxQueued = Math.max(maxQueued, executor.getStats().queuedTasks)
  }
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore
  t.log(`accepted ${accepted}, refused ${refused}, most queued ${maxQueued}, heap +${(heapGrowth / 2 ** 20).toFixed(1)} MiB`)
  // The loop never yields, so JS tasks cannot run meanwhile; native ones can free a few places.
  t.true(accepted >= capacity && accepted < capacity + 50_000, `accepted ${accepted}`)
  t.is(accepted + refused, 200_000)
  t.true(maxQueued <= capacity)
  await waitForRest(executor, 60_000)
  const stats = executor.getStats()
  t.is(stats.rejectedTasks, refused)
  t.is(stats.submittedTasks, accepted)
  t.is(stats.completedTasks, accepted)
})

test('map over a million lazily generated items keeps only its results (bench/map-memory.mjs, short)', async (t) => {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'map-memory.mjs')
  const run = await runNode(['--expose-gc', script, '--items', '1000000'], 110_000)
  t.is(run.code, 0, describeRun(run))
  t.regex(run.stdout, /map-memory: bounded/)
  for (const line of run.stdout.split('\n').slice(0, 2)) t.log(line.trim())
})
