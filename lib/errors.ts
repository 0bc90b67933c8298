/**
 * Error classes of ferris-executor. Each has a stable `code`; an error caused by another one
 * (an abort reason, say) keeps it as `cause`.
 */

/** Base class of every error the executor itself raises. */
export class ExecutorError extends Error {
  /** Stable machine-readable code, e.g. `ERR_QUEUE_FULL`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The task was cancelled before it started: by `future.cancel()`, an `AbortSignal` or `shutdown({ cancelPending: true })`. */
export class CancelledError extends ExecutorError {
  constructor(message = 'the task was cancelled', options?: { cause?: unknown }) {
    super('ERR_CANCELLED', message, options)
  }
}

/** A wait ran out of time (`result({ timeout })`, `wait`, `asCompleted`, `map`). */
export class TimeoutError extends ExecutorError {
  constructor(message = 'the operation timed out') {
    super('ERR_TIMEOUT', message)
  }
}

/** `queueCapacity` tasks are already waiting; the submission was refused. */
export class QueueFullError extends ExecutorError {
  readonly capacity: number

  constructor(capacity: number) {
    super('ERR_QUEUE_FULL', `the task queue is full (${capacity} tasks waiting)`)
    this.capacity = capacity
  }
}

/** The executor was shut down; it accepts no more work. */
export class ExecutorShutdownError extends ExecutorError {
  constructor() {
    super('ERR_EXECUTOR_SHUTDOWN', 'the executor has been shut down')
  }
}

/** A native kernel reported a failure. */
export class KernelError extends ExecutorError {
  /** Name of the kernel that failed. */
  readonly kernel: string

  constructor(kernel: string, message: string, code = 'ERR_KERNEL') {
    super(code, `${kernel}: ${message}`)
    this.kernel = kernel
  }
}

/** A native kernel panicked. The panic was contained: the worker thread lives on. */
export class KernelPanicError extends KernelError {
  constructor(kernel: string, message: string) {
    super(kernel, `panicked: ${message}`, 'ERR_KERNEL_PANIC')
  }
}
