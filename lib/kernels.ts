/** Handles of the native kernels, and the checks of their arguments. */
import { listNativeKernels } from './binding.js'

/** Kind of one kernel parameter, as the native registry declares it. */
export type KernelParam = 'count' | 'number' | 'Float64Array' | 'string'

/**
 * A native kernel: pass it to `executor.submit` or `executor.map` instead of a function. It
 * runs on a pool thread, in parallel with JavaScript. Typed arrays over a SharedArrayBuffer
 * are read in place; others are copied at submission (they could be detached meanwhile).
 * `A` is its argument list and `R` its result.
 */
export class Kernel<A extends unknown[] = unknown[], R = unknown> {
  /** Registry name, e.g. `'sumOfSquares'`. */
  readonly name: string
  /** Kind of each parameter, in order. */
  readonly params: readonly KernelParam[]
  /** @internal index in the native registry */
  readonly index: number
  /** @internal per parameter: passed as a number (in the batch's typed array) */
  readonly numeric: readonly boolean[]
  /** @internal some parameter is a Float64Array (copied at submission unless shared) */
  readonly hasArrays: boolean
  /** @internal phantom types */
  declare readonly __types?: { args: A; result: R }

  /** @internal kernels are created from the native registry only */
  constructor(name: string, index: number, params: readonly KernelParam[]) {
    this.name = name
    this.index = index
    this.params = Object.freeze([...params])
    this.numeric = Object.freeze(params.map((p) => p === 'count' || p === 'number'))
    this.hasArrays = params.includes('Float64Array')
    Object.freeze(this)
  }
}

/** The kernels this package ships, with their argument and result types. */
export interface Kernels {
  /** `spin(iterations)`: a deterministic CPU-bound loop (about 1 ns per iteration) returning a checksum. `spin(0)` is the cheapest task there is. */
  readonly spin: Kernel<[iterations: number], number>
  /** `sleep(ms)`: blocks its pool thread for `ms` milliseconds. */
  readonly sleep: Kernel<[ms: number], null>
  /** `sumOfSquares(data)`: the sum of x² over a Float64Array (read in place over a SharedArrayBuffer, else copied at submission). */
  readonly sumOfSquares: Kernel<[data: Float64Array], number>
  /** Kernels that fail on purpose, for testing error handling. */
  readonly testing: {
    /** Fails with a `KernelError` carrying `message`. */
    readonly fail: Kernel<[message: string], never>
    /** Panics with `message`; the executor rejects with `KernelPanicError`. */
    readonly panic: Kernel<[message: string], never>
  }
}

const registry = new Map<string, Kernel>(
  listNativeKernels().map((k) => [k.name, new Kernel(k.name, k.index, k.params as KernelParam[])]),
)

function required<A extends unknown[], R>(name: string): Kernel<A, R> {
  const kernel = registry.get(name)
  if (!kernel) throw new Error(`ferris-executor: the native addon has no kernel ${JSON.stringify(name)} (stale build?)`)
  return kernel as Kernel<A, R>
}

/** Every native kernel, by name: `kernels.spin`, `kernels.testing.fail`, ... */
export const kernels: Kernels = Object.freeze({
  spin: required<[iterations: number], number>('spin'),
  sleep: required<[ms: number], null>('sleep'),
  sumOfSquares: required<[data: Float64Array], number>('sumOfSquares'),
  testing: Object.freeze({
    fail: required<[message: string], never>('testing.fail'),
    panic: required<[message: string], never>('testing.panic'),
  }),
})

/** The kernel called `name` (e.g. `'testing.fail'`), or `undefined` if there is none. */
export function getKernel(name: string): Kernel | undefined {
  return typeof name === 'string' ? registry.get(name) : undefined
}

/** Every kernel, in registry order. */
export function listKernels(): Kernel[] {
  return [...registry.values()]
}

export function isKernel(value: unknown): value is Kernel {
  return value instanceof Kernel
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER

function checkArg(kernel: Kernel, param: KernelParam, value: unknown, position: number): void {
  const where = `${kernel.name}: argument ${position + 1}`
  switch (param) {
    case 'count':
      if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${typeof value}`)
      if (!Number.isInteger(value) || value < 0 || value > MAX_SAFE) {
        throw new RangeError(`${where} must be a non-negative safe integer, got ${value}`)
      }
      return
    case 'number':
      if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${typeof value}`)
      if (!Number.isFinite(value)) throw new RangeError(`${where} must be finite, got ${value}`)
      return
    case 'Float64Array':
      if (!(value instanceof Float64Array)) throw new TypeError(`${where} must be a Float64Array`)
      return
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`${where} must be a string, got ${typeof value}`)
      return
  }
}

/** Throws `TypeError`/`RangeError` unless `args` fit the kernel's parameters exactly. */
export function checkKernelArgs(kernel: Kernel, args: readonly unknown[]): void {
  if (args.length !== kernel.params.length) {
    throw new TypeError(`${kernel.name} takes ${kernel.params.length} argument(s), got ${args.length}`)
  }
  for (let i = 0; i < args.length; i++) checkArg(kernel, kernel.params[i]!, args[i], i)
}

/**
 * Checks one `map` item: the argument itself for a one-parameter kernel (checked without
 * wrapping it in an array: this runs once per item), else an array of arguments.
 */
export function checkKernelItem(kernel: Kernel, item: unknown): void {
  if (kernel.params.length === 1) return checkArg(kernel, kernel.params[0]!, item, 0)
  if (!Array.isArray(item)) throw new TypeError(`${kernel.name}: each item must be an array of ${kernel.params.length} arguments`)
  checkKernelArgs(kernel, item)
}
