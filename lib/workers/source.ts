/**
 * A `workerTask(fn)` travels as its source text and is compiled again in each worker, where
 * none of the variables around it exist.
 */

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
  // Indirect eval: global scope, so the function sees what it would see in a worker. Strict,
  // as the module it came from was: a write to an outer variable then throws (instead of
  // creating a global in the worker), and `this` is undefined.
  const evaluate = eval
  let compiled: unknown
  try {
    compiled = evaluate(`'use strict';(${program}\n)`)
  } catch (error) {
    // Method shorthand only compiles inside an object literal; anything else keeps the
    // error of its own form, which names what is wrong with it.
    if (!(error instanceof SyntaxError) || EXPRESSION.test(program)) throw error
    try {
      compiled = Object.values(evaluate(`'use strict';({${program}\n})`) as object)[0]
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
  if (!(error instanceof ReferenceError) || !/ is not defined$/.test(error.message)) return error
  const original = error.message
  error.message =
    `${original}: a workerTask(fn) function runs in a worker thread, where the variables around it ` +
    'do not exist. Pass what it needs as arguments, import modules inside it (await import(...)), ' +
    'or put it in a module and use workerTask(moduleUrl, exportName).'
  if (error.stack !== undefined) error.stack = error.stack.replace(original, error.message)
  return error
}
