/**
 * A throwaway `redis-server` for the tests and benchmarks of `ferris-executor/bullmq`: on a free
 * port of 127.0.0.1, with its files in a fresh temporary directory, stopped and removed by
 * `stop()`. `restart()` stops it and starts it again on the same port and directory (with
 * `appendOnly`, what was queued survives, as it would on a real server).
 *
 * Needs `redis-server` on the PATH (`.ci/run` installs it: `apt-get install -y redis-server`).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Generous: a loaded 2-core machine may take seconds to start a process and replay an AOF. */
const START_TIMEOUT_MS = 30_000

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function launch(port, dir, appendOnly) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no']
  // fsync at every write: a stop (even SIGKILL of the server) loses nothing acknowledged
  if (appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always')
  else args.push('--appendonly', 'no')
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`))
    }, START_TIMEOUT_MS)
    const onData = (data) => {
      output += data
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout.off('data', onData)
        child.stdout.resume()
        resolve(child)
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', (d) => (output += d))
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error.code === 'ENOENT' ? new Error('redis-server is not installed (apt-get install -y redis-server)', { cause: error }) : error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })
}

/** How many times a start is tried when its port turns out to be taken. */
const BIND_ATTEMPTS = 5

function isAddressInUse(error) {
  return error instanceof Error && /address already in use/i.test(error.message)
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM') // (redis-server flushes its append-only file and exits)
  })
}

/** Whether `redis-server` can be run here. */
export function hasRedisServer() {
  return spawnSync('redis-server', ['--version']).status === 0
}

/**
 * Starts a server. `options.appendOnly`: keep an fsynced append-only file (default false).
 * Resolves with `{ port, connection, restart(), stop() }`.
 */
export async function startRedis({ appendOnly = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ferris-redis-'))
  // The free port is probed, then released before redis binds it, so another process can take
  // it in between: a fresh start tries again on a new port.
  let port
  let child
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    child = await launch(port, dir, appendOnly).catch((error) => {
      if (attempt >= BIND_ATTEMPTS || !isAddressInUse(error)) throw error
    })
  }
  let stopped = false
  return {
    port,
    connection: { host: '127.0.0.1', port },
    async restart() {
      await stopChild(child)
      // The same port, as a restarted server has: retried while something else holds it.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(port, dir, appendOnly)
          return
        } catch (error) {
          if (attempt >= BIND_ATTEMPTS || !isAddressInUse(error)) throw error
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
        }
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
