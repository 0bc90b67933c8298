/** `workerTask()`: the JavaScript functions that run on worker-thread isolates. */
import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'

import { addon } from '../addon.js'
import type { Unmoved } from '../worker/transfer.js'
import { callSiteOf } from './call-site.js'
import { shadowedGlobals, warnShadowedGlobals } from './shadowed-globals.js'
import { compileSource, programOf } from './source.js'

/** Key of a worker task's type-only member (no such symbol exists at run time). */
declare const workerTypes: unique symbol

/**
 * A JavaScript function that runs on the executor's worker threads (see `workerTask`): pass
 * it to `submit`, `map` or `imap` like a function or a kernel. `A` is its argument list and
 * `R` its result (resolved: an async function's `R` is what its promise resolves to).
 *
 * ```ts
 * const square: WorkerTask<[n: number], number> = workerTask((n: number) => n * n)
 * ```
 */
export class WorkerTask<A extends unknown[] = unknown[], R = unknown> {
  /** The function's name, or the module's export name. */
  readonly name: string
  /** The module's URL, for a module's export. */
  readonly module: string | undefined
  /** @internal the definition's id in the addon, the same in every thread */
  readonly id: number
  /**
   * Type-only (never set): carries `A` and `R` into the published declarations.
   * @hidden
   */
  declare readonly [workerTypes]?: { readonly args: A; readonly result: R }

  /** @internal made by `workerTask` only */
  constructor(name: string, module: string | undefined, id: number) {
    this.name = name
    this.module = module
    this.id = id
    Object.freeze(this)
  }
}

/**
 * Any function type: the bound on `workerTask`'s type parameter, whose arguments and result
 * the `WorkerTask` takes.
 *
 * ```ts
 * const onWorkers = <F extends WorkerFunction>(fn: F): WorkerTaskOf<F> => workerTask(fn)
 * ```
 */
export type WorkerFunction = (...args: never[]) => unknown

/**
 * The `WorkerTask` of function type `F`: its parameters and its (awaited) result, unwrapped
 * from `transfer(...)`.
 *
 * ```ts
 * import type * as Work from './work.js'
 * type Blur = WorkerTaskOf<typeof Work.blur> // what workerTask<typeof Work.blur>(url, 'blur') returns
 * ```
 */
export type WorkerTaskOf<F extends WorkerFunction> = WorkerTask<Parameters<F>, Unmoved<Awaited<ReturnType<F>>>>

function moduleUrl(module: unknown): string {
  if (module instanceof URL) return module.href
  if (typeof module === 'string') {
    if (/^(file|data):/.test(module)) return new URL(module).href
    if (isAbsolute(module)) return pathToFileURL(module).href
  }
  throw new TypeError('workerTask: a module is a URL (new URL("./work.js", import.meta.url)) or an absolute file path')
}

/**
 * A JavaScript function that runs on worker threads, in parallel with the main thread and
 * with each other, under the same priorities, queue and `maxWorkers` as every other task.
 *
 * `workerTask(fn)` ships `fn`'s source text, compiled once per worker: `fn` must be
 * self-contained, since the variables around it do not exist in the worker (reading one
 * rejects the task with a `ReferenceError` that says so); pass what it needs as arguments, or
 * `await import(...)` modules inside it. The helpers TypeScript runners inject into function
 * bodies (tsx's `__name`, oxc-node's `_defineProperty`, ts-node's `__classPrivateFieldGet`,
 * ...) are provided in the worker. Throws `TypeError` for a built-in or bound function (no
 * source to send), a class, a generator function (`ERR_FERRIS_WORKER_GENERATOR`) and a
 * source that does not compile on its own (`ERR_FERRIS_WORKER_SOURCE`, the `SyntaxError` as
 * `cause`); warns (`FERRIS_WORKER_GLOBAL`) when `fn` uses an import of the caller's file
 * named like a worker global (`crypto`, `process`, `URL`, ...). Errors thrown in the worker
 * have stack traces that name the file and line of the `workerTask` call. Arguments and results are copied with the
 * structured-clone algorithm (typed arrays, `Map`, `Set`, `Date`, `BigInt`, nested objects);
 * a typed array over a `SharedArrayBuffer` is shared, and the `transfer` submit option moves
 * `ArrayBuffer`s instead of copying them.
 *
 * ```ts
 * const square = workerTask((n: number) => n * n)
 * await executor.map(square, [1, 2, 3]) // [1, 4, 9], computed on worker threads
 * ```
 *
 * @typeParam F - the function's type, inferred: the task's arguments and result follow it.
 */
export function workerTask<F extends WorkerFunction>(fn: F): WorkerTaskOf<F>
/**
 * A module's export that runs on worker threads: the module (ESM or CommonJS) is imported once
 * per worker, so it may import anything and keep state between the tasks of one worker.
 * `module` is a `URL` (`new URL('./work.js', import.meta.url)`), a `file:` or `data:` URL
 * string, or an absolute file path. A module that cannot be loaded rejects the task with code
 * `ERR_FERRIS_WORKER_MODULE`, a missing export or one that is not a function with
 * `ERR_FERRIS_WORKER_EXPORT`; both messages name the module and the export.
 *
 * ```ts
 * import type * as Work from './work.js'
 * const blur = workerTask<typeof Work.blur>(new URL('./work.js', import.meta.url), 'blur')
 * const image = await executor.submit(blur, [pixels, 640, 480])
 * ```
 *
 * @typeParam F - the export's type (`typeof Work.blur` from `import type * as Work`), which
 *   types the task's arguments and result; without it, they are `unknown`.
 */
export function workerTask<F extends WorkerFunction = (...args: unknown[]) => unknown>(
  module: URL | string,
  exportName: string,
): WorkerTaskOf<F>
export function workerTask(target: WorkerFunction | URL | string, exportName?: string): WorkerTask {
  if (typeof target === 'function') {
    if (exportName !== undefined) throw new TypeError('workerTask(fn) takes no export name')
    return defineFunction(target)
  }
  const module = moduleUrl(target)
  if (typeof exportName !== 'string' || exportName === '') throw new TypeError('workerTask(module, exportName): the export name must be a non-empty string')
  return new WorkerTask(exportName, module, addon.defineWorkerFunction({ module, export: exportName }))
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as new () => unknown
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as new () => unknown

function defineFunction(fn: WorkerFunction): WorkerTask {
  const name = fn.name || 'anonymous'
  const source = Function.prototype.toString.call(fn)
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError('workerTask: a built-in or bound function has no source to send to a worker; wrap the call in an arrow function')
  }
  if (/^class\b/.test(source)) throw new TypeError('workerTask takes a function, not a class')
  if (fn instanceof GeneratorFunction || fn instanceof AsyncGeneratorFunction) {
    // Its result (a generator) cannot be cloned back: refused now rather than at every call.
    throw Object.assign(new TypeError(`workerTask: ${name} is a generator function, whose generator cannot leave its worker; return an array, or use executor.imap for a stream of results`), {
      code: 'ERR_FERRIS_WORKER_GENERATOR',
    })
  }
  const origin = callSiteOf(workerTask)
  const program = programOf(source, origin)
  try {
    compileSource(program)
  } catch (error) {
    throw Object.assign(
      new TypeError(`workerTask: the source of ${fn.name || 'this function'} does not compile on its own: ${(error as Error)?.message ?? error}`, { cause: error }),
      { code: 'ERR_FERRIS_WORKER_SOURCE' },
    )
  }
  const shadowed = shadowedGlobals(source, origin)
  if (shadowed.length > 0) warnShadowedGlobals(shadowed, origin!)
  return new WorkerTask(name, undefined, addon.defineWorkerFunction({ source: program }))
}

export function isWorkerTask(value: unknown): value is WorkerTask {
  return value instanceof WorkerTask
}
