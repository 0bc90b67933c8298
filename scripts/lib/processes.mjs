/**
 * Child processes for the packaging scripts, each in a process group of its own so that it
 * and everything it starts (npm's scripts, a registry server, a chroot's node) can be stopped
 * together. Rules: every wait is bounded (a command that overruns its timeout is killed, group
 * and all, and fails); every group still running when this process exits, on an error or a
 * signal included, is killed then. Nothing here outlives the script that started it.
 */
import { spawn } from 'node:child_process'

const running = new Set()

function killGroup(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

let hooked = false
/** On the first start: kill what is still running when this process exits, or is told to. */
function hookExit() {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of running) killGroup(child)
  })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.once(signal, () => {
      for (const child of running) killGroup(child)
      process.exit(code)
    })
  }
}

export class CommandError extends Error {
  constructor(message, { stdout = '', stderr = '' } = {}) {
    super(message)
    this.name = 'CommandError'
    this.stdout = stdout
    this.stderr = stderr
  }
}

const describe = (command, args) => [command, ...args].join(' ')
const tail = (text, lines = 60) => text.split('\n').slice(-lines).join('\n')

/**
 * Starts `command` in a new process group; returns the child and `stop()`, which kills the
 * group (idempotent). The group is killed on exit if the caller never stops it.
 */
export function start(command, args, options = {}) {
  hookExit()
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true })
  running.add(child)
  // The whole group, even once the leader has exited: what it started may still run.
  const stop = () => {
    killGroup(child)
    running.delete(child)
  }
  return { child, stop }
}

/**
 * Runs `command` to completion within `timeoutMs`; resolves to its stdout, rejects with a
 * CommandError (holding the output's tail) on a non-zero exit or a timeout. `inherit: true`
 * shows the output live instead of collecting it.
 */
export function run(command, args, { timeoutMs, inherit = false, ...options } = {}) {
  if (!(timeoutMs > 0)) throw new TypeError(`run(${command}): timeoutMs is required`)
  return new Promise((resolve, reject) => {
    const { child, stop } = start(command, args, { ...options, stdio: ['ignore', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.stderr?.on('data', (chunk) => (stderr += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      stop()
      reject(new CommandError(`${describe(command, args)}: ${error.message}`))
    })
    child.once('close', (status, signal) => {
      clearTimeout(timer)
      stop() // whatever the command left behind in its group
      if (status === 0) return resolve(stdout)
      const why = timedOut ? `took longer than ${timeoutMs / 1000} s and was stopped` : `exited with ${status ?? signal}`
      reject(new CommandError(`${describe(command, args)} ${why}\n${tail(stdout)}\n${tail(stderr)}`.trimEnd(), { stdout, stderr }))
    })
  })
}
