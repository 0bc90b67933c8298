/**
 * `npm run build`, unless the build in place was made from the sources as they are now: what
 * `prepare` (on `npm install`) and `pretest` run, so that `npm test` right after `npm install`
 * does not build everything again (a full build cleans dist/ and recompiles the TypeScript).
 *
 * Rule: the build writes a stamp (dist/.build-stamp) holding a hash of every input of the
 * build (each file's path and contents, the Node version and platform); the build is reused
 * only when that hash is the one of the inputs now and every output exists. Any change to a
 * source, a manifest, a lock file, the build scripts or the toolchain's Node makes it stale,
 * and a stale or missing stamp always means a full build: never a stale build served.
 * `npm run build` itself always builds (and stamps).
 */
import { createHash } from 'node:crypto'
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Files and directories whose contents the build reads (directories walked, `target` and `node_modules` left out). */
export const INPUTS = [
  'index.ts',
  'lib',
  'src',
  'crates',
  'build.rs',
  'Cargo.toml',
  'Cargo.lock',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/bundle.mjs',
  'scripts/build-if-stale.mjs',
]
/** What the build leaves, besides the stamp: the bundle, its declarations, the addon and its types. */
export const OUTPUTS = ['dist/index.js', 'dist/index.d.ts', 'dist/native.d.ts', 'dist/lib/workers/isolate.js']
export const STAMP = 'dist/.build-stamp'

const SKIPPED = new Set(['target', 'node_modules'])

function walk(root, path, files) {
  const entries = readdirSync(join(root, path), { withFileTypes: true })
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (SKIPPED.has(entry.name)) continue
    const child = join(path, entry.name)
    if (entry.isDirectory()) walk(root, child, files)
    else if (entry.isFile()) files.push(child)
  }
}

/** The hash of the build's inputs in `root`. */
export function inputsHash(root) {
  const files = []
  for (const input of INPUTS) {
    const full = join(root, input)
    if (!existsSync(full)) continue
    if (statSync(full).isDirectory()) walk(root, input, files)
    else files.push(input)
  }
  const hash = createHash('sha256').update(`${process.version} ${process.platform} ${process.arch}\n`)
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0')
  return hash.digest('hex')
}

/** The native addon napi writes at the root (its name carries the platform). */
function hasAddon(root) {
  return readdirSync(root).some((name) => name.startsWith('ferris-executor.') && name.endsWith('.node'))
}

/** Why the build in `root` must be made again, or `undefined` if it is up to date. */
export function staleReason(root) {
  const stamp = join(root, STAMP)
  if (!existsSync(stamp)) return 'no build stamp'
  for (const output of OUTPUTS) if (!existsSync(join(root, output))) return `${output} is missing`
  if (!hasAddon(root)) return 'the native addon is missing'
  if (readFileSync(stamp, 'utf8').trim() !== inputsHash(root)) return 'the sources changed since the last build'
  return undefined
}

/** Records that the build in `root` was made from its inputs as they are now. */
export function writeStamp(root) {
  writeFileSync(join(root, STAMP), `${inputsHash(root)}\n`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  if (process.argv[2] === '--stamp') {
    writeStamp(root)
  } else {
    const reason = staleReason(root)
    if (reason === undefined) {
      console.log('build: up to date (dist/.build-stamp matches the sources)')
    } else {
      console.log(`build: ${reason}; building`)
      execSync('npm run build', { cwd: root, stdio: 'inherit' })
    }
  }
}
