/**
 * Error classes of ferris-executor. Each has a stable `code`; an error caused by another one
 * (an abort reason, say) keeps it as `cause`.
 */

/**
 * Base class of every error the executor itself raises.
 *
 * ```ts
 * try {
 *   await executor.submit(kernels.testing.fail, ['boom'])
 * } catch (error) {
 *   if (error instanceof ExecutorError) console.log(error.code) // 'ERR_KERNEL'
 * }
 * ```
 */
export class ExecutorError extends Error {
  /** Stable machine-readable code, e.g. `ERR_QUEUE_FULL`. */
  readonly code: string

  /** For the subclasses; `options.cause` is the error that led to this one. */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * The task was cancelled before it started: by `future.cancel()`, an `AbortSignal` or
 * `shutdown({ cancelPending: true })`; or it was a worker task whose `AbortSignal` aborted
 * while it ran (its worker was terminated). Its `cause` is the abort reason, if any.
 *
 * ```ts
 * const future = executor.submit(kernels.sleep, [100], { signal: AbortSignal.timeout(10) })
 * await future.catch((error) => console.log(error instanceof CancelledError)) // true if it had not started
 * ```
 */
export class CancelledError extends ExecutorError {
  /** Raised by the executor; code `ERR_CANCELLED`. */
  constructor(message = 'the task was cancelled', options?: { cause?: unknown }) {
    super('ERR_CANCELLED', message, options)
  }
}

/**
 * A wait ran out of time (`result({ timeout })`, `asCompleted`, `map`), or a task its run-time
 * limit (`submit`'s `timeout`).
 *
 * ```ts
 * await executor.submit(kernels.sleep, [1000]).result({ timeout: 10 }) // throws TimeoutError
 * ```
 */
export class TimeoutError extends ExecutorError {
  /** Raised by the executor; code `ERR_TIMEOUT`. `options.cause`: what a late task threw, if anything. */
  constructor(message = 'the operation timed out', options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', message, options)
  }
}

/**
 * `queueCapacity` tasks are already waiting beyond the `maxWorkers` running (or about to run);
 * the submission was refused (synchronously).
 *
 * ```ts
 * const executor = new Executor({ maxWorkers: 1, queueCapacity: 1 })
 * executor.submit(kernels.sleep, [50])
 * executor.submit(kernels.sleep, [50])
 * executor.submit(kernels.sleep, [50]) // throws QueueFullError (capacity 1)
 * ```
 */
export class QueueFullError extends ExecutorError {
  /** The executor's `queueCapacity`. */
  readonly capacity: number

  /** Raised by the executor; code `ERR_QUEUE_FULL`. */
  constructor(capacity: number) {
    super('ERR_QUEUE_FULL', `the task queue is full (${capacity} tasks waiting)`)
    this.capacity = capacity
  }
}

/**
 * The executor was shut down; it accepts no more work. Also the error of a task that was
 * running when `destroy()` (or `shutdown({ timeout })` running out) stopped it.
 *
 * ```ts
 * await executor.shutdown()
 * executor.submit(() => 1) // throws ExecutorShutdownError
 * ```
 */
export class ExecutorShutdownError extends ExecutorError {
  /** Raised by the executor; code `ERR_EXECUTOR_SHUTDOWN`. */
  constructor(message = 'the executor has been shut down') {
    super('ERR_EXECUTOR_SHUTDOWN', message)
  }
}

/**
 * A native kernel reported a failure.
 *
 * ```ts
 * const error = await executor.submit(kernels.testing.fail, ['boom']).exception()
 * console.log(error instanceof KernelError && error.kernel) // 'testing.fail'
 * ```
 */
export class KernelError extends ExecutorError {
  /** Name of the kernel that failed. */
  readonly kernel: string

  /** Raised by the executor; code `ERR_KERNEL` (`ERR_KERNEL_PANIC` for a panic). */
  constructor(kernel: string, message: string, code = 'ERR_KERNEL') {
    super(code, `${kernel}: ${message}`)
    this.kernel = kernel
  }
}

/**
 * A native kernel panicked. The panic was contained: the worker thread lives on.
 *
 * ```ts
 * const error = await executor.submit(kernels.testing.panic, ['oops']).exception()
 * console.log(error instanceof KernelPanicError) // true
 * ```
 */
export class KernelPanicError extends KernelError {
  /** Raised by the executor; code `ERR_KERNEL_PANIC`. */
  constructor(kernel: string, message: string) {
    super(kernel, `panicked: ${message}`, 'ERR_KERNEL_PANIC')
  }
}

/**
 * `registerKernels(path)` could not register the plugin library at `path`: `reason` says why
 * (no such file, not a loadable shared library, no entry point, another ABI version, a name
 * already registered, an unknown parameter kind). Nothing of it was registered. The native
 * error is kept as `cause`.
 *
 * ```ts
 * try {
 *   registerKernels('./missing/libmy_kernels.so')
 * } catch (error) {
 *   if (error instanceof PluginError) console.log(error.reason) // 'no such file'
 * }
 * ```
 */
export class PluginError extends ExecutorError {
  /** The path given to `registerKernels`. */
  readonly path: string
  /** Why the library was refused. */
  readonly reason: string

  /** Raised by `registerKernels`; code `ERR_FERRIS_PLUGIN`. */
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_FERRIS_PLUGIN', `cannot register the kernels of ${path}: ${reason}`, options)
    this.path = path
    this.reason = reason
  }
}

/**
 * The worker thread running a worker task exited before the task settled: the task called
 * `process.exit()`, an exception escaped from a timer or callback it left behind, or the
 * worker ran out of memory (`resourceLimits`). Only that task fails; a new worker takes the
 * place of the lost one when a task next needs it.
 * Code `ERR_FERRIS_WORKER_EXIT`; `exitCode` is the worker's exit code, `cause` what it
 * reported before exiting, if anything.
 *
 * ```ts
 * const exit = workerTask(() => process.exit(3))
 * await executor.submit(exit, []).catch((e: WorkerExitError) => e.exitCode) // 3
 * ```
 */
export class WorkerExitError extends ExecutorError {
  /** The worker thread's exit code: what the task passed to `process.exit()`, or 1 for an uncaught exception or running out of memory. */
  readonly exitCode: number

  /** Raised by the executor; code `ERR_FERRIS_WORKER_EXIT`. `cause`: the error the worker reported before exiting, if any. */
  constructor(exitCode: number, message?: string, cause?: unknown) {
    super('ERR_FERRIS_WORKER_EXIT', message ?? `the worker running the task exited with code ${exitCode}`, cause === undefined ? undefined : { cause })
    this.exitCode = exitCode
  }
}
