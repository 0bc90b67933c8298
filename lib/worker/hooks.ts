/**
 * The link between `ferris-executor/worker` (imported by users' task modules) and the worker
 * isolate's program (`lib/workers/isolate.ts`), which installs the hooks when it starts. It
 * goes through a global symbol rather than module state, so that it holds whichever copy of
 * this package a task module resolves (its own `node_modules`, a CommonJS `require`).
 */

/** What the worker program provides. */
export interface WorkerHooks {
  progress(value: unknown): void
  onTeardown(fn: () => unknown): void
}

const KEY = Symbol.for('ferris-executor.worker-hooks')

export function installWorkerHooks(hooks: WorkerHooks): void {
  ;(globalThis as { [KEY]?: WorkerHooks })[KEY] = hooks
}

/** The hooks of this thread, if it is a worker isolate of an executor. */
export function workerHooks(): WorkerHooks | undefined {
  return (globalThis as { [KEY]?: WorkerHooks })[KEY]
}
