/**
 * The plugin libraries the specs load: the example plugin and the test plugin (both built by
 * `npm run build:plugins`, which `npm test` runs first), and variants of the C plugin of the
 * Rust tests, each breaking one rule, compiled here with the system C compiler (`$CC`, else
 * `cc`).
 *
 * Not a spec file (ava only runs `*.spec.ts`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { registerKernels, type Executor, type Future, type Kernel, type SubmitOptions } from '../index.js'
import { PACKAGE_ROOT } from './helpers.js'

/** File name of the shared library a cdylib crate called `crate` builds on this platform. */
export function libraryFile(crate: string): string {
  const stem = crate.replaceAll('-', '_')
  if (process.platform === 'win32') return `${stem}.dll`
  return `lib${stem}.${process.platform === 'darwin' ? 'dylib' : 'so'}`
}

function built(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:plugins\` first`)
  return path
}

/** examples/kernel-plugin: `scale`, `fnv1a`, `busy`. */
export const EXAMPLE_PLUGIN = built(
  join(PACKAGE_ROOT, 'examples', 'kernel-plugin', 'target', 'release', libraryFile('ferris-kernel-plugin-example')),
)

/** crates/test-plugin: `fixture.panic`, `fixture.panicInHalf`, `fixture.echo`. */
export const TEST_PLUGIN = built(join(PACKAGE_ROOT, 'target', 'release', libraryFile('ferris-test-plugin')))

const C_SOURCE = join(PACKAGE_ROOT, 'crates', 'kernels', 'tests', 'c', 'raw_plugin.c')

let scratch: string | undefined

/** A fresh directory for this process's files. */
export function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'ferris-plugin-spec-'))
  return scratch
}

/** The C plugin compiled with `defines` (e.g. `WRONG_VERSION`) into a library called `name`. */
export function compileC(name: string, defines: string[]): string {
  const out = join(scratchDir(), libraryFile(name))
  const compiler = process.env.CC ?? 'cc'
  execFileSync(compiler, ['-shared', '-fPIC', '-O2', '-o', out, C_SOURCE, ...defines.map((d) => `-D${d}`)], { stdio: 'pipe' })
  return out
}

/** A kernel task held on its pool thread until the spec calls `release()`. */
export interface HeldKernel {
  /** The kernel's future: running until released (or cancelled), then the number of polls. */
  readonly future: Future<number>
  release(): void
}

/**
 * Submits `fixture.hold` to `executor`: it occupies one slot, running, until `release()`.
 * A spec holds slots with it instead of a timed kernel such as `sleep(30)`, so a loaded
 * machine cannot end the hold before the spec has done what it needs under it.
 */
export function holdKernel(executor: Executor, options?: SubmitOptions): HeldKernel {
  const hold = registerKernels<{ 'fixture.hold': Kernel<[flag: Uint8Array], number> }>(TEST_PLUGIN)['fixture.hold']
  const flag = new Uint8Array(new SharedArrayBuffer(1))
  return { future: executor.submit(hold, [flag], options), release: () => Atomics.store(flag, 0, 1) }
}
