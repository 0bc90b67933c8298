/** The shape of `executor.getStats()`. */
import type { NativeStats, NativeSummary } from './binding.js'

/**
 * Distribution of durations in milliseconds (percentiles within about 6 %).
 *
 * ```ts
 * const { waitTime } = executor.getStats()
 * console.log(`median wait ${waitTime.p50} ms, worst ${waitTime.max} ms`)
 * ```
 */
export interface DurationSummary {
  /** Shortest. */
  min: number
  /** Arithmetic mean. */
  mean: number
  /** Median. */
  p50: number
  /** 90th percentile. */
  p90: number
  /** 99th percentile. */
  p99: number
  /** Longest. */
  max: number
}

/**
 * A snapshot of an executor, from `executor.getStats()`. Counts are of tasks; at rest
 * `submittedTasks = completedTasks + failedTasks + cancelledTasks`. Durations are in
 * milliseconds except `totalExecutionTime`, in seconds (as in PyFerris).
 *
 * ```ts
 * const stats = executor.getStats()
 * console.log(stats.completedTasks, stats.queuedByPriority.high, stats.runTime.p99, stats.utilization)
 * ```
 */
export interface ExecutorStats {
  /** The `maxWorkers` option: pool threads, and the most tasks running at once (a count). */
  maxWorkers: number
  /** The worker threads of `workerTask` functions. */
  workers: WorkerStats
  /**
   * Tasks running at the moment of the call (a count): kernels on pool threads, worker tasks
   * on worker threads, plus JS functions called on the main thread and not yet finished (an
   * async one until its promise settles).
   */
  activeThreads: number
  /** `maxWorkers - activeThreads` (a count). */
  idleThreads: number
  /** Tasks waiting to start (a count). */
  queuedTasks: number
  /** `queuedTasks` by priority (counts). */
  queuedByPriority: {
    /** Queued `TaskPriority.HIGH` tasks. */
    high: number
    /** Queued `TaskPriority.NORMAL` tasks. */
    normal: number
    /** Queued `TaskPriority.LOW` tasks. */
    low: number
  }
  /** Accepted submissions (refused ones are in `rejectedTasks` only). */
  submittedTasks: number
  /** Tasks that succeeded. */
  completedTasks: number
  /** Tasks that threw, rejected, timed out, or whose kernel failed or panicked. */
  failedTasks: number
  /** Tasks cancelled before they started, and worker tasks stopped while they ran because their `signal` aborted. */
  cancelledTasks: number
  /** Submissions refused: queue full, executor shut down, signal already aborted. */
  rejectedTasks: number
  /** Forked parts of kernels (see `kernels.sort`, `kernels.fib`) that an idle worker took from a busy one: the work-stealing at work (a count). */
  stolenTasks: number
  /** Seconds spent running tasks, summed over all tasks. */
  totalExecutionTime: number
  /** From submission to start, in ms. */
  waitTime: DurationSummary
  /** From start to finish, in ms (for JS tasks, until the returned promise settled). */
  runTime: DurationSummary
  /**
   * Milliseconds the longest-running task running now has been running (0 when none runs):
   * a native kernel since a pool thread took it, a JS function since it was called, until
   * its returned promise settles. A JS task whose promise never settles (and has no
   * `timeout`) holds its slot forever; this figure keeps growing and shows it.
   */
  oldestRunningMs: number
  /** Share of the workers' capacity spent running tasks since the executor started, a fraction from 0 to 1. */
  utilization: number
  /** Milliseconds since the executor started. */
  uptime: number
}

/**
 * The worker threads that run `workerTask` functions (counts), in `executor.getStats().workers`.
 *
 * ```ts
 * const { alive, busy, started, replaced } = executor.getStats().workers
 * console.log(`${busy}/${alive} workers busy; ${replaced} lost to crashes and stops`)
 * ```
 */
export interface WorkerStats {
  /** Running now (busy or idle). */
  alive: number
  /** Running a task now. */
  busy: number
  /** Spawned since the executor started, replacements included. */
  started: number
  /**
   * Workers that exited while the executor was open (a task crashed its worker, or was stopped
   * by its `timeout` or signal); a new one is spawned in place of each when a task next needs
   * it, and counts in `started`.
   */
  replaced: number
  /**
   * Workers that left on their own while the executor was open: recycled
   * (`maxTasksPerWorker`, `recycleWorkers()`) or idle (`idleTimeout`). Replaced too, as tasks
   * need them.
   */
  retired: number
}

/** Counts kept by the executor as its futures settle. */
export interface Counts {
  submitted: number
  completed: number
  failed: number
  cancelled: number
  rejected: number
}

function summary(s: NativeSummary): DurationSummary {
  return { min: s.min, mean: s.mean, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max }
}

/** `running`: tasks running now, and `oldestRunningMs` how long the oldest of them has run (0: none), from the runners. */
export function buildStats(native: NativeStats, counts: Counts, running: number, oldestRunningMs: number, workers: WorkerStats): ExecutorStats {
  const uptime = native.uptimeMs
  const busyMs = native.run.total
  return {
    maxWorkers: native.workers,
    workers,
    activeThreads: running,
    idleThreads: native.workers - running,
    queuedTasks: native.queued,
    queuedByPriority: { high: native.queuedHigh, normal: native.queuedNormal, low: native.queuedLow },
    submittedTasks: counts.submitted,
    completedTasks: counts.completed,
    failedTasks: counts.failed,
    cancelledTasks: counts.cancelled,
    rejectedTasks: counts.rejected,
    stolenTasks: native.stolen,
    totalExecutionTime: busyMs / 1000,
    waitTime: summary(native.wait),
    runTime: summary(native.run),
    oldestRunningMs,
    utilization: uptime > 0 ? Math.min(1, busyMs / (uptime * native.workers)) : 0,
    uptime,
  }
}
