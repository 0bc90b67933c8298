#!/usr/bin/env node
/**
 * Keeps the platform packages (npm/<platform>/, the napi-rs convention) in step with the root
 * package: one per napi target, with its os/cpu/libc, the same version, and the root's
 * exact-version optionalDependencies on each. `npm version` runs it (the "version" script).
 *
 *   node scripts/sync-platform-packages.mjs          # rewrite npm/*\/package.json and the root's optionalDependencies
 *   node scripts/sync-platform-packages.mjs --check  # exit 1, listing the differences, if anything is out of step
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** napi-rs target triple -> platform suffix, npm os/cpu/libc, and the name people know it by. */
const TARGETS = {
  'x86_64-unknown-linux-gnu': { suffix: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', label: 'Linux x64 (glibc)' },
  'x86_64-unknown-linux-musl': { suffix: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', label: 'Linux x64 (musl, e.g. Alpine)' },
  'aarch64-unknown-linux-gnu': { suffix: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', label: 'Linux arm64 (glibc)' },
  'x86_64-apple-darwin': { suffix: 'darwin-x64', os: 'darwin', cpu: 'x64', label: 'macOS x64' },
  'aarch64-apple-darwin': { suffix: 'darwin-arm64', os: 'darwin', cpu: 'arm64', label: 'macOS arm64 (Apple silicon)' },
  'x86_64-pc-windows-msvc': { suffix: 'win32-x64-msvc', os: 'win32', cpu: 'x64', label: 'Windows x64' },
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const toText = (value) => `${JSON.stringify(value, null, 2)}\n`

/** Every file this script owns, with the content it should have. */
export function expectedFiles() {
  const pkg = readJson(join(root, 'package.json'))
  const { binaryName, targets } = pkg.napi
  const files = new Map()
  const optional = {}
  for (const triple of targets) {
    const target = TARGETS[triple]
    if (target === undefined) throw new Error(`sync-platform-packages: no entry for napi target ${triple}; add it to TARGETS`)
    const name = `${binaryName}-${target.suffix}`
    const binary = `${binaryName}.${target.suffix}.node`
    optional[name] = pkg.version
    files.set(
      join(root, 'npm', target.suffix, 'package.json'),
      toText({
        name,
        version: pkg.version,
        description: `The prebuilt ${binaryName} addon for ${target.label}`,
        license: pkg.license,
        os: [target.os],
        cpu: [target.cpu],
        ...(target.libc ? { libc: [target.libc] } : {}),
        main: binary,
        files: [binary],
        engines: pkg.engines,
      }),
    )
    files.set(
      join(root, 'npm', target.suffix, 'README.md'),
      `# ${name}\n\nThe prebuilt native addon of \`${binaryName}\` for ${target.label}, target \`${triple}\`.\n` +
        `Install \`${binaryName}\`, not this package: npm picks the platform package that matches.\n`,
    )
  }
  // Sorted by name, as npm writes dependencies when it saves package.json.
  const sorted = Object.fromEntries(Object.entries(optional).sort(([a], [b]) => (a < b ? -1 : 1)))
  files.set(join(root, 'package.json'), toText({ ...pkg, optionalDependencies: sorted }))
  return files
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  const stale = []
  for (const [file, content] of expectedFiles()) {
    if (existsSync(file) && readFileSync(file, 'utf8') === content) continue
    stale.push(file)
    if (!check) {
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, content)
    }
  }
  if (check && stale.length > 0) {
    console.error(`out of step with package.json (run node scripts/sync-platform-packages.mjs):\n  ${stale.join('\n  ')}`)
    process.exit(1)
  }
  if (!check) console.log(stale.length === 0 ? 'platform packages already in step' : `updated:\n  ${stale.join('\n  ')}`)
}
