/**
 * Mistakes with worker tasks get a precise message where they are made: values that would
 * arrive empty are refused at submit naming their position, generator functions and sources
 * that do not compile on their own at `workerTask()`, a name that is a worker global and an
 * import of the caller's file is warned about, and a worker's stack trace names the caller's
 * file and line.
 */
import { pathToFileURL } from 'node:url'

import test from 'ava'

import { workerTask, type ExecutorOptions } from '../index.js'
import { describeRun, runScripts } from './helpers.js'
import { setupWorkers } from './worker-helpers.js'

const echo = workerTask((value: unknown) => typeof value)
const options: ExecutorOptions = { maxWorkers: 1, jsWorkers: 1 }

/** This file's URL and the line of the caller, as stack traces name them. */
function here(): { url: string; line: number } {
  const frame = new Error().stack!.split('\n')[2]!
  const [, file, line] = /\(?([^()\s]+):(\d+):\d+\)?$/.exec(frame.trim())!
  return { url: file!.startsWith('file:') ? file! : pathToFileURL(file!).href, line: Number(line) }
}

class Account {
  #balance = 0
  deposit(n: number): number {
    return (this.#balance += n)
  }
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Public state only, though its constructor adds it to a set: no private state to lose. */
class Registered {
  readonly _items = new Set<Registered>()
  constructor(readonly id: number) {
    this._items.add(this)
  }
}

test('a Future, an Executor, a WorkerTask or an instance with #private fields is refused at submit, naming its position', async (t) => {
  const { executor } = setupWorkers(t, options)
  const future = executor.submit(echo, [1])
  const account = new Account()
  account.deposit(5)
  const cases: Array<[unknown[], string, RegExp]> = [
    [[future], 'args[0]', /Future/],
    [[1, executor], 'args[1]', /Executor.*#private/],
    [['a', 'b', echo], 'args[2]', /WorkerTask/],
    [[account], 'args[0]', /Account.*#private/],
  ]
  for (const [args, position, reason] of cases) {
    const error = t.throws(() => executor.submit(echo as never, args as never), { instanceOf: TypeError })
    t.is((error as TypeError & { code?: string }).code, 'ERR_FERRIS_WORKER_ARG')
    t.true(error?.message.includes(position), `${error?.message} does not name ${position}`)
    t.regex(error?.message ?? '', reason)
  }
  const mapped = await t.throwsAsync(executor.map(echo as never, [1, account] as never))
  t.is((mapped as TypeError & { code?: string }).code, 'ERR_FERRIS_WORKER_ARG')
  // Plain data and instances of classes without private state still go (as plain objects).
  t.is(await executor.submit(echo, [new Point(1, 2)]), 'object')
  t.is(await executor.submit(echo, [new Registered(1)]), 'object')
  t.is(await executor.submit(echo, [{ a: 1 }]), 'object')
  t.is(await future, 'number')
})

test('generator functions are refused at workerTask()', (t) => {
  for (const fn of [function* count() {}, async function* stream() {}]) {
    const error = t.throws(() => workerTask(fn as () => unknown), { instanceOf: TypeError })
    t.is((error as TypeError & { code?: string }).code, 'ERR_FERRIS_WORKER_GENERATOR')
    t.regex(error?.message ?? '', /generator/)
  }
})

test('a function that does not compile on its own reports its own parse error', (t) => {
  const error = t.throws(() => workerTask(() => import.meta.url), { instanceOf: TypeError })
  t.is((error as TypeError & { code?: string }).code, 'ERR_FERRIS_WORKER_SOURCE')
  t.true(error?.cause instanceof SyntaxError)
  t.regex((error?.cause as SyntaxError).message, /import\.meta/)
  t.regex(error?.message ?? '', /import\.meta/)
})

test("a worker task's stack trace names the file and line where workerTask was called", async (t) => {
  const { executor } = setupWorkers(t, options)
  const site = here(); const fails = workerTask((n: number) => { throw new RangeError(`bad ${n}`) }) // prettier-ignore
  const error = await t.throwsAsync(executor.submit(fails, [1]), { instanceOf: RangeError })
  // The worker compiles the function's source text as the loader left it (oxc-node, here,
  // puts the body on lines of its own): its first line is the call's, the throw a line below.
  const frame = /\(?(file:[^()\s]+):(\d+):\d+\)?$/.exec(error?.stack?.split('\n')[1]?.trim() ?? '')
  t.is(frame?.[1], site.url, `the first frame does not name this file:\n${error?.stack}`)
  const line = Number(frame?.[2])
  t.true(line >= site.line && line <= site.line + 2, `line ${line}, not that of the call (${site.line}) or just below:\n${error?.stack}`)
})

test('a worker task using an import named like a worker global warns once, with code FERRIS_WORKER_GLOBAL', async (t) => {
  const script = `
import crypto from 'node:crypto'
import { Executor, workerTask } from {{PACKAGE}}
const warnings = []
process.on('warning', (w) => warnings.push(w.code))
const hash = (s) => crypto.createHash('sha1').update(s).digest('hex')
const a = workerTask(hash)
const b = workerTask((s) => crypto.createHash('md5').update(s).digest('hex'))
// Its own parameter or an import inside it is no closure: no warning.
const c = workerTask((crypto) => crypto)
const d = workerTask(async () => (await import('node:crypto')).randomUUID())
await new Promise((resolve) => setImmediate(resolve))
console.log(JSON.stringify(warnings))
`
  const run = await runScripts({ 'main.mjs': script }, 'main.mjs')
  t.is(run.code, 0, describeRun(run))
  t.deepEqual(JSON.parse(run.stdout), ['FERRIS_WORKER_GLOBAL'], describeRun(run))
  t.regex(run.stderr, /"crypto"/)
})

test('a worker global used without such an import warns about nothing', async (t) => {
  const script = `
import { workerTask } from {{PACKAGE}}
process.on('warning', (w) => console.log(w.code))
workerTask(() => crypto.randomUUID())
workerTask(() => performance.now())
await new Promise((resolve) => setImmediate(resolve))
`
  const run = await runScripts({ 'main.mjs': script }, 'main.mjs')
  t.is(run.code, 0, describeRun(run))
  t.is(run.stdout, '')
  t.is(run.stderr, '')
})
