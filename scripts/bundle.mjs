/**
 * Bundles the compiled JavaScript in dist/ (after `tsc`): one file per entry point (the package's
 * exports and the worker program, `lib/workers/isolate.js`) plus chunks of the code they share,
 * so that each module still exists once per process (`ferris-executor` and
 * `ferris-executor/worker` share `transfer`, say); the per-file modules are removed.
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
const ENTRIES = ['index', 'lib/worker/index', 'lib/bullmq/index', 'lib/workers/isolate', 'lib/addon']
const staging = join(root, 'dist-bundle')
rmSync(staging, { recursive: true, force: true })

const { metafile } = await build({
  entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, join(dist, `${e}.js`)])),
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
