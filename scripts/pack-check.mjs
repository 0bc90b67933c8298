#!/usr/bin/env node
/**
 * `npm run pack:check`: proves that what npm would publish installs from a registry and runs,
 * with no Rust toolchain, on every Linux x64 glibc that Node 20 runs on, the way users get it
 * (napi-rs convention: the root package plus the one platform package npm picks from its
 * optionalDependencies).
 *
 * 1. builds the release addon (`npm run build:release`: linked against glibc 2.17 by zig) and
 *    the TypeScript;
 * 2. packs the root package and npm/linux-x64-gnu (staged with the built .node, as the
 *    release workflow's `napi artifacts` step does) with `npm pack`, and fails if a tarball
 *    holds Rust sources, build output, tests, benchmarks or TypeScript sources, or if the root
 *    one holds anything but package.json, the README and the compiled package (dist/);
 * 3. publishes both tarballs to a real registry server on 127.0.0.1 (verdaccio, with no uplink:
 *    it answers 404 for the platforms not published here, as the public registry would for a
 *    missing one), then runs `npm install ferris-executor` in an empty project with `cargo` and
 *    `rustc` off PATH and an empty npm cache: npm must pick the platform package by itself;
 * 4. checks the installed .node's symbols (scripts/check-glibc.mjs: no GLIBC_ version above
 *    2.17, no strong unversioned undefined symbol, no library beyond glibc's own);
 * 5. type-checks the type tests (test-d/) there, against the installed declarations;
 * 6. runs smoke scripts there through `import` and through `require` (a JS function, native
 *    kernels and a worker task, and one shared addon across both), then times 10 cold starts;
 * 7. loads the installed .node on glibc 2.17 (its real loader and libraries, Node 16): a pool
 *    starts, a kernel and a worker task return their results;
 * 8. runs the spec suite (but for what needs redis or a C compiler) on Debian 11 (glibc 2.31,
 *    Node 20, in a chroot) against the installed .node, and the spec plugins built for glibc 2.17.
 *
 * Prints the tarball sizes, the addon's max GLIBC_ version and NEEDED list, the install time,
 * the cold start (median of 10 fresh processes, from the start of `import` to the first task
 * result) and the time of each step. The tools of steps 1, 3, 7 and 8 are set up on first use
 * into target/tools/ (scripts/lib/tool-cache.mjs). Every server and chroot it starts is stopped
 * when it ends, whatever the outcome; every step is bounded in time.
 *
 * `npm run pack:check -- --all-targets` also cross-builds the linux-arm64-gnu addon (zig, glibc
 * 2.17) and runs the glibc 2.17 smoke script with it under qemu-aarch64 (Debian's
 * qemu-user-static, installed if missing) and the official arm64 Node 16. Opt-in, not in CI: it
 * needs `rustup target add aarch64-unknown-linux-gnu` and a full second build.
 *
 * `npm run pack:check -- --out DIR` keeps the two tarballs it checked in DIR (created if
 * need be) once every check passed: the way to install the package on another machine of the
 * same platform before it is on the registry. Without it they are deleted with the rest.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

import { PORTABLE_TARGET_DIR, buildRelease, zigEnv, zigTriple } from './build-release.mjs'
import { inspectAddon } from './check-glibc.mjs'
import { startLocalRegistry } from './lib/local-registry.mjs'
import { runInDebian11, runOnGlibc217 } from './lib/old-glibc.mjs'
import { CommandError, run as runCommand } from './lib/processes.mjs'
import { ROOT as root, npmCli } from './lib/tool-cache.mjs'

const { values: cli } = parseArgs({ options: { out: { type: 'string' }, 'all-targets': { type: 'boolean', default: false } } })
const outDir = cli.out === undefined ? undefined : resolve(cli.out)
const PLATFORM = 'linux-x64-gnu'
const COLD_RUNS = 10
/** Specs left out of the Debian 11 run: they need a redis-server, or a C compiler (plugins.spec.ts). */
const NOT_ON_DEBIAN_11 = /^(bullmq.*|plugins)\.spec\.ts$/
/** The plugins the specs load (__test__/plugin-fixtures.ts): cargo's arguments, and where the specs look. */
const SPEC_PLUGINS = [
  { args: ['-p', 'ferris-test-plugin'], lib: 'libferris_test_plugin.so', specsLoad: 'target/release' },
  { args: ['--manifest-path', 'examples/kernel-plugin/Cargo.toml'], lib: 'libferris_kernel_plugin_example.so', specsLoad: 'examples/kernel-plugin/target/release' },
]

class CheckFailed extends Error {}
function fail(message) {
  throw new CheckFailed(message)
}

/** Runs a command to completion within `timeoutMs` (default 10 min); fails the check on a non-zero exit. */
async function run(command, args, { timeoutMs = 600_000, ...options } = {}) {
  try {
    return await runCommand(command, args, { cwd: root, timeoutMs, ...options })
  } catch (error) {
    if (error instanceof CommandError) fail(error.message)
    throw error
  }
}

/** Paths a published tarball must not hold. */
const FORBIDDEN = [
  [/\.rs$/, 'Rust source'],
  [/(^|\/)Cargo\.(toml|lock)$/, 'Cargo manifest'],
  [/^(src|crates|target)\//, 'Rust crate or build output'],
  [/(^|\/)__test__\//, 'tests'],
  [/^bench\//, 'benchmarks'],
  [/^scripts\//, 'scripts'],
  [/(?<!\.d)\.ts$/, 'TypeScript source'],
  [/^npm\//, 'platform package folder'],
]

function checkContents(label, files, mustHave) {
  for (const { path } of files) {
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(path)) fail(`${label} holds ${what}: ${path}`)
  }
  const paths = new Set(files.map((f) => f.path))
  for (const path of mustHave) if (!paths.has(path)) fail(`${label} lacks ${path}`)
}

/** `npm pack` of `dir` into `dest`; returns npm's JSON description of the tarball. */
async function pack(dir, dest) {
  const [info] = JSON.parse(await run(process.execPath, [npmCli(), 'pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: dir }))
  return { ...info, file: join(dest, info.filename) }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')
const steps = []
/** Runs one numbered step and records how long it took. */
async function step(label, body) {
  const started = performance.now()
  console.log(`pack:check: ${label}`)
  const result = await body()
  steps.push([label, (performance.now() - started) / 1000])
  return result
}

const binary = `ferris-executor.${PLATFORM}.node`
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const optionalPeers = Object.keys(manifest.peerDependenciesMeta ?? {}).filter((name) => manifest.peerDependenciesMeta[name].optional)
const work = mkdtempSync(join(tmpdir(), 'ferris-pack-check-'))
let registry
try {
  // 1. Build and check that the platform packages are in step with the root package.
  await step('1. npm run build:release (the addon for glibc 2.17, and the TypeScript)', async () => {
    await run(process.execPath, [npmCli(), 'run', 'build:release'], { timeoutMs: 60 * 60_000, inherit: true })
    await run(process.execPath, [join(root, 'scripts', 'sync-platform-packages.mjs'), '--check'])
    if (!existsSync(join(root, binary))) fail(`the build made no ${binary}`)
  })

  // 2. Pack both packages.
  const { rootPkg, platformPkg } = await step('2. npm pack of the root and platform packages', async () => {
    const tarballs = join(work, 'tarballs')
    const staged = join(work, 'staged', PLATFORM)
    mkdirSync(tarballs)
    cpSync(join(root, 'npm', PLATFORM), staged, { recursive: true })
    copyFileSync(join(root, binary), join(staged, binary))
    const rootPkg = await pack(root, tarballs)
    const platformPkg = await pack(staged, tarballs)
    checkContents('the root tarball', rootPkg.files, ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/lib/workers/isolate.js', 'dist/native.d.ts', 'README.md'])
    // Besides the compiled package in dist/, only what npm always adds (package.json, README, licence).
    const stray = rootPkg.files.map((f) => f.path).filter((path) => !path.startsWith('dist/') && !/^(package\.json|README\.md|LICEN[CS]E(\.\w+)?)$/i.test(path))
    if (stray.length > 0) fail(`the root tarball holds files outside dist/: ${stray.join(', ')}`)
    if (rootPkg.files.some((f) => f.path.endsWith('.node'))) fail('the root tarball holds a .node file: the platform packages carry those')
    checkContents('the platform tarball', platformPkg.files, [binary, 'package.json'])
    return { rootPkg, platformPkg }
  })

  // 3. Publish both to a registry server, and install the root one by name from it.
  const shims = join(work, 'bin')
  mkdirSync(shims)
  symlinkSync(process.execPath, join(shims, 'node'))
  const hasRust = (dir) => existsSync(join(dir, 'cargo')) || existsSync(join(dir, 'rustc'))
  const PATH = [shims, ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !hasRust(dir))].join(delimiter)
  const env = { ...process.env, PATH }
  for (const key of Object.keys(env)) if (key.startsWith('npm_') || key === 'NODE_OPTIONS' || key === 'INIT_CWD') delete env[key]
  const project = join(work, 'project')
  const installed = join(project, 'node_modules')
  const installMs = await step('3. publish to a local registry server, npm install ferris-executor from it', async () => {
    for (const tool of ['cargo', 'rustc']) {
      const probe = await runCommand(tool, ['--version'], { env, timeoutMs: 30_000 }).then(() => true, () => false)
      if (probe) fail(`${tool} is still on the reduced PATH`)
    }
    registry = await startLocalRegistry(join(work, 'registry'))
    // The platform package first, as `napi prepublish` does: the root one depends on it.
    for (const pkg of [platformPkg, rootPkg]) {
      await run(process.execPath, [npmCli(), 'publish', pkg.file, '--ignore-scripts', '--userconfig', registry.userconfig, '--registry', registry.url], { env })
    }
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check-project', version: '1.0.0', private: true, type: 'module' }, null, 2))
    // A user's npm: no token, an empty cache, the registry as its only source.
    const userconfig = join(work, 'user-npmrc')
    writeFileSync(userconfig, `registry=${registry.url}\n`)
    const started = performance.now()
    await run(process.execPath, [npmCli(), 'install', 'ferris-executor', '--no-audit', '--no-fund', '--no-update-notifier', '--userconfig', userconfig, '--cache', join(work, 'npm-cache')], { cwd: project, env })
    const installMs = performance.now() - started
    const asked = registry.requestedPackages()
    registry.stop()
    // Besides the two published, npm may ask only for the other platforms' packages, and for the
    // optional peer dependencies (bullmq, for the `ferris-executor/bullmq` subpath), getting 404s.
    const expectedAsks = new Set([...Object.keys(manifest.optionalDependencies), ...optionalPeers, 'ferris-executor'])
    const unexpected = asked.filter((name) => !expectedAsks.has(name))
    if (unexpected.length > 0) fail(`the install asked the registry for more than the package, its platforms and optional peers: ${unexpected.join(', ')}`)
    if (!asked.includes('ferris-executor') || !asked.includes(`ferris-executor-${PLATFORM}`)) fail(`the install did not go through the registry (it asked for ${asked.join(', ')})`)
    const names = readdirSync(installed).filter((name) => !name.startsWith('.')).sort()
    const expected = ['ferris-executor', `ferris-executor-${PLATFORM}`]
    if (names.join() !== expected.join()) fail(`npm installed ${names.join(', ')}; expected exactly ${expected.join(', ')} (no optional peer, no other platform)`)
    const dependency = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies?.['ferris-executor']
    if (dependency !== `^${manifest.version}`) fail(`npm saved ferris-executor as ${dependency}`)
    if (!existsSync(join(installed, `ferris-executor-${PLATFORM}`, binary))) fail(`npm did not install ferris-executor-${PLATFORM} with its addon`)
    if (readdirSync(join(installed, 'ferris-executor')).some((f) => f.endsWith('.node'))) fail('the installed root package holds a .node file')
    return installMs
  })
  const addon = join(installed, `ferris-executor-${PLATFORM}`, binary)
  if (sha256(addon) !== sha256(join(root, binary))) fail('the installed addon is not the one built')

  // 4. The installed addon's symbols.
  const symbols = await step('4. symbols of the installed addon (scripts/check-glibc.mjs)', () => {
    const symbols = inspectAddon(addon)
    if (symbols.problems.length > 0) fail(`the installed ${binary} would not load on glibc 2.17:\n  ${symbols.problems.join('\n  ')}`)
    return symbols
  })

  // 5. The type tests, against the installed declarations (in the repository, TypeScript maps
  // dist/*.d.ts back to the sources in lib/: only here are the published types what is checked).
  await step('5. type tests (test-d/) against the installed declarations', async () => {
    const declarationsOf = (name) => {
      const dir = join(root, 'node_modules', name)
      return join(dir, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).types ?? 'index.d.ts')
    }
    cpSync(join(root, 'test-d'), join(project, 'test-d'), { recursive: true, filter: (f) => !f.endsWith('tsconfig.json') })
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
          strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
          // The optional peers' declarations, which the subpaths' declarations import, from the
          // repository's development install (the project has none: see above).
          paths: Object.fromEntries(optionalPeers.map((name) => [name, [declarationsOf(name)]])),
        },
        include: ['test-d/*.ts', 'test-d/*.cts'],
      }),
    )
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, env })
  })

  // 6. Smoke scripts: ESM, CommonJS, and both in one process sharing the one addon.
  const cold = await step('6. smoke scripts (import, require, both) and cold starts', async () => {
    const smoke = (load) => `
      ${load}
      const executor = new Executor({ maxWorkers: 2 })
      const [js, asyncJs, spin, squares, mapped, onWorker] = await Promise.all([
        executor.submit((a, b) => a * b, [6, 7]),
        executor.submit(async (s) => s.toUpperCase(), ['ok']),
        executor.submit(kernels.spin, [1000]),
        executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])]),
        executor.map(kernels.spin, [0, 10, 100]),
        executor.submit(workerTask((n) => [n * 2, typeof window]), [21]),
      ])
      await executor.shutdown()
      if (js !== 42 || asyncJs !== 'OK' || squares !== 14) throw new Error('wrong results: ' + [js, asyncJs, squares])
      if (!Number.isSafeInteger(spin) || mapped.length !== 3 || !mapped.every(Number.isSafeInteger)) throw new Error('wrong spin results')
      if (JSON.stringify(onWorker) !== '[42,"undefined"]') throw new Error('wrong worker task result: ' + JSON.stringify(onWorker))
      console.log('ok')
    `
    const scripts = {
      'smoke-import.mjs': smoke(`import { Executor, kernels, workerTask } from 'ferris-executor'`),
      'smoke-require.cjs': `(async () => {${smoke(`const { Executor, kernels, workerTask } = require('ferris-executor')`)}})().catch((e) => { console.error(e); process.exit(1) })`,
      'smoke-both.mjs': `
        import { createRequire } from 'node:module'
        import * as imported from 'ferris-executor'
        const required = createRequire(import.meta.url)('ferris-executor')
        if (required.kernels !== imported.kernels || required.Executor !== imported.Executor) throw new Error('require and import gave two copies')
        const executor = new required.Executor()
        const value = await executor.submit(imported.kernels.sumOfSquares, [new Float64Array([2])])
        await executor.shutdown()
        if (value !== 4) throw new Error('wrong result ' + value)
        console.log('ok')
      `,
      'cold-start.mjs': `
        const t0 = performance.now()
        const { Executor, kernels } = await import('ferris-executor')
        const executor = new Executor()
        await executor.submit(kernels.spin, [1])
        const t1 = performance.now()
        console.log(JSON.stringify({ importToResult: t1 - t0, processToResult: t1 }))
        await executor.shutdown()
      `,
    }
    for (const [name, source] of Object.entries(scripts)) writeFileSync(join(project, name), source)
    for (const name of ['smoke-import.mjs', 'smoke-require.cjs', 'smoke-both.mjs']) {
      const out = (await run(process.execPath, [name], { cwd: project, env, timeoutMs: 60_000 })).trim()
      if (out !== 'ok') fail(`${name} printed ${JSON.stringify(out)}`)
      console.log(`pack:check:   ${name}: ok`)
    }
    const cold = []
    for (let i = 0; i < COLD_RUNS; i++) cold.push(JSON.parse(await run(process.execPath, ['cold-start.mjs'], { cwd: project, env, timeoutMs: 60_000 })))
    return cold
  })

  // 7. glibc 2.17.
  const on217 = await step('7. the installed addon on glibc 2.17 (Node 16)', async () => {
    // In the project, so that it imports the installed package.
    copyFileSync(join(root, 'scripts', 'lib', 'glibc217-smoke.mjs'), join(project, 'glibc217-smoke.mjs'))
    const out = await runOnGlibc217(join(project, 'glibc217-smoke.mjs'), { cwd: project }).catch((error) => fail(error.message))
    const result = JSON.parse(out.trim().split('\n').at(-1))
    if (result.glibc !== '2.17' || !result.libc?.startsWith(join(root, 'target', 'tools'))) fail(`the glibc 2.17 run ran on glibc ${result.glibc} (${result.libc})`)
    if (result.addon !== addon) fail(`the glibc 2.17 run loaded ${result.addon}, not the installed addon`)
    return result
  })

  // 8. The spec suite on Debian 11, with the installed addon in place of the repository's build.
  const specs = readdirSync(join(root, '__test__')).filter((f) => f.endsWith('.spec.ts') && !NOT_ON_DEBIAN_11.test(f)).sort()
  const debian = await step(`8. ${specs.length} spec files on Debian 11 (glibc 2.31, Node 20)`, async () => {
    await run(process.execPath, [npmCli(), 'run', 'build:examples']) // examples.spec.ts runs them
    // The specs load plugins from where `npm run build:plugins` puts them; built for this glibc,
    // they would not load on Debian 11, so builds for glibc 2.17 are mounted over them there.
    await run(process.execPath, [npmCli(), 'run', 'build:plugins'])
    const zig = await zigEnv()
    const plugins = []
    for (const { args, lib, specsLoad } of SPEC_PLUGINS) {
      await run('cargo', ['zigbuild', '--release', '--target', zigTriple('x86_64-unknown-linux-gnu'), ...args], { env: zig, timeoutMs: 30 * 60_000 })
      const file = join(PORTABLE_TARGET_DIR, 'x86_64-unknown-linux-gnu', 'release', lib)
      const { problems } = inspectAddon(file)
      if (problems.length > 0) fail(`${file} would not load on glibc 2.17:\n  ${problems.join('\n  ')}`)
      plugins.push([file, join(specsLoad, lib)])
    }
    const glibc = (await runInDebian11(root, ['node', '-p', 'process.report.getReport().header.glibcVersionRuntime'], { timeoutMs: 60_000 }).catch((error) => fail(error.message))).trim()
    if (glibc !== '2.31') fail(`the Debian 11 root runs glibc ${glibc}, not 2.31`)
    // One spec file at a time: CI's `npm test` has just run them all in parallel on this
    // machine; here the point is the older glibc, and a loaded machine would only make the
    // specs' bounded waits (10 s for a task to start) the thing under test.
    const ava = ['node', 'node_modules/ava/entrypoints/cli.mjs', '--tap', '--concurrency', '1']
    const out = await runInDebian11(root, [...ava, ...specs.map((f) => `__test__/${f}`)], {
      overlays: [[addon, binary], ...plugins],
      timeoutMs: 20 * 60_000,
    }).catch((error) => fail(`the specs failed on Debian 11:\n${error.message}`))
    const count = (what) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(out)?.[1] ?? 0)
    const passed = count('pass')
    if (passed === 0 || count('fail') > 0) fail(`the specs on Debian 11 did not pass:\n${out.split('\n').slice(-40).join('\n')}`)
    return { passed, skipped: count('skip'), todo: count('todo') }
  })

  // 9. Opt-in: the arm64 addon, cross-built the same way, on glibc 2.17 under qemu-user.
  const arm64 = !cli['all-targets']
    ? undefined
    : await step('9. (--all-targets) linux-arm64-gnu: build-release, then glibc 2.17 under qemu-aarch64', async () => {
        const built = await buildRelease('aarch64-unknown-linux-gnu').catch((error) => fail(error.message))
        // The installed root package, with the arm64 addon as its local build (which the loader takes first).
        const armProject = join(work, 'project-arm64')
        cpSync(join(installed, 'ferris-executor'), join(armProject, 'node_modules', 'ferris-executor'), { recursive: true })
        const armAddon = join(armProject, 'node_modules', 'ferris-executor', 'ferris-executor.linux-arm64-gnu.node')
        copyFileSync(built.file, armAddon)
        copyFileSync(join(root, 'scripts', 'lib', 'glibc217-smoke.mjs'), join(armProject, 'glibc217-smoke.mjs'))
        const out = await runOnGlibc217(join(armProject, 'glibc217-smoke.mjs'), { cwd: armProject, arch: 'arm64', timeoutMs: 600_000 }).catch((error) => fail(error.message))
        const result = JSON.parse(out.trim().split('\n').at(-1))
        if (result.glibc !== '2.17' || result.addon !== armAddon) fail(`the arm64 run used glibc ${result.glibc} and ${result.addon}`)
        return { ...result, bytes: readFileSync(built.file).length, maxGlibc: built.maxGlibc, needed: built.needed }
      })

  const seconds = (s) => `${s.toFixed(1)} s`
  console.log(`pack:check: passed
  ${rootPkg.filename}: ${kib(rootPkg.size)} packed, ${kib(rootPkg.unpackedSize)} unpacked, ${rootPkg.files.length} files
  ${platformPkg.filename}: ${kib(platformPkg.size)} packed, ${kib(platformPkg.unpackedSize)} unpacked, ${platformPkg.files.length} files
  ${binary}: ${readFileSync(addon).length} bytes, max GLIBC_${symbols.maxGlibc}, NEEDED ${symbols.needed.join(' ')}
  npm install ferris-executor from the local registry (empty cache, no Rust on PATH): ${installMs.toFixed(0)} ms
  cold start, median of ${COLD_RUNS} fresh processes: ${median(cold.map((c) => c.importToResult)).toFixed(1)} ms from import to the first result (${median(cold.map((c) => c.processToResult)).toFixed(1)} ms from process start)
  glibc 2.17: ${JSON.stringify(on217)}
  Debian 11: ${debian.passed} tests passed (${debian.skipped} skipped, ${debian.todo} todo) in ${specs.length} spec files${arm64 ? `
  linux-arm64-gnu: ${arm64.bytes} bytes, max GLIBC_${arm64.maxGlibc}, NEEDED ${arm64.needed.join(' ')}; on glibc 2.17 under qemu: ${JSON.stringify(arm64)}` : ''}
  time per step: ${steps.map(([label, s]) => `${label.split(' ')[0]} ${seconds(s)}`).join(', ')}; total ${seconds(steps.reduce((sum, [, s]) => sum + s, 0))}`)

  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true })
    const kept = [platformPkg, rootPkg].map((pkg) => {
      copyFileSync(pkg.file, join(outDir, pkg.filename))
      return join(outDir, pkg.filename)
    })
    console.log(`pack:check: kept the checked tarballs; install both in one command (the platform package first):
  npm install ${kept.join(' ')}`)
  }
} catch (error) {
  console.error(`pack:check: FAILED: ${error instanceof CheckFailed ? error.message : error.stack}`)
  process.exitCode = 1
} finally {
  registry?.stop()
  rmSync(work, { recursive: true, force: true })
}
