#!/usr/bin/env node
/**
 * `npm run build:release`: the addon as it is published. For Linux gnu targets that is a build
 * against glibc 2.17 (zig as the linker, through cargo-zigbuild: `napi build --target
 * <triple>.2.17 -x`), so that it loads on every Linux that Node 20 runs on; musl is linked by
 * zig too. zig and cargo-zigbuild come from PyPI, pinned, into target/tools/ on first use.
 * The result is checked with scripts/check-glibc.mjs before this exits.
 *
 *   node scripts/build-release.mjs [--target x86_64-unknown-linux-gnu] ...
 *
 * The build goes to a cargo target dir of its own (target/release-portable): with zig as the
 * linker of the host triple, cargo relinks even the build scripts, so sharing target/ with the
 * fast host build (`npm run build`) would make each rebuild everything the other built.
 */
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { GLIBC_FLOOR, inspectAddon } from './check-glibc.mjs'
import { run } from './lib/processes.mjs'
import { ROOT, TOOLS, pythonTool } from './lib/tool-cache.mjs'

/** zig and its cargo driver, pinned (the release workflow runs this same script). */
export const ZIG_REQUIREMENTS = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1']
const SUFFIXES = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-unknown-linux-musl': 'linux-x64-musl',
}

/** The cargo target dir of the builds linked by zig. */
export const PORTABLE_TARGET_DIR = join(ROOT, 'target', 'release-portable')

/** What cargo-zigbuild calls `triple` built for the oldest supported libc. */
export const zigTriple = (triple) => (triple.endsWith('-gnu') ? `${triple}.${GLIBC_FLOOR}` : triple)

/** The environment of a build linked by zig (set up on first use), in PORTABLE_TARGET_DIR. */
export async function zigEnv() {
  const zig = await pythonTool('zig', ZIG_REQUIREMENTS)
  return {
    ...process.env,
    // cargo-zigbuild finds zig as `python3 -m ziglang`: the venv's python must come first.
    PATH: [join(zig, 'bin'), process.env.PATH].join(delimiter),
    ZIG_GLOBAL_CACHE_DIR: join(TOOLS, 'zig-cache'),
    CARGO_TARGET_DIR: PORTABLE_TARGET_DIR,
  }
}

/** Builds the release addon for `triple` into the package root; returns its file and what check-glibc saw. */
export async function buildRelease(triple = 'x86_64-unknown-linux-gnu') {
  const suffix = SUFFIXES[triple]
  if (!suffix) throw new Error(`build-release: no portable build for ${triple} (known: ${Object.keys(SUFFIXES).join(', ')})`)
  const env = await zigEnv()
  const zigTarget = zigTriple(triple)
  const napi = join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  const started = performance.now()
  await run(
    process.execPath,
    [napi, 'build', '--platform', '--release', '--no-js', '--no-const-enum', '--dts', 'dist/native.d.ts', '--target', zigTarget, '-x'],
    { cwd: ROOT, env, inherit: true, timeoutMs: 45 * 60_000 },
  )
  const file = join(ROOT, `ferris-executor.${suffix}.node`)
  if (!existsSync(file)) throw new Error(`build-release: napi build made no ${file}`)
  const report = inspectAddon(file)
  if (triple.endsWith('-musl')) {
    report.problems = report.needed.filter((lib) => lib !== 'libc.so').map((lib) => `needs ${lib} (a musl addon needs only libc.so)`)
  }
  console.log(`build-release: ${triple} in ${((performance.now() - started) / 1000).toFixed(0)} s: ${file}
  max GLIBC_${report.maxGlibc ?? '(none)'}, NEEDED ${report.needed.join(' ')}`)
  if (report.problems.length > 0) throw new Error(`build-release: ${file} would not load on its oldest supported libc:\n  ${report.problems.join('\n  ')}`)
  return { file, ...report }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true, default: ['x86_64-unknown-linux-gnu'] } } })
  try {
    for (const triple of values.target) await buildRelease(triple)
  } catch (error) {
    console.error(error.message)
    process.exit(1)
  }
}
