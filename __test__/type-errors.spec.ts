/**
 * Where TypeScript reports a wrong argument of `submit`, `map` and `imap`: on the argument
 * that is wrong, saying which type it should have, not on the task as "no overload matches"
 * or "not assignable to a function". Snippets are compiled against the published
 * declarations (`dist/*.d.ts`, as `test-d/` is), with the compiler API, and each one's
 * single error is located. `test-d/` checks that these calls fail at all.
 */
import { dirname, join } from 'node:path'

import test from 'ava'
import ts from 'typescript'

import { PACKAGE_ROOT } from './helpers.js'

const HEADER = `import { Executor, kernels, workerTask } from 'ferris-executor'
declare const executor: Executor
const twice = workerTask((n: number) => n * 2)
`

/** label, the call, the argument the error must be on, what its message must say */
const CASES: Array<[string, string, string, RegExp]> = [
  ['a worker task given a string for a number', `executor.submit(twice, ['21'])`, `'21'`, /'string' is not assignable to type 'number'/],
  ['a kernel given a plain array for a Float64Array', `executor.submit(kernels.sumOfSquares, [[1, 2, 3]])`, `[1, 2, 3]`, /Float64Array/],
  ['a function given a string for a number', `executor.submit((a: number) => a, ['x'])`, `'x'`, /'string' is not assignable to type 'number'/],
  ['map of a worker task over strings', `void executor.map(twice, ['a'])`, `['a']`, /'string' is not assignable to type 'number'/],
  ['map of a kernel over plain arrays', `void executor.map(kernels.sumOfSquares, [[1, 2]])`, `[[1, 2]]`, /Float64Array/],
  ['imap of a worker task over strings', `void executor.imap(twice, ['a'])`, `['a']`, /number/],
]

/** Compiles every case as a file of its own in `test-d/` (where `ferris-executor` resolves to the package itself). */
function diagnose(): Map<string, readonly ts.Diagnostic[]> {
  const configPath = join(PACKAGE_ROOT, 'test-d', 'tsconfig.json')
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!
  const files = new Map(CASES.map(([, call], i) => [join(dirname(configPath), `type-errors-${i}.ts`), HEADER + call + '\n']))
  const host = ts.createCompilerHost(config.options)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (name) => files.has(name) || fileExists(name)
  host.readFile = (name) => files.get(name) ?? readFile(name)
  host.getSourceFile = (name, version, ...rest) => {
    const text = files.get(name)
    return text !== undefined ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest)
  }
  const program = ts.createProgram([...files.keys()], { ...config.options, noUnusedLocals: false }, host)
  return new Map([...files.keys()].map((name) => [name, ts.getPreEmitDiagnostics(program, program.getSourceFile(name))]))
}

test('a wrong argument of submit, map or imap is reported on that argument, with the type it should have', (t) => {
  const results = [...diagnose().entries()]
  CASES.forEach(([label, call, argument, message], i) => {
    const [name, diagnostics] = results[i]!
    const text = HEADER + call + '\n'
    const where = text.indexOf(argument, HEADER.length + call.indexOf('('))
    const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error)
    const described = errors.map((d) => `${d.start}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`).join('\n---\n')
    t.is(errors.length, 1, `${label} (${name}): ${described}`)
    const [error] = errors
    if (error === undefined) return
    t.true(error.start! >= where && error.start! < where + argument.length, `${label}: the error is at ${error.start}, not on ${argument} (${where}):\n${described}`)
    const flat = ts.flattenDiagnosticMessageText(error.messageText, '\n')
    t.regex(flat, message, label)
    t.notRegex(flat, /No overload matches|provides no match for the signature/, label)
  })
})
