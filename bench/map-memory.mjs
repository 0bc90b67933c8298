/**
 * Memory of `map` and `imap` over a long lazily generated input. The input is never held
 * whole and at most about `queueCapacity` tasks exist at once, so what `map` keeps is its
 * result array, and what `imap` keeps (its consumer here only counts) is constant.
 *
 *   npm run map-memory                         # 10 000 000 items
 *   node --expose-gc bench/map-memory.mjs --items 1000000
 *
 * Prints, per phase: the RSS before and its peak (sampled every 20 ms; the peak includes
 * garbage the GC has not collected yet), and the heap still used after a full GC with the
 * results held (needs --expose-gc, as `npm run map-memory` passes). Exits 1 if the retained
 * heap exceeds twice the bytes of the result array plus 32 MiB for `map`, or 32 MiB for
 * `imap`: far below what keeping a future, a task or an input item per element would take.
 */
import { availableParallelism } from 'node:os'

import { Executor, kernels } from '../dist/index.js'
import { option } from './options.mjs'

const ITEMS = option('items', 10_000_000)
const MiB = 2 ** 20
const SLACK = 32 * MiB

function* lazy(n) {
  for (let k = 0; k < n; k++) yield k & 7
}

if (typeof globalThis.gc !== 'function') {
  console.error('map-memory: run with node --expose-gc (npm run map-memory does)')
  process.exit(2)
}

/**
 * Runs `fn` while sampling the RSS; returns its result, the RSS before and its peak during,
 * and the heap used after a full GC before and after (with the result still referenced).
 */
async function measure(fn) {
  globalThis.gc()
  const before = process.memoryUsage.rss()
  const heapBefore = process.memoryUsage().heapUsed
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  const started = performance.now()
  const result = await fn()
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage.rss())
  globalThis.gc()
  const retained = process.memoryUsage().heapUsed - heapBefore
  return { result, before, peak, retained, seconds }
}

const executor = new Executor({ maxWorkers: availableParallelism() })
const failures = []

const map = await measure(() => executor.map(kernels.spin, lazy(ITEMS)))
if (map.result.length !== ITEMS) failures.push(`map returned ${map.result.length} results`)
const resultBytes = ITEMS * 8
const mapGrowth = map.peak - map.before
if (map.retained > 2 * resultBytes + SLACK) failures.push(`map retained ${(map.retained / MiB).toFixed(0)} MiB for ${(resultBytes / MiB).toFixed(0)} MiB of results`)
console.log(`map-memory: map(spin, ${ITEMS} lazy items) in ${map.seconds.toFixed(1)} s: heap retained with the results held ${(map.retained / MiB).toFixed(0)} MiB (the ${ITEMS} doubles alone: ${(resultBytes / MiB).toFixed(0)} MiB); RSS ${(map.before / MiB).toFixed(0)} -> peak ${(map.peak / MiB).toFixed(0)} MiB`)
map.result = undefined

const imap = await measure(async () => {
  let count = 0
  for await (const value of executor.imap(kernels.spin, lazy(ITEMS))) if (typeof value === 'number') count++
  return count
})
if (imap.result !== ITEMS) failures.push(`imap yielded ${imap.result} results`)
const imapGrowth = imap.peak - imap.before
if (imap.retained > SLACK) failures.push(`imap retained ${(imap.retained / MiB).toFixed(0)} MiB`)
console.log(`map-memory: imap(spin, ${ITEMS} lazy items) in ${imap.seconds.toFixed(1)} s: heap retained ${(imap.retained / MiB).toFixed(1)} MiB; RSS ${(imap.before / MiB).toFixed(0)} -> peak ${(imap.peak / MiB).toFixed(0)} MiB (+${(imapGrowth / MiB).toFixed(0)} MiB)`)

await executor.shutdown()
console.log(failures.length === 0 ? 'map-memory: bounded' : `map-memory: FAILED\n  ${failures.join('\n  ')}`)
const mib = (bytes) => Number((bytes / MiB).toFixed(1))
console.log(JSON.stringify({ items: ITEMS, mapSeconds: map.seconds, mapRetainedMiB: mib(map.retained), mapPeakRssMiB: mib(map.peak), imapSeconds: imap.seconds, imapRetainedMiB: mib(imap.retained), imapPeakRssMiB: mib(imap.peak), failures }))
process.exitCode = failures.length === 0 ? 0 : 1
