/**
 * Entry points and the addon loader, in child processes that load the package by its name
 * (through package.json `exports`, as users do): `import` and `require` share one addon; the
 * loader takes a local build first, else the platform package, else throws one clear error.
 * (`npm run pack:check` covers the packed tarballs themselves.) Also the pure parts of the
 * packaging scripts: the glibc symbol check, the apt sources reader, the bounded commands.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { platformSuffix } from '../lib/addon.js'
import { glibcProblems, maxGlibcVersion, parseReadelf } from '../scripts/check-glibc.mjs'
import { mirrorFromSources } from '../scripts/lib/old-glibc.mjs'
import { CommandError, run } from '../scripts/lib/processes.mjs'
import { PACKAGE_ROOT, describeRun, linkPackage, runScripts } from './helpers.js'

const SUFFIX = platformSuffix()
const BINARY = `ferris-executor.${SUFFIX}.node`
const PLATFORM_PACKAGE = `ferris-executor-${SUFFIX}`
const { version: VERSION } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }

/**
 * `node_modules/ferris-executor` in `dir` as a copy of package.json and the compiled JavaScript
 * (dist/) only, without the local build of the addon; returns its path.
 */
function copyPackageWithoutAddon(dir: string): string {
  const target = join(dir, 'node_modules', 'ferris-executor')
  mkdirSync(target, { recursive: true })
  copyFileSync(join(PACKAGE_ROOT, 'package.json'), join(target, 'package.json'))
  cpSync(join(PACKAGE_ROOT, 'dist'), join(target, 'dist'), { recursive: true, filter: (path) => !path.endsWith('.d.ts') })
  return target
}

/** A platform package `node_modules/<PLATFORM_PACKAGE>` in `dir` holding the built addon. */
function installPlatformPackage(dir: string, version: string): void {
  const target = join(dir, 'node_modules', PLATFORM_PACKAGE)
  cpSync(join(PACKAGE_ROOT, 'npm', SUFFIX), target, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as Record<string, unknown>
  writeFileSync(join(target, 'package.json'), JSON.stringify({ ...manifest, version }))
  copyFileSync(join(PACKAGE_ROOT, BINARY), join(target, BINARY))
}

/** Reports what a script saw, as one JSON line: the module identities and one task of each kind. */
const PROBE = `
  async function probe(cjs, esm) {
    const executor = new cjs.Executor({ maxWorkers: 1 })
    const future = executor.submit(esm.kernels.sumOfSquares, [new Float64Array([3])])
    const result = {
      sameKernels: cjs.kernels === esm.kernels && cjs.kernels.spin === esm.kernels.spin,
      sameClasses: cjs.Executor === esm.Executor && cjs.Future === esm.Future && cjs.CancelledError === esm.CancelledError,
      sameExports: Object.keys(cjs).sort().join() === Object.keys(esm).sort().join(),
      futureIsEsmFuture: future instanceof esm.Future,
      kernel: await future,
      js: await executor.submit((a, b) => a + b, [1, 2]),
      addonsLoaded: Object.keys(require.cache).filter((k) => k.endsWith('.node')).length,
    }
    await executor.shutdown()
    console.log(JSON.stringify(result))
  }
`

const EXPECTED = { sameKernels: true, sameClasses: true, sameExports: true, futureIsEsmFuture: true, kernel: 9, js: 3, addonsLoaded: 1 }

test('require() and import of the package name give one module and one addon (require first)', async (t) => {
  const result = await runScripts(
    {
      'main.cjs': `${PROBE}
        const cjs = require('ferris-executor')
        import('ferris-executor').then((esm) => probe(cjs, esm)).catch((e) => { console.error(e); process.exit(1) })`,
    },
    'main.cjs',
    20_000,
    linkPackage,
  )
  t.is(result.code, 0, describeRun(result))
  t.deepEqual(JSON.parse(result.stdout), EXPECTED)
  t.is(result.stderr, '', 'no warning (require of an ES module is stable on Node >= 20.19)')
})

test('import and require() of the package name give one module and one addon (import first)', async (t) => {
  const result = await runScripts(
    {
      'main.mjs': `
        import * as esm from 'ferris-executor'
        import { createRequire } from 'node:module'
        const require = createRequire(import.meta.url)
        ${PROBE}
        await probe(require('ferris-executor'), esm)`,
    },
    'main.mjs',
    20_000,
    linkPackage,
  )
  t.is(result.code, 0, describeRun(result))
  t.deepEqual(JSON.parse(result.stdout), EXPECTED)
  t.is(result.stderr, '')
})

test('import of the package loads no worker_threads until a worker task needs it; ferris-executor/bullmq shares its classes', async (t) => {
  // What a worker task's first spawn needs stays out of the import (lib/worker-threads.ts), and
  // the main thread's entries share one copy of each class (scripts/bundle.mjs).
  const result = await runScripts(
    {
      'main.mjs': `
        const loaded = () => process.moduleLoadList.includes('NativeModule worker_threads')
        const esm = await import('ferris-executor')
        const atImport = loaded()
        const executor = new esm.Executor({ maxWorkers: 1, jsWorkers: 1 })
        const beforeWorkerTask = loaded()
        const value = await executor.submit(esm.workerTask((x) => x + 1), [1])
        await executor.shutdown()
        const bullmq = await import('ferris-executor/bullmq')
        console.log(JSON.stringify({
          atImport, beforeWorkerTask, afterWorkerTask: loaded(), value,
          sharedErrors: new bullmq.UnknownTaskError('x', []) instanceof esm.ExecutorError,
        }))`,
    },
    'main.mjs',
    20_000,
    linkPackage,
  )
  t.is(result.code, 0, describeRun(result))
  t.deepEqual(JSON.parse(result.stdout), { atImport: false, beforeWorkerTask: false, afterWorkerTask: true, value: 2, sharedErrors: true })
})

const LOAD = `
  import('ferris-executor').then(
    async ({ Executor, kernels }) => {
      const executor = new Executor({ maxWorkers: 1 })
      console.log(JSON.stringify({ loaded: await executor.submit(kernels.sumOfSquares, [new Float64Array([2])]) }))
      await executor.shutdown()
    },
    (error) => console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message, cause: error.cause?.message })),
  )
`

test('without a local build, the loader takes the platform package', async (t) => {
  const result = await runScripts({ 'main.mjs': LOAD }, 'main.mjs', 20_000, (dir) => {
    copyPackageWithoutAddon(dir)
    installPlatformPackage(dir, VERSION)
  })
  t.is(result.code, 0, describeRun(result))
  t.deepEqual(JSON.parse(result.stdout), { loaded: 4 })
})

test('with neither a local build nor the platform package, the loader throws one clear error', async (t) => {
  let packageDir = ''
  const result = await runScripts({ 'main.mjs': LOAD }, 'main.mjs', 20_000, (dir) => {
    packageDir = copyPackageWithoutAddon(dir)
  })
  t.is(result.code, 0, describeRun(result))
  const error = JSON.parse(result.stdout) as { name: string; code: string; message: string }
  t.is(error.name, 'AddonLoadError')
  t.is(error.code, 'ERR_FERRIS_ADDON_NOT_FOUND')
  const [platform, arch] = SUFFIX.split('-') as [string, string]
  t.true(error.message.startsWith(`ferris-executor: no native addon for ${platform} ${arch}`), error.message)
  t.true(error.message.includes(`${packageDir}/${BINARY} (a build from source): not found`), error.message)
  t.true(error.message.includes(`the package ${PLATFORM_PACKAGE} (the prebuilt binary): not installed`), error.message)
  t.true(error.message.includes('with Rust installed (https://rustup.rs)'), error.message)
  t.true(error.message.includes('`npm run build`'), error.message)
})

test('a platform package of another version is refused by name and version', async (t) => {
  const result = await runScripts({ 'main.mjs': LOAD }, 'main.mjs', 20_000, (dir) => {
    copyPackageWithoutAddon(dir)
    installPlatformPackage(dir, '0.0.1-other')
  })
  t.is(result.code, 0, describeRun(result))
  const error = JSON.parse(result.stdout) as { code: string; message: string }
  t.is(error.code, 'ERR_FERRIS_ADDON_NOT_FOUND')
  t.true(error.message.includes(`${PLATFORM_PACKAGE}: version 0.0.1-other is installed, ferris-executor ${VERSION} needs exactly ${VERSION}`), error.message)
})

test('a local build that fails to load is reported with its own error, not hidden', async (t) => {
  const result = await runScripts({ 'main.mjs': LOAD }, 'main.mjs', 20_000, (dir) => {
    const packageDir = copyPackageWithoutAddon(dir)
    writeFileSync(join(packageDir, BINARY), 'not a shared library')
  })
  t.is(result.code, 0, describeRun(result))
  const error = JSON.parse(result.stdout) as { code: string; message: string; cause?: string }
  t.is(error.code, 'ERR_FERRIS_ADDON_NOT_FOUND')
  t.regex(error.message, new RegExp(`${BINARY.replaceAll('.', '\\.')} \\(a build from source\\): .*(invalid ELF header|file too short|not a valid)`))
  t.truthy(error.cause, 'the load failure is the cause')
})

test('platform suffixes follow napi-rs', (t) => {
  t.is(platformSuffix('linux', 'x64', false), 'linux-x64-gnu')
  t.is(platformSuffix('linux', 'x64', true), 'linux-x64-musl')
  t.is(platformSuffix('linux', 'arm64', false), 'linux-arm64-gnu')
  t.is(platformSuffix('darwin', 'arm64'), 'darwin-arm64')
  t.is(platformSuffix('win32', 'x64'), 'win32-x64-msvc')
})

test('sync-platform-packages finds a version bump out of step, then brings every platform package along', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferris-sync-test-'))
  try {
    for (const path of ['package.json', 'npm', 'scripts']) cpSync(join(PACKAGE_ROOT, path), join(dir, path), { recursive: true })
    const script = join(dir, 'scripts', 'sync-platform-packages.mjs')
    const check = (): number | null => spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' }).status
    t.is(check(), 0, 'the repository is in step')

    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...manifest, version: '9.8.7' }, null, 2)}\n`)
    t.is(check(), 1, 'a bumped root version is out of step')

    t.is(spawnSync(process.execPath, [script], { encoding: 'utf8' }).status, 0)
    t.is(check(), 0)
    const root = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }
    const platforms = readdirSync(join(dir, 'npm'))
    t.is(platforms.length, 6)
    for (const platform of platforms) {
      const pkg = JSON.parse(readFileSync(join(dir, 'npm', platform, 'package.json'), 'utf8')) as { name: string; version: string }
      t.is(pkg.version, '9.8.7', platform)
      t.is(root.optionalDependencies[pkg.name], '9.8.7', pkg.name)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** `readelf -W -d` and `--dyn-syms` lines of a linux-x64-gnu addon, as check-glibc reads them. */
const readelf = (needed: string[], symbols: string[]): ReturnType<typeof parseReadelf> =>
  parseReadelf(
    ['Dynamic section at offset 0xf9798 contains 28 entries:', ...needed.map((lib) => ` 0x0000000000000001 (NEEDED)             Shared library: [${lib}]`), ' 0x000000000000001e (FLAGS)              BIND_NOW'].join('\n'),
    ["Symbol table '.dynsym' contains 85 entries:", '   Num:    Value          Size Type    Bind   Vis      Ndx Name', '     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND ', ...symbols].join('\n'),
  )
const GLIBC_217_BUILD = {
  needed: ['libc.so.6', 'ld-linux-x86-64.so.2', 'libpthread.so.0', 'libdl.so.2'],
  symbols: [
    '     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@GLIBC_2.14 (3)',
    '     2: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND dlsym@GLIBC_2.2.5 (2)',
    '     3: 0000000000000000     0 FUNC    WEAK   DEFAULT  UND statx',
    '     4: 0000000000000000     0 FUNC    WEAK   DEFAULT  UND gettid',
    '    84: 00000000000a0d50 25772 FUNC    GLOBAL DEFAULT   15 napi_register_module_v1',
  ],
}

test('check-glibc passes a glibc 2.17 build: versions up to 2.17, weak unversioned symbols, glibc libraries', (t) => {
  const elf = readelf(GLIBC_217_BUILD.needed, GLIBC_217_BUILD.symbols)
  t.deepEqual(elf.needed, GLIBC_217_BUILD.needed)
  t.is(elf.undefinedSymbols.length, 4, 'defined symbols are not read')
  t.is(maxGlibcVersion(elf.undefinedSymbols), '2.14')
  t.deepEqual(glibcProblems(elf), [])
})

test('check-glibc finds what stops a load on glibc 2.17: newer versions, a strong unversioned symbol, other libraries', (t) => {
  const elf = readelf(
    [...GLIBC_217_BUILD.needed, 'libstdc++.so.6'],
    [
      ...GLIBC_217_BUILD.symbols,
      // glibc 2.30's wrapper, linked against glibc 2.17: undefined, unversioned, strong.
      '    10: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND gettid',
      '    11: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND dlopen@GLIBC_2.34 (7)',
      '    12: 0000000000000000     0 FUNC    WEAK   DEFAULT  UND getrandom@GLIBC_2.25 (8)',
      '    13: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@@GLIBC_2.2.5',
    ],
  )
  t.is(maxGlibcVersion(elf.undefinedSymbols), '2.34', 'compared as numbers: 2.34 > 2.2.5 and 2.14')
  t.deepEqual(glibcProblems(elf), [
    'needs libstdc++.so.6, which is not part of glibc',
    'gettid (undefined and unversioned: not in glibc 2.17, so dlopen fails there)',
    'dlopen@GLIBC_2.34 (newer than glibc 2.17)',
    'getrandom@GLIBC_2.25 (newer than glibc 2.17)',
  ])
  t.deepEqual(glibcProblems(elf, '2.34'), ['needs libstdc++.so.6, which is not part of glibc', 'gettid (undefined and unversioned: not in glibc 2.34, so dlopen fails there)'])
})

test('the Debian mirror comes from the apt sources: deb822 or one-line, the main archive, not security or updates', (t) => {
  const deb822 = [
    'Types: deb\nURIs: http://security.mirror.example/debian-security\nSuites: bookworm-security\nComponents: main',
    'Types: deb-src\nURIs: http://src.mirror.example/debian\nSuites: bookworm\nComponents: main',
    'Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
  ].join('\n\n')
  t.is(mirrorFromSources([['/etc/apt/sources.list.d/debian.sources', deb822]]), 'http://mirror.example/debian')
  const oneLine = '# deb http://old.mirror.example/debian bookworm main\ndeb http://mirror.example/debian bookworm-updates main\ndeb [arch=amd64 signed-by=/k.gpg] http://other.mirror.example/debian bookworm main\n'
  t.is(mirrorFromSources([['/etc/apt/sources.list', ''], ['/etc/apt/sources.list.d/x.list', oneLine]]), 'http://other.mirror.example/debian')
  t.is(mirrorFromSources([['/etc/apt/sources.list', '# nothing\n']]), undefined)
})

test('a bounded command that overruns is stopped with everything it started, and fails', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferris-run-test-'))
  try {
    // The grandchild writes its pid, then would outlive the shell by far if the group were not killed.
    const pidFile = join(dir, 'pid')
    const error = await t.throwsAsync(run('sh', ['-c', `sleep 300 & echo $! > ${pidFile}; wait`], { timeoutMs: 500 }), { instanceOf: CommandError })
    t.regex(error?.message ?? '', /took longer than 0\.5 s and was stopped/)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    const alive = (): boolean => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    // SIGKILL is delivered at once, but the zombie's parent (the killed shell) may take a moment to be reaped.
    for (let i = 0; i < 100 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.false(alive(), 'the background sleep was killed with its group')
    await t.throwsAsync(run('sh', ['-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 }), { message: /exited with 3\nout\n\nerr/ })
    t.is(await run('sh', ['-c', 'echo fine'], { timeoutMs: 10_000 }), 'fine\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
