/**
 * Type tests of the published declarations: this file is only compiled (`tsc -p
 * __test__/tsconfig.json` in `npm test`), never run. It imports the package by its own name,
 * so TypeScript resolves it through package.json `exports` to the emitted `index.d.ts`, as a
 * user's project would. Each `@ts-expect-error` line must fail to compile (tsc reports an
 * unused one), and `expectType<T>()(value)` compiles only if `value` has exactly type `T`.
 */
import {
  Executor,
  Future,
  Kernel,
  getKernel,
  kernels,
  registerKernels,
  PluginError,
  type CompletedFuture,
  type PluginKernels,
  type KernelItem,
  type TaskArgs,
  type TaskItem,
  type TaskResult,
} from 'ferris-executor'

/** True if `X` and `Y` are the same type (mutual assignability is not enough: `any` passes it). */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false

/** `expectType<T>()(value)` compiles only if `value` is exactly of type `T`. */
declare function expectType<Expected>(): <Actual>(value: Actual, ...exact: Equal<Actual, Expected> extends true ? [] : [never]) => void

declare const executor: Executor
declare const data: Float64Array

// submit infers the result type from a kernel: Kernel<A, R> gives Future<R>.
expectType<Future<number>>()(executor.submit(kernels.sumOfSquares, [data]))
expectType<Future<number>>()(executor.submit(kernels.spin, [1_000]))
expectType<Future<null>>()(executor.submit(kernels.sleep, [5]))
expectType<Future<never>>()(executor.submit(kernels.testing.fail, ['boom']))
// A kernel found by name has unknown types, so any arguments compile and are checked at run time.
const byName = getKernel('spin')!
expectType<Future<unknown>>()(executor.submit(byName, [1]))

// ... and from a function, unwrapping promises and other thenables.
expectType<Future<string>>()(executor.submit(() => 'x'))
expectType<Future<number>>()(executor.submit(async () => 1))
expectType<Future<number>>()(executor.submit(() => Promise.resolve(1)))
expectType<Future<number>>()(executor.submit((a: number, b: number) => a + b, [1, 2]))
expectType<Future<boolean>>()(executor.submit((s: string) => Promise.resolve(s.length > 1), ['ab']))
expectType<Future<number>>()(executor.submit(() => executor.submit(kernels.spin, [1])))
expectType<Future<void>>()(executor.submit(() => {}, [], { priority: undefined }))
// Optional and rest parameters.
expectType<Future<number>>()(executor.submit((a?: number) => a ?? 0))
expectType<Future<number>>()(executor.submit((a?: number) => a ?? 0, [1]))
expectType<Future<number>>()(executor.submit((...xs: number[]) => xs.length, [1, 2, 3]))
// A readonly tuple is fine as arguments.
const pair = [1, 2] as const
expectType<Future<number>>()(executor.submit((a: number, b: number) => a + b, pair))

// submit checks args against the kernel's parameters ...
// @ts-expect-error a string is not a Float64Array
executor.submit(kernels.sumOfSquares, ['x'])
// @ts-expect-error one argument missing
executor.submit(kernels.spin, [])
// @ts-expect-error one argument too many
executor.submit(kernels.spin, [1, 2])
// @ts-expect-error a kernel's arguments are not optional
executor.submit(kernels.spin)
// ... and against the function's parameters.
// @ts-expect-error a string where a number is expected
executor.submit((a: number) => a * 2, ['x'])
// @ts-expect-error the function takes an argument
executor.submit((a: number) => a * 2)
// @ts-expect-error the function takes an argument
executor.submit((a: number) => a * 2, [])
// @ts-expect-error a second argument the function does not take
executor.submit((a: number) => a * 2, [1, 2])
// @ts-expect-error a function without parameters takes no arguments
executor.submit(() => 1, [1])
// @ts-expect-error neither a function nor a kernel
executor.submit(42, [])

// map/imap: the item type is the function's parameter, or a one-parameter kernel's argument.
expectType<Promise<number[]>>()(executor.map(kernels.spin, [1, 2, 3]))
expectType<Promise<number[]>>()(executor.map(kernels.sumOfSquares, [data, data]))
expectType<Promise<number[]>>()(executor.map(kernels.spin, new Float64Array(4)))
expectType<Promise<string[]>>()(executor.map((n: number) => n.toFixed(1), [1, 2]))
expectType<Promise<number[]>>()(executor.map(async (s: string) => s.length, ['a']))
// An unannotated parameter takes its type from the items.
expectType<Promise<number[]>>()(executor.map((n) => n * 2, [1, 2]))
expectType<AsyncIterableIterator<number>>()(executor.imap(kernels.spin, [1, 2]))
expectType<AsyncIterableIterator<string>>()(executor.imap(async (n: number) => String(n), (async function* () { yield 1 })()))
// The item rule as a type: the argument itself for one parameter, the argument list for several.
expectType<number>()(null! as KernelItem<[iterations: number]>)
expectType<[Float64Array, number]>()(null! as KernelItem<[Float64Array, number]>)
expectType<unknown>()(null! as KernelItem<unknown[]>)
// A kernel of several parameters takes the argument list as its item; optional ones may be left out.
expectType<Promise<number[]>>()(executor.map(kernels.dot, [[data, data]]))
expectType<Promise<Uint32Array[]>>()(executor.map(kernels.mandelbrot, [[8, 8, 100], [8, 8, 100, 0, 4]]))
expectType<Future<Uint8Array>>()(executor.submit(kernels.sha256, [new Uint8Array(4)]))
expectType<Future<Uint32Array>>()(executor.submit(kernels.mandelbrot, [8, 8, 100]))
// @ts-expect-error dot's item is the pair of arrays, not one array
void executor.map(kernels.dot, [data])
// @ts-expect-error mandelbrot needs at least width, height and maxIter
executor.submit(kernels.mandelbrot, [8, 8])
// @ts-expect-error sha256 reads bytes, not a Float64Array
executor.submit(kernels.sha256, [data])
// @ts-expect-error a one-parameter kernel takes the argument itself, not an array of it
void executor.map(kernels.spin, [[1], [2]])
// @ts-expect-error strings are not iteration counts
void executor.map(kernels.spin, ['1'])
// @ts-expect-error numbers are not Float64Arrays
void executor.map(kernels.sumOfSquares, [1, 2])
// @ts-expect-error the function takes numbers
void executor.map((n: number) => n, ['a'])
// @ts-expect-error map calls the function with one item: a second parameter would be undefined
void executor.map((a: number, b: number) => a + b, [1])
// @ts-expect-error strings are not iteration counts
void executor.imap(kernels.spin, ['1'])

// Kernel handles carry their argument and result types.
expectType<Kernel<[data: Float64Array], number>>()(kernels.sumOfSquares)
// @ts-expect-error a kernel of numbers is not a kernel of strings
const wrong: Kernel<[string], number> = kernels.spin
void wrong
// Every kernel is a Kernel (of unknown types), e.g. in a list.
const all: Kernel[] = [kernels.spin, kernels.sumOfSquares]
void all

// wait and asCompleted keep the future type; a `for await` element is the Future, not its result.
declare const futures: Future<number>[]
expectType<Promise<{ done: Future<number>[]; notDone: Future<number>[] }>>()(
  executor.wait(futures).then(({ done, notDone }) => ({ done, notDone })),
)
expectType<AsyncIterableIterator<CompletedFuture<number>>>()(executor.asCompleted(futures))
// Twice, in a function and in an arrow: TypeScript caches a type's iteration types after the
// first loop over it, and both computations must agree.
export async function forAwait(): Promise<void> {
  for await (const future of executor.asCompleted(futures)) {
    expectType<CompletedFuture<number>>()(future)
    expectType<Promise<number>>()(future.result())
    expectType<boolean>()(future === futures[0])
    // @ts-expect-error the element is the future, not its number
    future.toFixed()
  }
  for await (const future of executor.asCompleted(futures, { timeout: 10 })) expectType<CompletedFuture<number>>()(future)
  const step = await executor.asCompleted(futures).next()
  if (!step.done) expectType<CompletedFuture<number>>()(step.value)
}
export const forAwaitArrow = async (): Promise<void> => {
  for await (const future of executor.asCompleted(futures)) expectType<CompletedFuture<number>>()(future)
}
// Every Future is a CompletedFuture, so a list of the submitted futures can hold the elements too.
export const seen: CompletedFuture<number>[] = [...futures]

// failed() is part of the Future API, and of the futures asCompleted yields.
expectType<boolean>()(futures[0]!.failed())
export const failedCount = async (): Promise<number> => {
  let failed = 0
  for await (const future of executor.asCompleted(futures)) if (future.failed()) failed++
  return failed
}
// Misspelt options are refused by the types too (and by a TypeError at run time).
// @ts-expect-error timeOut is not an option of submit
executor.submit(() => 1, [], { timeOut: 5 })
// @ts-expect-error cancel_pending is not an option of shutdown
void executor.shutdown({ cancel_pending: true })

// registerKernels: the type parameter describes a plugin's kernels; without one they are untyped.
interface Example {
  readonly scale: Kernel<[data: Float64Array, factor: number], Float64Array>
  readonly fnv1a: Kernel<[bytes: Uint8Array], number>
}
declare const examplePath: string
const example = registerKernels<Example>(examplePath)
expectType<Future<Float64Array>>()(executor.submit(example.scale, [data, 2]))
expectType<Promise<number[]>>()(executor.map(example.fnv1a, [new Uint8Array(1)]))
// @ts-expect-error scale takes a Float64Array and a number
executor.submit(example.scale, [data])
// @ts-expect-error fnv1a's map items are Uint8Arrays
void executor.map(example.fnv1a, [1, 2])
expectType<PluginKernels>()(registerKernels(examplePath))
expectType<Kernel>()(registerKernels(examplePath)['anything'])
// @ts-expect-error the description must map names to kernels
registerKernels<{ scale: number }>(examplePath)
expectType<string>()(new PluginError('p', 'r').reason)

// The types submit, map and imap derive from a task.
expectType<[n: number]>()(null as unknown as TaskArgs<typeof kernels.spin>)
expectType<number>()(null as unknown as TaskResult<typeof kernels.spin>)
expectType<string>()(null as unknown as TaskResult<(n: number) => Promise<string>>)
expectType<Float64Array>()(null as unknown as TaskItem<typeof kernels.sumOfSquares>)
