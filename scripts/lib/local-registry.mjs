/**
 * A real npm registry on 127.0.0.1 for `pack:check`: verdaccio (pinned; set up on first use
 * into target/tools/), with no uplink, so it holds only what is published to it and answers
 * 404 for everything else, as the public registry does for the platforms we do not publish
 * here. One user, made through the registry's own sign-up endpoint, publishes.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

import { run, start } from './processes.mjs'
import { cachedTool, npmCli } from './tool-cache.mjs'

/** 6.8 is the last verdaccio that runs on Node 20 (6.10 wants 22). */
export const VERDACCIO = 'verdaccio@6.8.0'
const START_TIMEOUT_MS = 60_000

function verdaccio() {
  return cachedTool('verdaccio', VERDACCIO, (dir) =>
    run(process.execPath, [npmCli(), 'install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', VERDACCIO], { timeoutMs: 600_000 }),
  )
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** The packages whose documents were asked for (GET /<name>), from verdaccio's JSON log lines. */
function requestedPackages(log) {
  const names = new Set()
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue
    const { req } = JSON.parse(line)
    const path = req?.method === 'GET' ? decodeURIComponent(req.url.split('?')[0]).slice(1) : ''
    // A document, not a tarball (<name>/-/<file>.tgz) nor an endpoint (-/ping, -/user/...).
    if (path && !path.startsWith('-/') && !path.includes('/-/')) names.add(path)
  }
  return [...names]
}

/**
 * Starts a registry with its storage in `dir`; resolves to `{ url, userconfig,
 * requestedPackages, stop }` once it answers. `userconfig` is an npmrc that points npm at it
 * with a publishing token; `requestedPackages()` lists the packages asked for so far. The server
 * runs in its own process group: `stop()` (and this process's exit, whatever the cause) kills it.
 */
export async function startLocalRegistry(dir) {
  const tool = await verdaccio()
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const config = join(dir, 'config.yaml')
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: json, level: http }',
      '',
    ].join('\n'),
  )
  const server = start(process.execPath, [join(tool, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: dir })
  let log = ''
  server.child.stdout.on('data', (chunk) => (log += chunk))
  server.child.stderr.on('data', (chunk) => (log += chunk))
  try {
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`verdaccio exited with ${server.child.exitCode}:\n${log}`)
      const ping = await fetch(new URL('-/ping', url), { signal: AbortSignal.timeout(2_000) }).catch(() => undefined)
      if (ping?.ok) break
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer within ${START_TIMEOUT_MS / 1000} s:\n${log}`)
      await new Promise((r) => setTimeout(r, 250))
    }
    const signUp = await fetch(new URL('-/user/org.couchdb.user:pack-check', url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pack-check', password: 'pack-check-only' }),
      signal: AbortSignal.timeout(10_000),
    })
    const { token } = await signUp.json()
    if (!signUp.ok || !token) throw new Error(`verdaccio refused the sign-up: ${signUp.status}`)
    const userconfig = join(dir, 'npmrc')
    writeFileSync(userconfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`)
    return { url, userconfig, requestedPackages: () => requestedPackages(log), stop: server.stop }
  } catch (error) {
    server.stop()
    throw error
  }
}
