/**
 * Bundles the compiled JavaScript in dist/ (after `tsc`): one file per entry point plus chunks
 * of the code they share; the per-file modules are removed. Two builds, one per kind of thread:
 * - the main thread's entries (`ferris-executor`, `ferris-executor/bullmq`, and `lib/addon`,
 *   read by a benchmark and a spec) share chunks, so that each stateful module (the errors'
 *   classes, `Future`, the addon) exists once per process: `instanceof` holds across them;
 * - the worker thread's (the worker program, `lib/workers/isolate.js`, and
 *   `ferris-executor/worker`) share chunks between themselves only. A worker thread has module
 *   instances of its own anyway, and what the two sides must agree on (the worker hooks, the
 *   `transfer` mark) is keyed by `Symbol.for`, so that copies interoperate. Sharing chunks
 *   across both builds split the main entry into seven files, each one more for Node's loader
 *   to resolve, read and compile at import.
 *
 * Why: Node's ES module loader pays per file (resolve, read, compile): importing 38 small
 * modules took ~3x as long as importing the same code in one file, and the import dominated
 * the time to a first worker-task result (issue 20; figures in `npm run bench:workers`, startup).
 * The declarations (`.d.ts`) stay one per source file. Dependencies (bullmq, ioredis) stay
 * external.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
// lib/addon: not exported, but bench:kernels and a spec's fixture read the addon's kernelIsa().
const MAIN_THREAD_ENTRIES = ['index', 'lib/bullmq/index', 'lib/addon']
const WORKER_THREAD_ENTRIES = ['lib/workers/isolate', 'lib/worker/index']
const staging = join(root, 'dist-bundle')
rmSync(staging, { recursive: true, force: true })

const bundle = (entries) =>
  build({
    entryPoints: Object.fromEntries(entries.map((e) => [e, join(dist, `${e}.js`)])),
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Shared chunks sit in dist/ itself, beside index.js: lib/workers/isolates.ts finds the worker
    // program relative to where its code lands (checked below).
    chunkNames: 'chunk-[hash]',
    define: { FERRIS_BUNDLED: 'true' },
    metafile: true,
    logLevel: 'warning',
  })
const { metafile } = await bundle(MAIN_THREAD_ENTRIES)
await bundle(WORKER_THREAD_ENTRIES)

// The code spawning workers must sit directly in dist/ for its `./lib/workers/isolate.js`.
const spawners = Object.entries(metafile.outputs).filter(([, output]) => Object.keys(output.inputs).some((i) => i.endsWith('lib/workers/isolates.js')))
for (const [file] of spawners) {
  if (relative(staging, join(root, file)).includes('/')) throw new Error(`bundle: lib/workers/isolates.js landed in ${file}, not directly in dist/`)
}

// Replace the per-file JavaScript by the bundle; keep the declarations.
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (entry.isFile() && entry.name.endsWith('.js')) rmSync(join(entry.parentPath ?? entry.path, entry.name))
}
for (const entry of readdirSync(staging, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue
  const from = join(entry.parentPath ?? entry.path, entry.name)
  const to = join(dist, relative(staging, from))
  mkdirSync(join(to, '..'), { recursive: true })
  renameSync(from, to)
}
rmSync(staging, { recursive: true, force: true })
