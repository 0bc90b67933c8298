/**
 * Helpers of the worker-task specs: the fixture modules, and gates in shared memory that a
 * task on a worker thread waits on (a worker cannot await the test's promises).
 *
 * Every wait in a worker is bounded (`HOLD_MS`), and every gate is opened at teardown before
 * the executor shuts down, so a failed assertion never leaves a worker blocked for good.
 *
 * Not a spec file (ava only runs `*.spec.ts`).
 */
import type { ExecutionContext } from 'ava'

import { Executor, workerTask, type ExecutorOptions } from '../index.js'

/** The most a worker task waits on a gate: far beyond any test's need, short enough to end a broken run. */
export const HOLD_MS = 10_000

/** URL of a module in `__test__/fixtures`. */
export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url)
}

/**
 * Shared flags: `flags[i]` is 0 until the test (or a task) sets it; `started[i]` counts the
 * task runs that reached gate `i`. Both are views of one SharedArrayBuffer, so a worker task
 * given `flags` sees the test's writes and the test sees its writes.
 */
export interface SharedGates {
  readonly flags: Int32Array
  /** Opens gate `i`: every task waiting on it goes on. */
  open(i: number): void
  /** Opens every gate. */
  openAll(): void
}

export function sharedGates(count: number): SharedGates {
  const flags = new Int32Array(new SharedArrayBuffer(count * 4))
  const open = (i: number): void => {
    Atomics.store(flags, i, 1)
    Atomics.notify(flags, i)
  }
  return {
    flags,
    open,
    openAll: () => {
      for (let i = 0; i < count; i++) open(i)
    },
  }
}

/**
 * Runs on a worker: adds 1 to `flags[startedAt]` (the test sees the task has started), then
 * waits (up to `holdMs`) until `flags[gateAt]` is set; returns whether it was set (false: it
 * gave up waiting). Self-contained, as a `workerTask(fn)` must be.
 */
export const waitOnGate = workerTask((flags: Int32Array, startedAt: number, gateAt: number, holdMs: number): boolean => {
  Atomics.add(flags, startedAt, 1)
  Atomics.notify(flags, startedAt)
  const deadline = Date.now() + holdMs
  while (Atomics.load(flags, gateAt) === 0) {
    const left = deadline - Date.now()
    if (left <= 0) return false
    Atomics.wait(flags, gateAt, 0, left)
  }
  return true
})

/**
 * An executor for test `t` and its gates; at teardown every gate opens, then the executor
 * shuts down (cancelling what is queued).
 */
export function setupWorkers(t: ExecutionContext, options: ExecutorOptions, gateCount = 8): { executor: Executor; gates: SharedGates } {
  const executor = new Executor(options)
  const gates = sharedGates(gateCount)
  t.teardown(async () => {
    gates.openAll()
    await executor.shutdown({ cancelPending: true })
  })
  return { executor, gates }
}

/** Waits (in the main thread, without blocking it for long) until `flags[i]` reaches `value`. */
export async function waitForFlag(flags: Int32Array, i: number, value: number, what: string, timeoutMs = HOLD_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Atomics.load(flags, i) < value) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
