#!/usr/bin/env node
/**
 * Would a Linux gnu addon load on an old glibc? Reads its dynamic section and dynamic symbols
 * with binutils' `readelf` and reports what would stop `dlopen` there:
 *
 * - a `GLIBC_x.y` symbol version above the floor (2.17 by default);
 * - a strong undefined symbol with no version at all. That is how a libc function the floor's
 *   glibc lacks looks once the addon is linked against that glibc (`gettid` before 2.30): a
 *   version check alone misses it, and as the addon is linked `BIND_NOW`, `dlopen` fails with
 *   `undefined symbol`. Weak ones are fine (Rust's std looks them up and falls back);
 * - a `NEEDED` library that is not part of glibc (or libgcc_s, which every glibc system has).
 *
 *   node scripts/check-glibc.mjs [--floor 2.17] FILE...   # exit 1 if any FILE has a problem
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** The glibc the release addon is built for (`napi build --target x86_64-unknown-linux-gnu.2.17`). */
export const GLIBC_FLOOR = '2.17'

/** glibc's own libraries (x86_64 and aarch64 loaders), and gcc's unwinder. */
const GLIBC_LIBRARIES = new Set([
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'libgcc_s.so.1',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
])

/**
 * The `NEEDED` libraries and undefined dynamic symbols of an ELF file, from `readelf -W -d`
 * and `readelf -W --dyn-syms` output.
 */
export function parseReadelf(dynamic, dynSyms) {
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1])
  const undefinedSymbols = []
  for (const line of dynSyms.split('\n')) {
    // "    12: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@GLIBC_2.14 (3)"
    const m = /^\s*\d+:\s+\S+\s+\d+\s+\S+\s+(\S+)\s+\S+\s+UND\s+([^\s@]+)(?:@+(\S+))?/.exec(line)
    if (m) undefinedSymbols.push({ binding: m[1], name: m[2], version: m[3] })
  }
  return { needed, undefinedSymbols }
}

const versionParts = (version) => version.split('.').map(Number)
const compareVersions = (a, b) => {
  const [x, y] = [versionParts(a), versionParts(b)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

/** The highest `GLIBC_x.y` version among `undefinedSymbols`, or undefined if none has one. */
export function maxGlibcVersion(undefinedSymbols) {
  let max
  for (const { version } of undefinedSymbols) {
    const v = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(version ?? '')?.[1]
    if (v && (max === undefined || compareVersions(v, max) > 0)) max = v
  }
  return max
}

/** Why an addon with these libraries and symbols would not load on glibc `floor`; empty if it would. */
export function glibcProblems({ needed, undefinedSymbols }, floor = GLIBC_FLOOR) {
  const problems = []
  for (const library of needed) if (!GLIBC_LIBRARIES.has(library)) problems.push(`needs ${library}, which is not part of glibc`)
  for (const { binding, name, version } of undefinedSymbols) {
    const glibc = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(version ?? '')?.[1]
    if (glibc && compareVersions(glibc, floor) > 0) problems.push(`${name}@${version} (newer than glibc ${floor})`)
    // napi's functions are looked up with dlsym at run time; were they linked, Node has them.
    else if (version === undefined && binding !== 'WEAK' && !/^(napi_|node_api_|uv_)/.test(name)) {
      problems.push(`${name} (undefined and unversioned: not in glibc ${floor}, so dlopen fails there)`)
    }
  }
  return problems
}

/** Reads `file` with readelf: its NEEDED libraries, undefined symbols, max GLIBC_ version and problems. */
export function inspectAddon(file, floor = GLIBC_FLOOR) {
  const readelf = (...args) => {
    const r = spawnSync('readelf', ['-W', ...args, file], { encoding: 'utf8' })
    if (r.error || r.status !== 0) throw new Error(`readelf ${args.join(' ')} ${file}: ${r.error?.message ?? r.stderr.trim()}`)
    return r.stdout
  }
  const parsed = parseReadelf(readelf('-d'), readelf('--dyn-syms'))
  return { ...parsed, maxGlibc: maxGlibcVersion(parsed.undefinedSymbols), problems: glibcProblems(parsed, floor) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { floor: { type: 'string', default: GLIBC_FLOOR } } })
  if (positionals.length === 0) {
    console.error('usage: node scripts/check-glibc.mjs [--floor 2.17] FILE...')
    process.exit(2)
  }
  let failed = false
  for (const file of positionals) {
    const { needed, maxGlibc, problems } = inspectAddon(file, values.floor)
    console.log(`${file}: max GLIBC_${maxGlibc ?? '(none)'}, NEEDED ${needed.join(' ')}`)
    for (const problem of problems) console.log(`  would not load on glibc ${values.floor}: ${problem}`)
    failed ||= problems.length > 0
  }
  process.exit(failed ? 1 : 0)
}
