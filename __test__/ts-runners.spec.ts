/**
 * `workerTask(fn)` under the usual TypeScript runners, each in a child process: they inject
 * helpers into function bodies (tsx/esbuild `__name`, oxc-node `_defineProperty` and private
 * member helpers, ts-node/tsc `__classPrivateFieldGet`) that the worker provides. A name no
 * worker provides fails with an error that names it and says what to do.
 */
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import test from 'ava'

import { workerTask } from '../index.js'
import { PACKAGE_ROOT, describeRun, runScripts } from './helpers.js'
import { setupWorkers } from './worker-helpers.js'

/** Nested named functions (`__name`), class fields (`_defineProperty`) and private fields (the private-member helpers). */
const PROGRAM = `
import { Executor, workerTask } from {{PACKAGE}}

const crunch = workerTask((n: number) => {
  class Tally {
    total = 0
    static kind = 'tally'
    #count = 0
    add(x: number): this {
      this.total += x
      this.#count++
      return this
    }
    get count(): number {
      return this.#count
    }
  }
  function double(x: number): number {
    return x * 2
  }
  const triple = (x: number): number => x * 3
  const tally = new Tally()
  for (let i = 1; i <= n; i++) tally.add(double(i) + triple(i))
  return { total: tally.total, count: tally.count, kind: Tally.kind, name: double.name }
})

const executor = new Executor({ maxWorkers: 1, jsWorkers: 1 })
try {
  console.log(JSON.stringify(await executor.submit(crunch, [4])))
} finally {
  await executor.shutdown()
}
`

/** A temp project: ESM, transpile-only for ts-node, the checkout's node_modules (the runners and their helpers). */
function prepare(dir: string): void {
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true }, 'ts-node': { transpileOnly: true } }))
}

const RUNNERS: Array<[string, () => string[]]> = [
  ['tsx', () => ['--import', import.meta.resolve('tsx')]],
  ['oxc-node', () => ['--import', import.meta.resolve('@oxc-node/core/register')]],
  ['ts-node', () => ['--no-warnings=ExperimentalWarning', '--loader', import.meta.resolve('ts-node/esm')]],
]

for (const [runner, args] of RUNNERS) {
  test(`workerTask(fn) works when the caller runs under ${runner}`, async (t) => {
    const run = await runScripts({ 'main.ts': PROGRAM }, 'main.ts', 60_000, prepare, args())
    t.is(run.code, 0, describeRun(run))
    t.deepEqual(JSON.parse(run.stdout), { total: 50, count: 4, kind: 'tally', name: 'double' }, describeRun(run))
  })
}

test('a free name the worker cannot resolve is named, flagged when it looks like a transpiler helper, and the module form is suggested', async (t) => {
  const { executor } = setupWorkers(t, { maxWorkers: 1, jsWorkers: 1 })
  const helper = await t.throwsAsync(executor.submit(workerTask(() => (globalThis as never as { x: number }).x + __ts_decorate_missing), []), { instanceOf: ReferenceError })
  t.regex(helper?.message ?? '', /__ts_decorate_missing is not defined/)
  t.regex(helper?.message ?? '', /transpiler/)
  t.regex(helper?.message ?? '', /workerTask\(moduleUrl, exportName\)/)
  t.is(helper?.stack?.split(helper.message).length, 2, `the stack repeats the message:\n${helper?.stack}`)
  const outer = 3
  const plain = await t.throwsAsync(executor.submit(workerTask(() => outer), []), { instanceOf: ReferenceError })
  t.regex(plain?.message ?? '', /outer is not defined/)
  t.notRegex(plain?.message ?? '', /transpiler/)
})

declare const __ts_decorate_missing: number
