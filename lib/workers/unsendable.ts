/**
 * Arguments a worker task cannot receive although the structured-clone algorithm takes them:
 * it copies any object as its own enumerable fields, so a `Future`, an `Executor`, a
 * `WorkerTask` or an instance whose state is in `#private` fields would arrive as an empty
 * (or meaningless) plain object. They are refused at submission instead, naming the
 * argument's position.
 *
 * What can be seen of `#private` state: V8 offers no reflection on private fields, so this
 * reads the source text of the instance's classes (once per class, cached): a `#name`
 * declaration, or the helpers that transpilers lower private fields to (babel/oxc/swc
 * `_classPrivateFieldInitSpec`, esbuild `__privateAdd`, TypeScript's `_Class_field.set(this, ...)`).
 * Not seen: private state kept in a module-level `WeakMap` by hand, objects nested inside an
 * argument (only the arguments themselves are checked, so that a large array costs no walk),
 * and classes built into the engine (their own clone rules apply).
 */
import { Future } from '../future.js'
import { isWorkerTask } from './worker-task.js'

/** A `#name` element of a class body, or the code transpilers lower one to. */
const PRIVATE_STATE =
  /[{};\s]#[\p{ID_Start}$_][\p{ID_Continue}$]*\s*[=;(\n}]|\.#[\p{ID_Start}$_]|\b_classPrivate(?:Field|Method)InitSpec\(this\b|\b__privateAdd\(this\b|(?<![\w$.])_[\w$]+_[\w$]+\.(?:set|add)\(this\b/u

/** Prototypes already looked at: the name of the class with private state on their chain, or null. */
const seen = new WeakMap<object, string | null>()

/** The class with private state among `proto`'s chain (up to a built-in prototype), or null. */
function privateClassOf(proto: object): string | null {
  const known = seen.get(proto)
  if (known !== undefined) return known
  let found: string | null = null
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value
  if (typeof ctor === 'function') {
    const source = Function.prototype.toString.call(ctor)
    if (/^class\b/.test(source) && PRIVATE_STATE.test(source)) found = ctor.name || 'an anonymous class'
  }
  if (found === null) {
    const parent = Object.getPrototypeOf(proto) as object | null
    if (parent !== null && parent !== Object.prototype) found = privateClassOf(parent)
  }
  seen.set(proto, found)
  return found
}

/** Why `value` cannot be sent to a worker as it is, or `undefined` if it can. */
function unsendable(value: object): string | undefined {
  if (value instanceof Future) return 'a Future (await it, and pass its result)'
  if (isWorkerTask(value)) return 'a WorkerTask (call it from the main thread, or import its module inside the task)'
  const proto = Object.getPrototypeOf(value) as object | null
  if (proto === null || proto === Object.prototype || proto === Array.prototype) return undefined
  const owner = privateClassOf(proto)
  if (owner === null) return undefined
  return `an instance of ${owner}, whose #private state a structured clone does not copy (it would arrive empty); pass plain data`
}

/**
 * Throws a `TypeError` (code `ERR_FERRIS_WORKER_ARG`) naming the first of `values` that cannot
 * be sent; `what` names the values (`'args'` of a submit, `'item'` of a map).
 */
export function refuseUnsendable(values: readonly unknown[], what: 'args' | 'item'): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (typeof value !== 'object' || value === null) continue
    const reason = unsendable(value)
    if (reason === undefined) continue
    const where = what === 'args' ? `args[${i}]` : 'a map item'
    throw Object.assign(new TypeError(`a worker task cannot take ${where}: it is ${reason}`), { code: 'ERR_FERRIS_WORKER_ARG' })
  }
}
