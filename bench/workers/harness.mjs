/**
 * One library's side of `npm run bench:workers`, in a child process of its own (forked by
 * bench/workers.mjs with the library's name and the settings as JSON). It opens the library's
 * pool (bench/workers/<library>.mjs), warms it up, measures its idle CPU, says `{ ready }`
 * with that figure, then runs the parent's
 * commands one at a time: `{ id, op, mode }` with `mode` 'check' (an untimed run whose
 * result is checked) or 'sample' (a timed run), answered by `{ id, result, cpuMs }` (this
 * process's CPU time during the command) or `{ id, error }`. The parent sends commands to
 * one library at a time, alternating between libraries sample by sample, so that a busy
 * stretch of this shared machine falls on every library alike.
 *
 * A library module exports `open({ threads, tasksUrl, maxTasksAtOnce })`, resolving to
 * `{ run(name, arg), close(), openInline?(), map?(items, name?), settled?(results) }`: `run` submits
 * one task (an export of tasks.mjs) and returns a promise (or thenable) of its result;
 * `settled` awaits many results another way than `Promise.all` (ours: `addDoneCallback`).
 */
import * as tasks from './tasks.mjs'

const [library, settingsJson] = process.argv.slice(2)
const settings = JSON.parse(settingsJson)
const { threads, trivialTasks, tripsPerSample, cpuTasks, cpuIterations, smallTasks, smallIterations } = settings
const { mapItems, peerMapItems, idleMs, closeTimeoutMs } = settings
const { tinyItems, tinyIterations, unevenItems, unevenUnitIterations } = settings

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Milliseconds `fn` took (awaited). */
async function time(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

function expect(condition, what) {
  if (!condition) throw new Error(`${library} ${what}: wrong result`)
}

/** `count` tasks submitted at once (each `run(i)`), all awaited. */
const burst = (count, run) => () => Promise.all(Array.from({ length: count }, (_, i) => run(i)))
const incsOk = (results) => results.length > 0 && results.every((r, i) => r === i + 1)
const squaresOk = (count) => (results) => results.length === count && results.every((r, i) => r === i * i)

/**
 * The event loop's longest stall (ms) while `fn` runs, with what `fn` returned: the longest gap
 * between the turns of a 1 ms timer chain, less its 1 ms.
 */
async function stalls(fn) {
  let last = performance.now()
  let longest = 0
  const gap = () => {
    const now = performance.now()
    longest = Math.max(longest, now - last - 1)
    last = now
  }
  let timer
  const tick = () => {
    gap()
    timer = setTimeout(tick, 1)
  }
  timer = setTimeout(tick, 1)
  try {
    const value = await fn()
    gap() // the gap up to the end counts too
    return { value, stallMs: Math.max(0, longest) }
  } finally {
    clearTimeout(timer)
  }
}

/** Each trip's ms of `loops` loops submitting `inc` one at a time, `trips` trips in all. */
async function roundTrips(loops, trips, mode) {
  const times = []
  const loop = async (from) => {
    for (let i = from; i < trips; i += loops) {
      const start = performance.now()
      const value = await pool.run('inc', i)
      times.push(performance.now() - start)
      if (mode === 'check') expect(value === i + 1, 'round trip')
    }
  }
  await Promise.all(Array.from({ length: loops }, (_, k) => loop(k)))
  return mode === 'sample' ? { trips: times } : {}
}

/**
 * A figure whose sample is one timed run of `fn`: 'check' runs it once and checks the result
 * with `ok`, 'sample' answers the milliseconds it took.
 */
const timed = (what, fn, ok) => async (mode) => {
  if (mode === 'sample') return { ms: await time(fn) }
  expect(ok(await fn()), what)
  return {}
}

/** What the command being run is, named if the process ends with tasks that never settled. */
let phase = 'opening the pool'
process.on('beforeExit', () => {
  if (phase !== 'done') console.error(`${library}: the event loop emptied with tasks unsettled, during ${phase}`)
})

const { open } = await import(`./${library}.mjs`)
const pool = await open({
  threads,
  tasksUrl: new URL('./tasks.mjs', import.meta.url),
  maxTasksAtOnce: Math.max(trivialTasks, smallTasks, peerMapItems),
})
let inline

/** Closes what is open; resolves whether it closed within `ms` (a ref'd timer keeps the loop alive). */
async function closeWithin(ms) {
  phase = 'closing the pool'
  let timer
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const closing = Promise.all([inline?.close(), pool.close()]).then(() => true)
  const closed = await Promise.race([closing, timedOut])
  clearTimeout(timer)
  return closed
}

const expectedCpu = tasks.cpu(cpuIterations)
const expectedSmall = tasks.small(smallIterations)
const cpuOnPool = () => Promise.all(Array.from({ length: cpuTasks }, () => pool.run('cpu', cpuIterations)))

/** This process's CPU time over `idleMs` with the pool started and idle, % of one core. */
async function idleCpuPercent() {
  await pause(300)
  const before = process.cpuUsage()
  const start = performance.now()
  await pause(idleMs)
  const used = process.cpuUsage(before)
  return ((used.user + used.system) / 1000 / (performance.now() - start)) * 100
}

const ops = {
  trivial: timed('trivial', burst(trivialTasks, (i) => pool.run('inc', i)), incsOk),
  async inline(mode) {
    if (!pool.openInline) return { unsupported: true }
    inline ??= await pool.openInline()
    return timed('trivial inline', burst(trivialTasks, (i) => inline.run(i)), incsOk)(mode)
  },
  /** Awaited without `Promise.all` where the library has a way (ours: addDoneCallback). */
  async trivialCallbacks(mode) {
    if (!pool.settled) return { unsupported: true }
    const fn = () => pool.settled(Array.from({ length: trivialTasks }, (_, i) => pool.run('inc', i)))
    return timed('trivial, callbacks', fn, incsOk)(mode)
  },
  /** One task at a time, each submitted when the previous result is back: each trip's ms. */
  roundTrip: (mode) => roundTrips(1, tripsPerSample, mode),
  /** 16 such loops at once. */
  roundTrip16: (mode) => roundTrips(16, tripsPerSample * 4, mode),
  /** The integer task on this thread, then on the pool: ms of each. */
  async modulo(mode) {
    const expected = tasks.modulo(3)
    if (mode === 'check') {
      expect((await pool.run('modulo', 3)) === expected, 'modulo')
      return {}
    }
    const mainMs = await time(() => expect(tasks.modulo(3) === expected, 'modulo'))
    return { mainMs, poolMs: await time(() => pool.run('modulo', 3)) }
  },
  /** The cpu tasks one after the other on this thread, then all at once on the pool. */
  async cpu(mode) {
    if (mode === 'check') {
      expect((await cpuOnPool()).every((r) => r === expectedCpu), 'cpu')
      return {}
    }
    const serialMs = await time(() => {
      for (let i = 0; i < cpuTasks; i++) tasks.cpu(cpuIterations)
    })
    return { serialMs, parallelMs: await time(cpuOnPool) }
  },
  small: timed(
    'small',
    burst(smallTasks, () => pool.run('small', smallIterations)),
    (results) => results.length === smallTasks && results.every((r) => r === expectedSmall),
  ),
  // map: ours chunked; a peer has no chunked map, so its figure is its per-task rate on
  // `peerMapItems` items, each one task.
  async map(mode) {
    if (pool.map) {
      const items = Array.from({ length: mapItems }, (_, i) => i)
      const { value, stallMs } = await stalls(() => timed('map', () => pool.map(items), squaresOk(mapItems))(mode))
      return { ...value, stallMs, items: mapItems, chunked: true }
    }
    const perTask = timed('map per task', burst(peerMapItems, (i) => pool.run('square', i)), squaresOk(peerMapItems))
    const { value, stallMs } = await stalls(() => perTask(mode))
    return { ...value, stallMs, items: peerMapItems, chunked: false }
  },
  /** Ours only: `map` over items of about 1 us each, against the same loop on this thread. */
  async mapTiny(mode) {
    if (!pool.map) return { unsupported: true }
    const items = new Array(tinyItems).fill(tinyIterations)
    const expected = tasks.small(tinyIterations)
    const ok = (results) => results.length === tinyItems && results.every((r) => r === expected)
    if (mode === 'check') {
      expect(ok(await pool.map(items, 'small')), 'map of tiny items')
      return {}
    }
    const serialMs = await time(() => expect(ok(items.map((n) => tasks.small(n))), 'serial tiny items'))
    let results
    const mapMs = await time(async () => (results = await pool.map(items, 'small')))
    expect(ok(results), 'map of tiny items')
    return { serialMs, mapMs }
  },
  /**
   * Ours only: uneven items (2 to 20 units of work each, like documents of 2-20 KB to render),
   * through `map` and through one `submit` each, awaited with Promise.all.
   */
  async uneven(mode) {
    if (!pool.map) return { unsupported: true }
    const items = unevenWork()
    const expected = items.map((n) => tasks.small(n))
    const ok = (what) => (results) => expect(results.length === items.length && results.every((r, i) => r === expected[i]), what)
    if (mode === 'check') {
      ok('uneven map')(await pool.map(items, 'small'))
      ok('uneven submit')(await Promise.all(items.map((n) => pool.run('small', n))))
      return {}
    }
    let mapped, submitted
    const mapMs = await time(async () => (mapped = await pool.map(items, 'small')))
    const submitMs = await time(async () => (submitted = await Promise.all(items.map((n) => pool.run('small', n)))))
    ok('uneven map')(mapped)
    ok('uneven submit')(submitted)
    return { mapMs, submitMs }
  },
  async close() {
    return { closed: await closeWithin(closeTimeoutMs) }
  },
}

/** The uneven items' iteration counts: 2 to 20 units each, from a fixed pseudo-random sequence. */
function unevenWork() {
  let seed = 12345
  return Array.from({ length: unevenItems }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return (2 + (seed % 19)) * unevenUnitIterations
  })
}

process.on('message', async ({ id, op, mode }) => {
  phase = `${op} ${mode ?? ''}`
  const before = process.cpuUsage()
  let reply
  try {
    reply = { id, result: await ops[op](mode) }
  } catch (error) {
    reply = { id, error: error?.stack ?? String(error) }
  }
  const used = process.cpuUsage(before)
  phase = op === 'close' ? 'done' : 'waiting for a command'
  process.send({ ...reply, cpuMs: (used.user + used.system) / 1000 }, () => {
    // A pool that did not close may hold the process open: then this process ends itself.
    if (op === 'close') reply.result?.closed ? process.disconnect() : process.exit(0)
  })
})

phase = 'warm-up'
try {
  // Both workers started and their tasks compiled before anything is measured.
  expect(incsOk(await burst(2000, (i) => pool.run('inc', i))()), 'warm-up')
  await Promise.all(Array.from({ length: threads * 4 }, () => pool.run('small', smallIterations)))
} catch (error) {
  await closeWithin(closeTimeoutMs)
  throw error
}
// Idle CPU right after the warm-up, so that every library is measured at the same moment of
// its life: V8 collects the workers' garbage some seconds after they stop allocating (seen as
// ~1-6 % of a core in workerpool's children when measured later).
phase = 'idle CPU'
const idle = await idleCpuPercent()
phase = 'waiting for a command'
process.send({ ready: true, idleCpuPercent: idle, inline: pool.openInline !== undefined, chunkedMap: pool.map !== undefined })
