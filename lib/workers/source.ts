/**
 * A `workerTask(fn)` travels as its source text and is compiled again in each worker, where
 * none of the variables around it exist.
 */

/** A function compiled from `source` (`String(fn)`): an expression, or method shorthand (`name(x) { ... }`). */
export function compileSource(source: string): (...args: unknown[]) => unknown {
  // Indirect eval: global scope, so the function sees what it would see in a worker. Strict,
  // as the module it came from was: a write to an outer variable then throws (instead of
  // creating a global in the worker), and `this` is undefined.
  const evaluate = eval
  let compiled: unknown
  try {
    compiled = evaluate(`'use strict';(${source}\n)`)
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    compiled = Object.values(evaluate(`'use strict';({${source}\n})`) as object)[0]
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
