/**
 * Type tests of `ferris-executor/bullmq`'s published declarations (compiled, never run),
 * imported by the package's subpath as a user's project would.
 */
import { Executor, Future, kernels, workerTask } from 'ferris-executor'
import { QueueExecutor, serve, type QueueStats, type Server } from 'ferris-executor/bullmq'

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
declare function expectType<Expected>(): <Actual>(value: Actual, ...exact: Equal<Actual, Expected> extends true ? [] : [never]) => void

const tasks = {
  spin: kernels.spin,
  dot: kernels.dot,
  greet: async (name: string) => `hello ${name}`,
  square: workerTask((n: number) => n * n),
  blur: workerTask<(pixels: Uint8Array, width: number) => Promise<Uint8Array>>(new URL('file:///work.js'), 'blur'),
}
const connection = { host: '127.0.0.1', port: 6379 }

expectType<Server>()(serve(new Executor(), { queue: 'q', connection, tasks }))
// @ts-expect-error a task must be a kernel or a function
serve(new Executor(), { queue: 'q', connection, tasks: { nope: 42 } })

// Typed by the served tasks: names, arguments and results.
const client = new QueueExecutor<typeof tasks>({ queue: 'q', connection })
expectType<Future<number>>()(client.submit('spin', [1_000]))
expectType<Future<string>>()(client.submit('greet', ['you']))
expectType<Future<number>>()(client.submit('dot', [new Float64Array(1), new Float64Array(1)], { timeout: 1_000 }))
expectType<Future<number>>()(client.submit('square', [3]))
expectType<Future<Uint8Array>>()(client.submit('blur', [new Uint8Array(4), 2]))
// @ts-expect-error a worker task's argument of the wrong type
client.submit('square', ['3'])
// @ts-expect-error an argument of the wrong type
client.submit('spin', ['many'])
// @ts-expect-error a name the tasks do not have
client.submit('nope', [])
expectType<Promise<number[]>>()(client.map('spin', [1, 2, 3]))
expectType<AsyncIterableIterator<string>>()(client.imap('greet', ['a', 'b']))
expectType<Promise<QueueStats>>()(client.getStats())

// Untyped: any name, any arguments, unknown results.
const untyped = new QueueExecutor({ queue: 'q', connection })
expectType<Future<unknown>>()(untyped.submit('anything', [1, 'two', { three: 3n }]))
