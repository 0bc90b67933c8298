/**
 * `npm test` after `npm install` reuses the build `npm install` just made (`prepare` and
 * `pretest` run scripts/build-if-stale.mjs), and rebuilds whenever an input changed or an
 * output is missing: checked on a copy of the build's layout in a temp dir.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

import test from 'ava'

import { OUTPUTS, staleReason, writeStamp } from '../scripts/build-if-stale.mjs'
import { PACKAGE_ROOT } from './helpers.js'

/** A temp root holding a few inputs of each kind and every output the build leaves. */
function fakeBuild(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'ferris-build-stamp-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (const file of ['index.ts', 'package.json', 'tsconfig.json', 'lib/executor.ts', 'crates/pool/src/unwind.rs']) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    cpSync(join(PACKAGE_ROOT, file), join(root, file))
  }
  for (const output of OUTPUTS) {
    mkdirSync(dirname(join(root, output)), { recursive: true })
    writeFileSync(join(root, output), '// built\n')
  }
  writeFileSync(join(root, 'ferris-executor.linux-x64-gnu.node'), '')
  return root
}

test('pretest and prepare build only when the build is stale; npm run build always builds and stamps', (t) => {
  const { scripts } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.is(scripts.pretest, 'node scripts/build-if-stale.mjs')
  t.is(scripts.prepare, 'node scripts/build-if-stale.mjs')
  t.regex(scripts.build!, /^npm run clean && .*build-if-stale\.mjs --stamp$/)
})

test('a stamped build is up to date until an input changes or an output goes', (t) => {
  const root = fakeBuild(t)
  t.is(staleReason(root), 'no build stamp')
  writeStamp(root)
  t.is(staleReason(root), undefined)

  writeFileSync(join(root, 'lib/executor.ts'), readFileSync(join(root, 'lib/executor.ts'), 'utf8') + '\n// edited\n')
  t.is(staleReason(root), 'the sources changed since the last build')
  writeStamp(root)
  t.is(staleReason(root), undefined)

  // A new source file counts too, as does a Rust change.
  writeFileSync(join(root, 'lib/new-module.ts'), 'export {}\n')
  t.is(staleReason(root), 'the sources changed since the last build')
  writeStamp(root)
  writeFileSync(join(root, 'crates/pool/src/unwind.rs'), '// changed\n')
  t.truthy(staleReason(root))
  writeStamp(root)

  unlinkSync(join(root, 'dist/index.js'))
  t.is(staleReason(root), 'dist/index.js is missing')
})
