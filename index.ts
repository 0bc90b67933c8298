/**
 * ferris-executor: a task executor for Node.js with a Rust work-stealing thread pool.
 *
 * ```ts
 * import { Executor, kernels, TaskPriority, workerTask } from 'ferris-executor'
 *
 * await using executor = new Executor({ maxWorkers: 4 })
 * const checksum = await executor.submit(kernels.spin, [10_000_000], { priority: TaskPriority.HIGH })
 * const squares = await executor.map(workerTask((n: number) => n * n), [1, 2, 3]) // on worker threads
 * const status = await executor.submit(async (url: string) => (await fetch(url)).status, ['https://example.com'])
 * ```
 *
 * @module ferris-executor
 */
export {
  Executor,
  type SubmitOptions,
  type ShutdownOptions,
  type ReadyOptions,
  type ExecutorEvents,
  type Submittable,
  type SubmitRest,
  type TaskArgs,
  type TaskItem,
  type TaskResult,
} from './lib/executor.js'
export { Future, type WaitOptions } from './lib/future.js'
export { TaskPriority, WorkStealingScheduler, FifoScheduler, type Scheduler } from './lib/scheduling.js'
export { Kernel, kernels, getKernel, listKernels, type Kernels, type KernelParam, type KernelItem } from './lib/kernels.js'
export { registerKernels, type PluginKernels } from './lib/plugins.js'
export { WorkerTask, workerTask, type WorkerFunction, type WorkerTaskOf } from './lib/workers/worker-task.js'
export { transfer, type Transfer, type Transferable, type Unmoved } from './lib/worker/transfer.js'
export type { ExecutorOptions } from './lib/options.js'
export type { WorkerOptions } from './lib/workers/worker-options.js'
export type { ExecutorStats, DurationSummary, WorkerStats } from './lib/stats.js'
export type { BatchOptions, MapOptions, ImapOptions } from './lib/mapping.js'
export type { ReturnWhen, WaitForOptions, WaitResult, CompletedFuture } from './lib/waiting.js'
export {
  ExecutorError,
  CancelledError,
  TimeoutError,
  QueueFullError,
  ExecutorShutdownError,
  KernelError,
  KernelPanicError,
  PluginError,
  WorkerExitError,
} from './lib/errors.js'
