/**
 * The extra tools of the release build and of `pack:check`, set up on first use into
 * target/tools/ (gitignored with the rest of target/) rather than as devDependencies, so that
 * a plain `npm install` in a clone pays for none of them. Each comes through its ordinary
 * client (pip, npm pack), which knows its registry; versions are pinned here, and a tool is set
 * up again when its pin changes. A set-up that fails half way leaves no tool behind.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { run } from './processes.mjs'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const TOOLS = join(ROOT, 'target', 'tools')

/** npm's own CLI script: it runs under whatever PATH and environment the caller sets. */
export function npmCli() {
  const candidates = [process.env.npm_execpath, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')]
  const found = candidates.find((p) => p && p.endsWith('.js') && existsSync(p))
  if (!found) throw new Error('cannot find npm-cli.js (run through `npm run ...`)')
  return found
}

/**
 * `target/tools/<name>`, made by `setUp(dir)` unless it is there already for this `pin`.
 * `setUp` works in a scratch directory that becomes the tool's only once it succeeded.
 */
export async function cachedTool(name, pin, setUp) {
  const dir = join(TOOLS, name)
  const stamp = join(dir, '.pin')
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pin) return dir
  const scratch = `${dir}.partial`
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  const started = performance.now()
  console.log(`setting up ${name} (${pin}) in ${dir}`)
  try {
    await setUp(scratch)
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true })
    throw error
  }
  writeFileSync(join(scratch, '.pin'), pin)
  rmSync(dir, { recursive: true, force: true })
  renameSync(scratch, dir)
  console.log(`set up ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return dir
}

/** A Python virtual environment with `requirements` (pinned `name==version` specs) installed by pip. */
export function pythonTool(name, requirements) {
  return cachedTool(name, requirements.join(' '), async (dir) => {
    await run('python3', ['-m', 'venv', dir], { timeoutMs: 120_000 })
    await run(join(dir, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--no-input', ...requirements], { timeoutMs: 600_000 })
  })
}

/** Fetches the tarball of `spec` (`name@version`) into `dir` with `npm pack`; returns its path. */
export async function npmPack(spec, dir) {
  const [info] = JSON.parse(await run(process.execPath, [npmCli(), 'pack', spec, '--json', '--pack-destination', dir], { cwd: dir, timeoutMs: 600_000 }))
  return join(dir, info.filename)
}

/**
 * The files of an npm package (`name@version`), fetched with `npm pack` and unpacked, without
 * installing it or its dependencies; returns the folder holding its package.json.
 */
export function npmPackageFiles(spec) {
  return cachedTool(spec.replace(/[/@]/g, '_'), spec, async (dir) => {
    const tarball = await npmPack(spec, dir)
    await run('tar', ['xzf', tarball, '-C', dir], { timeoutMs: 300_000 })
    rmSync(tarball)
  }).then((dir) => join(dir, 'package'))
}
