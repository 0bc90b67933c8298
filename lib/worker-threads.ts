/**
 * `node:worker_threads`, loaded on first use rather than at import: it pulls in `node:stream`
 * and `node:perf_hooks`, a few milliseconds of an import that an executor without worker
 * tasks (or before its first one) never needs. Types come from `import type`, which costs
 * nothing at run time.
 */
import { createRequire } from 'node:module'

type WorkerThreads = typeof import('node:worker_threads')

const require = createRequire(import.meta.url)
let loaded: WorkerThreads | undefined

export function workerThreads(): WorkerThreads {
  return (loaded ??= require('node:worker_threads') as WorkerThreads)
}

/** `worker_threads.SHARE_ENV`, which Node defines as this registered symbol. */
export const SHARE_ENV: typeof import('node:worker_threads').SHARE_ENV = Symbol.for('nodejs.worker_threads.SHARE_ENV') as never
