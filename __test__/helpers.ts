/**
 * Shared helpers of the specs: gates (promises the test opens), polling with a deadline,
 * the xorshift64 twin of `kernels.spin`, and running Node scripts in a child process.
 *
 * Not a spec file (ava only runs `*.spec.ts`).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import type { ExecutionContext } from 'ava'

import { Executor, type ExecutorOptions } from '../index.js'

/** A promise the test resolves when it chooses: JS tasks await it to hold their slot. */
export interface Gate {
  readonly promise: Promise<void>
  open(): void
  readonly isOpen: boolean
}

export function gate(): Gate {
  let resolveFn!: () => void
  let isOpen = false
  const promise = new Promise<void>((r) => (resolveFn = r))
  return {
    promise,
    open() {
      isOpen = true
      resolveFn()
    },
    get isOpen() {
      return isOpen
    },
  }
}

/**
 * A new executor for test `t`, and a `gate()` factory whose gates are all opened at teardown,
 * before the executor is shut down (cancelling what is still queued): a failed assertion never
 * leaves a gated task that would make the shutdown wait forever.
 */
export function setup(t: ExecutionContext, options?: ExecutorOptions): { executor: Executor; gate: () => Gate } {
  const executor = new Executor(options)
  const gates: Gate[] = []
  t.teardown(async () => {
    for (const g of gates) g.open()
    await executor.shutdown({ cancelPending: true })
  })
  return {
    executor,
    gate: () => {
      const g = gate()
      gates.push(g)
      return g
    },
  }
}

/** A JS timer. Used only to leave a window in which a misbehaving executor would misbehave, never to assert durations. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Lets pending microtasks, immediates and short timers run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((r) => setImmediate(r))
    await delay(1)
  }
}

/** Polls `condition` every few ms; throws if it is not true within `timeoutMs` (a generous deadline, not a timing assertion). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await delay(2)
  }
}

/** Waits until the executor has nothing running or queued. */
export async function waitForRest(executor: Executor, timeoutMs = 10_000): Promise<void> {
  await waitUntil(
    () => {
      const s = executor.getStats()
      return s.activeThreads === 0 && s.queuedTasks === 0
    },
    'the executor to be at rest',
    timeoutMs,
  )
}

const MASK = (1n << 64n) - 1n
export const SPIN_SEED = 0x9e3779b97f4a7c15n

/** Independent JS twin of `kernels.spin(n)`: xorshift64 (13, 7, 17) from SPIN_SEED, result = state >> 11. */
export function spinTwin(n: number): number {
  let x = SPIN_SEED
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & MASK
    x ^= x >> 7n
    x ^= (x << 17n) & MASK
  }
  return Number(x >> 11n)
}

/**
 * Asserts that `fn` fails with an error matching `check`, whether it throws synchronously or
 * returns a rejected promise (for APIs whose contract does not say which).
 */
export async function throwsOrRejects<E>(
  t: ExecutionContext,
  fn: () => unknown,
  check: (error: unknown) => error is E,
  message: string,
): Promise<E | undefined> {
  let result: unknown
  try {
    result = fn()
  } catch (error) {
    t.true(check(error), `${message}: wrong error thrown: ${String(error)}`)
    return check(error) ? error : undefined
  }
  try {
    await result
  } catch (error) {
    t.true(check(error), `${message}: wrong rejection: ${String(error)}`)
    return check(error) ? error : undefined
  }
  t.fail(`${message}: neither threw nor rejected`)
  return undefined
}

export function isTypeOrRangeError(error: unknown): error is TypeError | RangeError {
  return error instanceof TypeError || error instanceof RangeError
}

/** The package's root directory (where package.json is). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** `node_modules/ferris-executor` in `dir`, linked to this checkout (to load the package by its name). */
export function linkPackage(dir: string): void {
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(PACKAGE_ROOT, join(dir, 'node_modules', 'ferris-executor'), 'dir')
}

/** File URL of the compiled package entry point (`dist/index.js`, built by `npm run build`). */
export const PACKAGE_URL = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'index.js')).href

export interface ScriptResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** True if the child had to be killed because it did not exit within the timeout. */
  timedOut: boolean
}

/**
 * Writes `files` (name -> source; `{{PACKAGE}}` is replaced by the JSON string of the package's
 * file URL) to a fresh temp dir, lets `prepare` add to it, and runs `main` in a plain `node`
 * child (no TS loader unless `nodeArgs` asks for one), killing it after `timeoutMs`.
 */
export async function runScripts(
  files: Record<string, string>,
  main: string,
  timeoutMs = 20_000,
  prepare?: (dir: string) => void,
  nodeArgs: readonly string[] = [],
): Promise<ScriptResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ferris-executor-test-'))
  try {
    prepare?.(dir)
    for (const [name, source] of Object.entries(files)) {
      writeFileSync(join(dir, name), source.replaceAll('{{PACKAGE}}', JSON.stringify(PACKAGE_URL)))
    }
    return await runNode([...nodeArgs, join(dir, main)], timeoutMs, dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs plain `node` (no TS loader) with `args` in `cwd`, killing it after `timeoutMs`. */
export function runNode(args: string[], timeoutMs = 20_000, cwd = process.cwd()): Promise<ScriptResult> {
  return new Promise<ScriptResult>((resolvePromise, reject) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout, stderr, timedOut })
    })
  })
}

/** Runs one ESM script (see `runScripts`). */
export function runScript(source: string, timeoutMs = 20_000): Promise<ScriptResult> {
  return runScripts({ 'main.mjs': source }, 'main.mjs', timeoutMs)
}

/** A readable summary of a child run, for assertion messages. */
export function describeRun(r: ScriptResult): string {
  return `code=${r.code} signal=${r.signal} timedOut=${r.timedOut}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
}
