/**
 * A sustained round-trip loop, for looking at one library closely (not part of
 * `npm run bench:workers`, whose round trip samples 300 trips at a time between the other
 * libraries' samples):
 *
 *     node bench/workers/trips.mjs <library> [trips]
 *
 * opens the library's pool of 2 threads (bench/workers/<library>.mjs), warms it with 2 000
 * trips, then runs `trips` (default 20 000) `inc` calls one at a time and prints the p50 and
 * p99 of a trip, the wall time per trip, and the main thread's CPU time per trip (from
 * `/proc/self/task/<pid>/schedstat` on Linux), which is what a trip costs the thread that
 * also runs everything else.
 */
import { readFileSync } from 'node:fs'

const [library = 'ferris', tripsArg = '20000'] = process.argv.slice(2)
const trips = Number(tripsArg)
const { open } = await import(`./${library}.mjs`)
const pool = await open({ threads: 2, tasksUrl: new URL('./tasks.mjs', import.meta.url).href, maxTasksAtOnce: 1000 })

/** The main thread's CPU time in microseconds, or NaN where /proc does not say. */
function mainThreadCpuUs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e3
  } catch {
    return NaN
  }
}

for (let i = 0; i < 2000; i++) await pool.run('inc', i)
const times = new Float64Array(trips)
const cpuStart = mainThreadCpuUs()
const start = performance.now()
for (let i = 0; i < trips; i++) {
  const tripStart = performance.now()
  const value = await pool.run('inc', i)
  times[i] = performance.now() - tripStart
  if (value !== i + 1) throw new Error(`${library}: inc(${i}) returned ${value}`)
}
const wallUs = ((performance.now() - start) * 1000) / trips
const cpuUs = (mainThreadCpuUs() - cpuStart) / trips
times.sort()
const us = (ms) => (ms * 1000).toFixed(1)
console.log(
  `${library}: ${trips} trips, p50 ${us(times[trips >> 1])} us, p99 ${us(times[Math.floor(trips * 0.99)])} us, ` +
    `wall ${wallUs.toFixed(1)} us/trip, main thread CPU ${cpuUs.toFixed(1)} us/trip`,
)
await pool.close()
process.exit(0)
