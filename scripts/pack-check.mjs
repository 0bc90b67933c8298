#!/usr/bin/env node
/**
 * `npm run pack:check`: proves that what npm would publish installs and runs with no Rust
 * toolchain, the way users get it (napi-rs convention: the root package plus the one platform
 * package npm picks from its optionalDependencies).
 *
 * 1. builds the release addon and the TypeScript (`npm run build`);
 * 2. packs the root package and npm/linux-x64-gnu (staged with the built .node, as the
 *    release workflow's `napi artifacts` step does) with `npm pack`, and fails if a tarball
 *    holds Rust sources, build output, tests, benchmarks or TypeScript sources, or if the root
 *    one holds anything but package.json, the README and the compiled package (dist/);
 * 3. installs both tarballs into an empty temporary project with `cargo` and `rustc` off PATH,
 *    with an empty npm cache, against a local stand-in for the registry that answers 404 to
 *    everything, as the real one does while the package is unpublished: the install the
 *    README gives works, and asks the registry only for the other platforms' packages (and
 *    the optional peer dependencies, which it does not install);
 * 4. type-checks the type tests (test-d/) there, against the installed declarations;
 * 5. runs smoke scripts there through `import` and through `require` (a JS function and native
 *    kernels, and one shared addon across both), then times 10 cold starts.
 *
 * Prints the tarball sizes, the install time and the cold start (median of 10 fresh processes,
 * from the start of `import` to the first task result). Only Linux x64 glibc is checked here:
 * it is the one platform this machine can build.
 *
 * `npm run pack:check -- --out DIR` keeps the two tarballs it checked in DIR (created if
 * need be) once every check passed: the way to install the package on another machine of the
 * same platform before it is on the registry. Without it they are deleted with the rest.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values: cli } = parseArgs({ options: { out: { type: 'string' } } })
const outDir = cli.out === undefined ? undefined : resolve(cli.out)
const PLATFORM = 'linux-x64-gnu'
const COLD_RUNS = 10

function fail(message) {
  console.error(`pack:check: FAILED: ${message}`)
  process.exit(1)
}

/** Runs a command to completion; fails the check on a non-zero exit. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** Like `run`, without blocking the event loop (the stand-in registry answers from this process). */
function runAsync(command, args, options = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', (error) => fail(`${command} ${args.join(' ')}: ${error.message}`))
    child.on('close', (status) => {
      if (status !== 0) fail(`${command} ${args.join(' ')} exited with ${status}\n${stdout}\n${stderr}`)
      resolveRun(stdout)
    })
  })
}

/** A registry that has no package at all; records the names asked for. */
async function emptyRegistry() {
  const asked = []
  const server = createServer((request, response) => {
    asked.push(decodeURIComponent(request.url ?? '').replace(/^\//, ''))
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}')
  })
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready))
  return { url: `http://127.0.0.1:${server.address().port}/`, asked, close: () => server.close() }
}

/** npm's own CLI script, so it can run under a PATH we control. */
function npmCli() {
  const candidates = [process.env.npm_execpath, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')]
  const found = candidates.find((p) => p && p.endsWith('.js') && existsSync(p))
  if (!found) fail('cannot find npm-cli.js (run through `npm run pack:check`)')
  return found
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
function pack(dir, dest) {
  const [info] = JSON.parse(run(process.execPath, [npmCli(), 'pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: dir }))
  return { ...info, file: join(dest, info.filename) }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// 1. Build and check that the platform packages are in step with the root package.
console.log('pack:check: npm run build (release addon + TypeScript)')
run(process.execPath, [npmCli(), 'run', 'build'])
run(process.execPath, [join(root, 'scripts', 'sync-platform-packages.mjs'), '--check'])
const binary = `ferris-executor.${PLATFORM}.node`
if (!existsSync(join(root, binary))) fail(`the build made no ${binary}`)

const work = mkdtempSync(join(tmpdir(), 'ferris-pack-check-'))
try {
  // 2. Pack both packages.
  const tarballs = join(work, 'tarballs')
  const staged = join(work, 'staged', PLATFORM)
  mkdirSync(tarballs)
  cpSync(join(root, 'npm', PLATFORM), staged, { recursive: true })
  copyFileSync(join(root, binary), join(staged, binary))
  const rootPkg = pack(root, tarballs)
  const platformPkg = pack(staged, tarballs)
  checkContents('the root tarball', rootPkg.files, ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/lib/addon.js', 'dist/native.d.ts', 'README.md'])
  // Besides the compiled package in dist/, only what npm always adds (package.json, README, licence).
  const stray = rootPkg.files.map((f) => f.path).filter((path) => !path.startsWith('dist/') && !/^(package\.json|README\.md|LICEN[CS]E(\.\w+)?)$/i.test(path))
  if (stray.length > 0) fail(`the root tarball holds files outside dist/: ${stray.join(', ')}`)
  if (rootPkg.files.some((f) => f.path.endsWith('.node'))) fail('the root tarball holds a .node file: the platform packages carry those')
  checkContents('the platform tarball', platformPkg.files, [binary, 'package.json'])

  // 3. Install both into an empty project, with no Rust toolchain and no registry.
  const shims = join(work, 'bin')
  mkdirSync(shims)
  symlinkSync(process.execPath, join(shims, 'node'))
  const hasRust = (dir) => existsSync(join(dir, 'cargo')) || existsSync(join(dir, 'rustc'))
  const PATH = [shims, ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !hasRust(dir))].join(delimiter)
  const env = { ...process.env, PATH }
  for (const key of Object.keys(env)) if (key.startsWith('npm_') || key === 'NODE_OPTIONS' || key === 'INIT_CWD') delete env[key]
  for (const tool of ['cargo', 'rustc']) {
    const probe = spawnSync(tool, ['--version'], { env })
    if (!probe.error) fail(`${tool} is still on the reduced PATH`)
  }

  const project = join(work, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check-project', version: '1.0.0', private: true, type: 'module' }, null, 2))
  const registry = await emptyRegistry()
  const installArgs = [
    npmCli(), 'install', platformPkg.file, rootPkg.file,
    '--no-audit', '--no-fund', '--no-update-notifier',
    '--cache', join(work, 'npm-cache'),
    '--registry', registry.url,
  ]
  const started = performance.now()
  await runAsync(process.execPath, installArgs, { cwd: project, env })
  const installMs = performance.now() - started
  registry.close()
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const platformPackages = new Set(Object.keys(manifest.optionalDependencies))
  // npm also looks up optional peer dependencies (bullmq, for the `ferris-executor/bullmq`
  // subpath), and installs none of them when the registry has none.
  const optionalPeers = Object.keys(manifest.peerDependenciesMeta ?? {}).filter((name) => manifest.peerDependenciesMeta[name].optional)
  const declarationsOf = (name) => {
    const dir = join(root, 'node_modules', name)
    return join(dir, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).types ?? 'index.d.ts')
  }
  const unexpected = registry.asked.filter((name) => !platformPackages.has(name) && !optionalPeers.includes(name))
  if (unexpected.length > 0) fail(`the install asked the registry for more than the other platforms' packages and optional peers: ${unexpected.join(', ')}`)
  for (const name of optionalPeers) if (existsSync(join(project, 'node_modules', name))) fail(`npm installed the optional peer ${name}`)
  const installed = join(project, 'node_modules')
  if (!existsSync(join(installed, `ferris-executor-${PLATFORM}`, binary))) fail(`npm did not install ferris-executor-${PLATFORM} with its addon`)
  if (readdirSync(join(installed, 'ferris-executor')).some((f) => f.endsWith('.node'))) fail('the installed root package holds a .node file')

  // The type tests, against the installed declarations (in the repository, TypeScript maps
  // dist/*.d.ts back to the sources in lib/: only here are the published types what is checked).
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
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, env })
  console.log('pack:check: type tests (test-d/) against the installed declarations: ok')

  // 5. Smoke scripts: ESM, CommonJS, and both in one process sharing the one addon.
  const smoke = (load) => `
    ${load}
    const executor = new Executor({ maxWorkers: 2 })
    const [js, asyncJs, spin, squares, mapped] = await Promise.all([
      executor.submit((a, b) => a * b, [6, 7]),
      executor.submit(async (s) => s.toUpperCase(), ['ok']),
      executor.submit(kernels.spin, [1000]),
      executor.submit(kernels.sumOfSquares, [new Float64Array([1, 2, 3])]),
      executor.map(kernels.spin, [0, 10, 100]),
    ])
    await executor.shutdown()
    if (js !== 42 || asyncJs !== 'OK' || squares !== 14) throw new Error('wrong results: ' + [js, asyncJs, squares])
    if (!Number.isSafeInteger(spin) || mapped.length !== 3 || !mapped.every(Number.isSafeInteger)) throw new Error('wrong spin results')
    console.log('ok')
  `
  const scripts = {
    'smoke-import.mjs': smoke(`import { Executor, kernels } from 'ferris-executor'`),
    'smoke-require.cjs': `(async () => {${smoke(`const { Executor, kernels } = require('ferris-executor')`)}})().catch((e) => { console.error(e); process.exit(1) })`,
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
    const out = run(process.execPath, [name], { cwd: project, env }).trim()
    if (out !== 'ok') fail(`${name} printed ${JSON.stringify(out)}`)
    console.log(`pack:check: ${name}: ok`)
  }
  const cold = []
  for (let i = 0; i < COLD_RUNS; i++) cold.push(JSON.parse(run(process.execPath, ['cold-start.mjs'], { cwd: project, env })))

  console.log(`pack:check: passed
  ${rootPkg.filename}: ${kib(rootPkg.size)} packed, ${kib(rootPkg.unpackedSize)} unpacked, ${rootPkg.files.length} files
  ${platformPkg.filename}: ${kib(platformPkg.size)} packed, ${kib(platformPkg.unpackedSize)} unpacked, ${platformPkg.files.length} files
  install of both tarballs into an empty project (empty cache, a registry without the package): ${installMs.toFixed(0)} ms
  cold start, median of ${COLD_RUNS} fresh processes: ${median(cold.map((c) => c.importToResult)).toFixed(1)} ms from import to the first result (${median(cold.map((c) => c.processToResult)).toFixed(1)} ms from process start)`)

  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true })
    const kept = [platformPkg, rootPkg].map((pkg) => {
      copyFileSync(pkg.file, join(outDir, pkg.filename))
      return join(outDir, pkg.filename)
    })
    console.log(`pack:check: kept the checked tarballs; install both in one command (the platform package first):
  npm install ${kept.join(' ')}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
