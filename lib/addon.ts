/**
 * Finds and loads the native addon, once per process (ES modules are evaluated once, and
 * `require('ferris-executor')` loads this same ES module, so every entry point shares it).
 *
 * Where it looks, in order (the napi-rs convention, for the targets in package.json `napi`):
 * 1. `ferris-executor.<platform>.node` in the package root (the directory of package.json, above
 *    `dist/` where this file is compiled to): a build from source (`npm run build`);
 * 2. the package `ferris-executor-<platform>`: the prebuilt binary, which npm installs from
 *    the root package's `optionalDependencies` on the one matching machine.
 * Otherwise it throws one error saying what it looked for and how to build from source.
 *
 * Written here rather than taken from napi's generated `native.js`, which tries every
 * platform napi-rs knows (WASI included) and ends in a generic "Cannot find native binding".
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import type * as Native from '../native.js'

/** What this layer uses of the addon (the declarations napi generates from `src/`). */
export type Addon = Pick<
  typeof Native,
  | 'NativeExecutor'
  | 'listKernels'
  | 'kernelIsa'
  | 'registerKernels'
  | 'cpuUsage'
  | 'memoryUsage'
  | 'TaskKind'
  | 'Refused'
  | 'EventKind'
  | 'META_KIND_SHIFT'
  | 'META_TIMED'
  | 'META_KERNEL_SHIFT'
  | 'WORKER_CHUNK'
  | 'WORKER_NUMBERS'
  | 'WORKER_ARGS_ON_PORT'
  | 'WORKER_TIMED'
  | 'WORKER_PROGRESS'
  | 'HEADER_FUNCTION'
  | 'HEADER_FLAGS'
  | 'HEADER_COUNT'
  | 'HEADER_ARGS'
  | 'WorkerPort'
  | 'defineWorkerFunction'
  | 'workerFunction'
>

const BINARY_NAME = 'ferris-executor'

/** Platforms with a prebuilt package: the napi `targets` of package.json, by napi-rs suffix. */
export const PREBUILT_PLATFORMS: readonly string[] = [
  'linux-x64-gnu',
  'linux-x64-musl',
  'linux-arm64-gnu',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
]

/** True on a Linux whose C library is musl (Alpine): its binaries differ from glibc ones. */
function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    // No ldd: ask Node, which reports the glibc version it runs on, if any.
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
    return report?.header?.glibcVersionRuntime === undefined
  }
}

/** The napi-rs platform suffix of this machine, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
export function platformSuffix(platform = process.platform, arch = process.arch, musl = platform === 'linux' && isMusl()): string {
  if (platform === 'linux') return `${platform}-${arch}-${musl ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  return `${platform}-${arch}`
}

/** Why the addon could not be loaded; `code` is stable, `cause` the last load failure. */
export class AddonLoadError extends Error {
  override name = 'AddonLoadError'
  readonly code = 'ERR_FERRIS_ADDON_NOT_FOUND'
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error)
}

function isNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string }
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${specifier}'`)
}

/** Loads the addon from `packageRoot` (the directory of package.json) or its platform package. */
export function loadAddon(packageRoot: string, suffix = platformSuffix()): Addon {
  const require = createRequire(`${packageRoot}/package.json`)
  const { version } = require('./package.json') as { version: string }
  const localFile = `${packageRoot}/${BINARY_NAME}.${suffix}.node`
  const packageName = `${BINARY_NAME}-${suffix}`
  const attempts: string[] = []
  let cause: unknown

  if (existsSync(localFile)) {
    try {
      return require(localFile) as Addon
    } catch (error) {
      attempts.push(`${localFile} (a build from source): ${describe(error)}`)
      cause = error
    }
  } else {
    attempts.push(`${localFile} (a build from source): not found`)
  }

  try {
    const found = (require(`${packageName}/package.json`) as { version: string }).version
    if (found !== version) {
      // The JS layer and the addon share an encoding of tasks and events: never mix versions.
      attempts.push(`the package ${packageName}: version ${found} is installed, ${BINARY_NAME} ${version} needs exactly ${version}`)
    } else {
      return require(packageName) as Addon
    }
  } catch (error) {
    const missing = isNotFound(error, `${packageName}/package.json`)
    attempts.push(`the package ${packageName} (the prebuilt binary): ${missing ? 'not installed' : describe(error)}`)
    if (!missing) cause = error
  }

  const [platform, arch, libc] = suffix.split('-')
  const prebuilt = PREBUILT_PLATFORMS.includes(suffix)
  const message = [
    `${BINARY_NAME}: no native addon for ${platform} ${arch}${libc ? ` (${libc === 'gnu' ? 'glibc' : libc})` : ''}. Looked for:`,
    ...attempts.map((a) => `  - ${a}`),
    prebuilt
      ? `npm installs ${packageName}@${version} as an optional dependency of ${BINARY_NAME}: reinstall without ` +
        `--omit=optional (if a lockfile made on another platform lacks it, remove node_modules and package-lock.json first).`
      : `No prebuilt binary exists for this platform (there are: ${PREBUILT_PLATFORMS.join(', ')}).`,
    `Or build from source: with Rust installed (https://rustup.rs), run \`npm install\` (which runs \`npm run build\`) in a clone ` +
      `of the ${BINARY_NAME} repository, and copy its ${BINARY_NAME}.${suffix}.node into ${packageRoot}.`,
  ].join('\n')
  throw new AddonLoadError(message, cause === undefined ? undefined : { cause })
}

/**
 * The nearest directory at or above `dir` holding a package.json: the package root whether this
 * module runs compiled (`dist/lib/addon.js`) or from source (`lib/addon.ts`, in the specs).
 */
export function packageRootOf(dir: string): string {
  for (let current = dir; ; ) {
    if (existsSync(join(current, 'package.json'))) return current
    const parent = dirname(current)
    if (parent === current) throw new AddonLoadError(`${BINARY_NAME}: no package.json at or above ${dir}`)
    current = parent
  }
}

/** The one loaded addon of this process. */
export const addon: Addon = loadAddon(packageRootOf(dirname(fileURLToPath(import.meta.url))))
