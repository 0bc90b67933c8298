/**
 * A `workerTask(fn)` travels as its source text and is compiled again in each worker, where
 * none of the variables around it exist.
 */
import { TRANSPILER_HELPERS, looksLikeTranspilerHelper } from './transpiler-helpers.js'

const HELPER_NAMES = Object.keys(TRANSPILER_HELPERS)
const HELPER_VALUES = Object.values(TRANSPILER_HELPERS)

/** Where a `workerTask(fn)` was defined: the file and line its worker's stack traces name. */
export interface Origin {
  /** A `file:` URL (or whatever name the caller's stack gave its file). */
  readonly url: string
  readonly line: number
}

/**
 * The text a worker compiles for `source` (`String(fn)`) defined at `origin`: blank lines
 * first, so that the function's lines keep their numbers in the caller's file, and a
 * `sourceURL` comment naming that file, so that stack traces point there rather than at an
 * anonymous `eval`.
 */
export function programOf(source: string, origin: Origin | undefined): string {
  if (origin === undefined) return source
  return `${'\n'.repeat(Math.max(0, origin.line - 1))}${source}\n//# sourceURL=${origin.url}`
}

/** An arrow function or `function` expression, as opposed to method shorthand (`name(x) { ... }`). */
const EXPRESSION = /^\s*(?:async\b\s*)?(?:function\b|\(|[\p{ID_Start}$_][\p{ID_Continue}$]*\s*=>)/u

/**
 * The function compiled from `program` (`programOf`'s text). Throws the engine's own
 * `SyntaxError` for a source that does not compile on its own (an `import.meta`, say).
 */
export function compileSource(program: string): (...args: unknown[]) => unknown {
  // Indirect eval: global scope, so the function sees what it would see in a worker, plus
  // the helpers TypeScript runners inject (`transpiler-helpers.ts`) as the parameters of a
  // wrapper. Strict, as the module it came from was: a write to an outer variable then
  // throws (instead of creating a global in the worker), and `this` is undefined.
  const evaluate = eval
  const inScope = (text: string): unknown => (evaluate(`'use strict';(function (${HELPER_NAMES}) { return ${text} })`) as (...helpers: unknown[]) => unknown)(...HELPER_VALUES)
  let compiled: unknown
  try {
    compiled = inScope(`(${program}\n)`)
  } catch (error) {
    // Method shorthand only compiles inside an object literal; anything else keeps the
    // error of its own form, which names what is wrong with it.
    if (!(error instanceof SyntaxError) || EXPRESSION.test(program)) throw error
    try {
      compiled = Object.values(inScope(`({${program}\n})`) as object)[0]
    } catch {
      throw error
    }
  }
  if (typeof compiled !== 'function') throw new TypeError('the source text is not a function')
  return compiled as (...args: unknown[]) => unknown
}

/**
 * `error`, with a hint when it is the `ReferenceError` of a function that used a variable
 * from outside it.
 */
export function explainOuterVariable(error: unknown): unknown {
  if (!(error instanceof ReferenceError)) return error
  const name = /^(\S+) is not defined$/.exec(error.message)?.[1]
  if (name === undefined) return error
  const original = error.message
  // Read before the message changes: V8 formats `stack` lazily, from the message of the time.
  const stack = error.stack
  const helper = looksLikeTranspilerHelper(name)
    ? ` "${name}" looks like a helper a TypeScript transpiler injected into the function (it lives in the ` +
      "caller's module, and the worker does not provide this one); compile the caller to a modern " +
      'target (ES2022 or later), or put the function in a module.'
    : ''
  error.message =
    `${original}: a workerTask(fn) function runs in a worker thread, where the variables around it ` +
    `do not exist.${helper} Pass what it needs as arguments, import modules inside it (await import(...)), ` +
    'or put it in a module and use workerTask(moduleUrl, exportName).'
  if (stack !== undefined) error.stack = stack.replace(original, error.message)
  return error
}
