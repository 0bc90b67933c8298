/**
 * One startup sample in a fresh process: `node bench/workers/startup.mjs <library> <threads>`
 * imports the library, opens a pool of `threads` threads, awaits one `inc(1)` on a worker and
 * prints `{ importMs, firstMs }` as JSON: the import alone, and the import + open + first result,
 * both from just before the import. The pool is then closed (not timed).
 */
const [library, threadsArg] = process.argv.slice(2)
const threads = Number(threadsArg)
const tasksUrl = new URL('./tasks.mjs', import.meta.url)

/** Per library: its import, and how a user opens a pool and runs one task from the tasks module. */
const LIBRARIES = {
  ferris: {
    load: () => import('../../dist/index.js'),
    async first({ Executor, workerTask }) {
      const executor = new Executor({ maxWorkers: threads, jsWorkers: threads })
      return [await executor.submit(workerTask(tasksUrl, 'inc'), [1]), () => executor.shutdown()]
    },
  },
  piscina: {
    load: () => import('piscina'),
    async first({ Piscina }) {
      const pool = new Piscina({ filename: tasksUrl.href, minThreads: threads, maxThreads: threads })
      return [await pool.run(1, { name: 'inc' }), () => pool.destroy()]
    },
  },
  tinypool: {
    load: () => import('tinypool'),
    async first({ default: Tinypool }) {
      const pool = new Tinypool({ filename: tasksUrl.href, minThreads: threads, maxThreads: threads })
      return [await pool.run(1, { name: 'inc' }), () => pool.destroy()]
    },
  },
  workerpool: {
    load: () => import('workerpool'),
    async first({ default: workerpool }) {
      const script = new URL('./workerpool-worker.mjs', import.meta.url)
      const pool = workerpool.pool(script.pathname, { minWorkers: threads, maxWorkers: threads, workerType: 'thread' })
      return [await pool.exec('inc', [1]), () => pool.terminate()]
    },
  },
  poolifier: {
    load: () => import('poolifier'),
    async first({ FixedThreadPool }) {
      const pool = new FixedThreadPool(threads, new URL('./poolifier-worker.mjs', import.meta.url).pathname)
      return [await pool.execute(1, 'inc'), () => pool.destroy()]
    },
  },
}

const start = performance.now()
const module = await LIBRARIES[library].load()
const importMs = performance.now() - start
const [result, close] = await LIBRARIES[library].first(module)
const firstMs = performance.now() - start
if (result !== 2) throw new Error(`${library}: inc(1) returned ${result}`)
await close()
process.stdout.write(JSON.stringify({ importMs, firstMs }))
