/** Handles of the native kernels, and the checks of their arguments. */
import { type KernelInfo, listNativeKernels } from './binding.js'

/**
 * Kind of one kernel parameter, as the native registry declares it: `count` is a non-negative
 * safe integer, `number` a finite number.
 *
 * ```ts
 * const params: readonly KernelParam[] = kernels.sumOfSquares.params // ['Float64Array']
 * ```
 */
export type KernelParam = 'count' | 'number' | 'Float64Array' | 'Uint8Array' | 'string'

/** Key of a kernel's type-only member (no such symbol exists at run time). */
declare const kernelTypes: unique symbol

/**
 * A native kernel: pass it to `executor.submit` or `executor.map` instead of a function. It
 * runs on a pool thread, in parallel with JavaScript, and the bigger kernels split their work
 * over every worker. Typed arrays over a `SharedArrayBuffer` are read in place; others are
 * copied once at submission (an ordinary buffer could be transferred, and freed, while the
 * kernel reads it). Typed arrays a kernel returns are not copied. `A` is its argument list and
 * `R` its result.
 *
 * ```ts
 * const kernel: Kernel<[data: Float64Array], number> = kernels.sumOfSquares
 * const sum = await executor.submit(kernel, [new Float64Array([1, 2, 3])]) // 14, typed number
 * ```
 */
export class Kernel<A extends unknown[] = unknown[], R = unknown> {
  /** Registry name, e.g. `'sumOfSquares'`. */
  readonly name: string
  /** Kind of each parameter, in order. */
  readonly params: readonly KernelParam[]
  /** How many arguments a call must pass; the others are optional. */
  readonly required: number
  /** @internal index in the native registry */
  readonly index: number
  /** @internal per parameter: passed as a number (in the batch's typed array) */
  readonly numeric: readonly boolean[]
  /**
   * Type-only (never set): carries `A` and `R` into the published declarations, where
   * `submit` and `map` infer from them. It must not be tagged internal: declarations are
   * emitted without internal members, and every kernel would then have the same type.
   * @hidden
   */
  declare readonly [kernelTypes]?: { readonly args: A; readonly result: R }
  /** @internal some parameter is a typed array (copied at submission unless shared) */
  readonly hasArrays: boolean

  /** @internal kernels are created from the native registry only */
  constructor(name: string, index: number, params: readonly KernelParam[], required: number) {
    this.name = name
    this.index = index
    this.params = Object.freeze([...params])
    this.required = required
    this.numeric = Object.freeze(params.map((p) => p === 'count' || p === 'number'))
    this.hasArrays = params.includes('Float64Array') || params.includes('Uint8Array')
    Object.freeze(this)
  }
}

/**
 * The kernels this package ships, with their argument and result types.
 *
 * ```ts
 * const spin: Kernels['spin'] = kernels.spin
 * ```
 */
export interface Kernels {
  /** `spin(iterations)`: a deterministic CPU-bound loop (about 1 ns per iteration) returning a checksum. `spin(0)` is the cheapest task there is. */
  readonly spin: Kernel<[iterations: number], number>
  /** `sleep(ms)`: blocks its pool thread for `ms` milliseconds. */
  readonly sleep: Kernel<[ms: number], null>
  /** `sumOfSquares(data)`: the sum of x² over the array, split over the workers. */
  readonly sumOfSquares: Kernel<[data: Float64Array], number>
  /** `dot(a, b)`: the dot product of two arrays of the same length (else `KernelError`), split over the workers. */
  readonly dot: Kernel<[a: Float64Array, b: Float64Array], number>
  /** `matmul(a, b, n)`: the product of two n x n row-major matrices (each of n² elements, else `KernelError`), rows split over the workers. */
  readonly matmul: Kernel<[a: Float64Array, b: Float64Array, n: number], Float64Array>
  /**
   * `mandelbrot(width, height, maxIter, rowStart = 0, rowEnd = height)`: escape counts of the
   * rows `rowStart` to `rowEnd` (exclusive) of a `width` x `height` picture of x in [-2, 1],
   * y in [-1.5, 1.5], row by row. Pixel (px, py) is c = -2 + (px + 0.5) * 3 / width,
   * -1.5 + (py + 0.5) * 3 / height; its count is the number of steps z = z² + c from 0 until
   * |z|² > 4, at most `maxIter` (up to 2^24).
   */
  readonly mandelbrot: Kernel<
    [width: number, height: number, maxIter: number, rowStart?: number, rowEnd?: number],
    Uint32Array
  >
  /** `primeCount(lo, hi)`: how many primes lie in [lo, hi), by a segmented sieve split over the workers. */
  readonly primeCount: Kernel<[lo: number, hi: number], number>
  /** `sort(data)`: a sorted copy, ascending with NaN last (the order of `Float64Array.prototype.sort`), by a parallel merge sort. */
  readonly sort: Kernel<[data: Float64Array], Float64Array>
  /** `fib(n)`: the n-th Fibonacci number (n up to 78) by naive recursion that forks above n = 20: a fork-join benchmark. */
  readonly fib: Kernel<[n: number], number>
  /** `monteCarloPi(samples, seed)`: pi estimated from `samples` random points (1 to 2^40); the same for the same seed, whatever the worker count. */
  readonly monteCarloPi: Kernel<[samples: number, seed: number], number>
  /**
   * `histogram(data, bins, min, max)`: counts per bin; x goes to bin
   * `floor((x - min) / (max - min) * bins)`, x = max to the last one; values outside [min, max]
   * and NaN are dropped. `bins` is 1 to 2^24 and `min < max`.
   */
  readonly histogram: Kernel<[data: Float64Array, bins: number, min: number, max: number], Uint32Array>
  /** `sha256(data)`: the 32-byte SHA-256 digest (RustCrypto's `sha2`). */
  readonly sha256: Kernel<[data: Uint8Array], Uint8Array>
  /** Kernels that fail on purpose, for testing error handling. */
  readonly testing: {
    /** Fails with a `KernelError` carrying `message`. */
    readonly fail: Kernel<[message: string], never>
    /** Panics with `message`; the executor rejects with `KernelPanicError`. */
    readonly panic: Kernel<[message: string], never>
  }
}

const registry = new Map<string, Kernel>(
  listNativeKernels().map((k) => [k.name, new Kernel(k.name, k.index, k.params as KernelParam[], k.required)]),
)

/**
 * The handle of a kernel the native registry just added (a plugin's): the one this layer
 * already has for it, if any, so that registering a plugin twice gives the same handles.
 * @internal
 */
export function adoptKernel(info: KernelInfo): Kernel {
  const known = registry.get(info.name)
  if (known?.index === info.index) return known
  const kernel = new Kernel(info.name, info.index, info.params as KernelParam[], info.required)
  registry.set(info.name, kernel)
  return kernel
}

/** The registry's kernel `name`, typed by the `Kernels` entry it backs. */
function required<K extends Kernel>(name: string): K {
  const kernel = registry.get(name)
  if (!kernel) throw new Error(`ferris-executor: the native addon has no kernel ${JSON.stringify(name)} (stale build?)`)
  return kernel as K
}

/**
 * Every native kernel, by name: `kernels.spin`, `kernels.testing.fail`, ...
 *
 * ```ts
 * const checksums = await executor.map(kernels.spin, [1e6, 2e6])
 * ```
 */
export const kernels: Kernels = Object.freeze({
  spin: required<Kernels['spin']>('spin'),
  sleep: required<Kernels['sleep']>('sleep'),
  sumOfSquares: required<Kernels['sumOfSquares']>('sumOfSquares'),
  dot: required<Kernels['dot']>('dot'),
  matmul: required<Kernels['matmul']>('matmul'),
  mandelbrot: required<Kernels['mandelbrot']>('mandelbrot'),
  primeCount: required<Kernels['primeCount']>('primeCount'),
  sort: required<Kernels['sort']>('sort'),
  fib: required<Kernels['fib']>('fib'),
  monteCarloPi: required<Kernels['monteCarloPi']>('monteCarloPi'),
  histogram: required<Kernels['histogram']>('histogram'),
  sha256: required<Kernels['sha256']>('sha256'),
  testing: Object.freeze({
    fail: required<Kernels['testing']['fail']>('testing.fail'),
    panic: required<Kernels['testing']['panic']>('testing.panic'),
  }),
})

/**
 * The kernel called `name` (e.g. `'testing.fail'`), or `undefined` if there is none. Its types
 * are unknown statically: its arguments are checked at submission.
 *
 * ```ts
 * const kernel = getKernel(process.argv[2] ?? 'spin')
 * if (kernel) console.log(await executor.submit(kernel, [1000]))
 * ```
 */
export function getKernel(name: string): Kernel | undefined {
  return typeof name === 'string' ? registry.get(name) : undefined
}

/**
 * Every kernel, in registry order.
 *
 * ```ts
 * for (const kernel of listKernels()) console.log(kernel.name, kernel.params.join(', '))
 * ```
 */
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
      return checkAttached(value, where)
    case 'Uint8Array':
      // A Node.js Buffer is a Uint8Array.
      if (!(value instanceof Uint8Array)) throw new TypeError(`${where} must be a Uint8Array`)
      return checkAttached(value, where)
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`${where} must be a string, got ${typeof value}`)
      return
  }
}

/**
 * Refuses a typed array whose buffer was detached (transferred away): it reads as empty, which
 * would silently compute over nothing. Only an empty view can be detached, so only those pay
 * for the check (constructing a view of a detached buffer throws).
 */
function checkAttached(value: Float64Array | Uint8Array, where: string): void {
  if (value.byteLength !== 0 || value.buffer instanceof SharedArrayBuffer) return
  try {
    new Uint8Array(value.buffer)
  } catch {
    throw new TypeError(`${where} is detached: its buffer was transferred`)
  }
}

/**
 * Throws `TypeError`/`RangeError` unless `args` fit the kernel's parameters. An optional
 * argument may be left out or `undefined`.
 */
export function checkKernelArgs(kernel: Kernel, args: readonly unknown[]): void {
  const { required, params } = kernel
  if (args.length < required || args.length > params.length) {
    const expected = required === params.length ? `${required}` : `${required} to ${params.length}`
    throw new TypeError(`${kernel.name} takes ${expected} argument(s), got ${args.length}`)
  }
  for (let i = 0; i < args.length; i++) {
    if (i >= required && args[i] === undefined) continue
    checkArg(kernel, params[i]!, args[i], i)
  }
}

/**
 * What `map` and `imap` take as one item for a kernel with arguments `A`: the argument itself
 * for a one-parameter kernel, else the array of arguments (the rule of `checkKernelItem`);
 * `unknown` for a kernel whose arguments are not known statically (`getKernel`).
 *
 * ```ts
 * const item: KernelItem<[iterations: number]> = 1000 // spin's map items are numbers
 * ```
 */
export type KernelItem<A extends unknown[]> = number extends A['length'] ? unknown : A extends [infer Only] ? Only : A

/**
 * Checks one `map` item: the argument itself for a one-parameter kernel (checked without
 * wrapping it in an array: this runs once per item), else an array of arguments.
 */
export function checkKernelItem(kernel: Kernel, item: unknown): void {
  if (kernel.params.length === 1) return checkArg(kernel, kernel.params[0]!, item, 0)
  if (!Array.isArray(item)) throw new TypeError(`${kernel.name}: each item must be an array of ${kernel.params.length} arguments`)
  checkKernelArgs(kernel, item)
}
