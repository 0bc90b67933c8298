/**
 * The parent's side of one library's child process (bench/workers/harness.mjs): start it,
 * send it commands one at a time, and account for the CPU other processes used meanwhile.
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { platform } from 'node:os'
import { fileURLToPath } from 'node:url'

const HARNESS = fileURLToPath(new URL('./harness.mjs', import.meta.url))
/** A command (or the start) that takes longer is stuck: the library fails instead of hanging the run. */
const COMMAND_TIMEOUT_MS = 3 * 60_000
/** How long a child may take to exit once it has closed its pool. */
const EXIT_TIMEOUT_MS = 10_000

/**
 * Busy CPU milliseconds of the whole machine so far, from /proc/stat (Linux; `undefined`
 * elsewhere): with a child's own CPU time it tells how much other processes ran during that
 * child's commands, since this machine is shared and a busy neighbour halves a parallel figure.
 */
function machineBusyMs() {
  if (platform() !== 'linux') return undefined
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq, steal] = fields
  // /proc/stat counts in USER_HZ ticks, 100 per second on Linux.
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100
}

export class LibraryChild {
  /** Set when a command failed, the child died or it hung: the library's figures are not reported. */
  failure
  /** What the child said when ready: `{ inline, chunkedMap }`, and its idle CPU (% of one core). */
  capabilities
  idleCpuPercent
  /** Notes on how the child ended (a close that never settled, an exit that never came). */
  notes = []
  /** CPU milliseconds other processes used, and wall milliseconds, over this child's commands. */
  othersMs = 0
  wallMs = 0
  #child
  #pending = new Map()
  #nextId = 0
  #exited = false
  /** Resolves with `{ code, signal }` when the child has exited. */
  #exit

  /** Forks the harness for `library` with `settings`; resolves once its pool is open and warm. */
  static async start(library, settings) {
    const child = new LibraryChild(library, settings)
    await child.#ready
    return child
  }

  #ready
  constructor(library, settings) {
    this.library = library
    this.closeTimeoutMs = settings.closeTimeoutMs
    this.#child = fork(HARNESS, [library, JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`${library}: not ready after ${COMMAND_TIMEOUT_MS / 1000} s`)), COMMAND_TIMEOUT_MS)
      this.#pending.set('ready', { resolve, reject, timer })
    })
    this.#child.on('message', (message) => this.#onMessage(message))
    this.#exit = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#exited = true
        resolve({ code, signal })
        if (this.#pending.size > 0) this.#fail(new Error(`${library}: the harness exited with ${signal ?? `code ${code}`}`))
      })
    })
  }

  #onMessage(message) {
    if (message.ready) {
      this.capabilities = { inline: message.inline, chunkedMap: message.chunkedMap }
      this.idleCpuPercent = message.idleCpuPercent
      return this.#settle('ready', undefined, true)
    }
    if (message.error !== undefined) return this.#settle(message.id, new Error(`${this.library}: ${message.error}`))
    this.#settle(message.id, undefined, message)
  }

  #settle(id, error, value) {
    const entry = this.#pending.get(id)
    if (entry === undefined) return
    this.#pending.delete(id)
    clearTimeout(entry.timer)
    if (error !== undefined) entry.reject(error)
    else entry.resolve(value)
  }

  #fail(error) {
    this.failure ??= error
    for (const id of [...this.#pending.keys()]) this.#settle(id, error)
    if (!this.#exited) this.#child.kill('SIGKILL')
  }

  /**
   * Runs `op` (in `mode`) in the child; resolves with its result. A failed command fails
   * the library: this and every later request reject.
   */
  async request(op, mode) {
    if (this.#exited) this.#fail(new Error(`${this.library}: the harness has exited`))
    if (this.failure !== undefined) throw this.failure
    const id = this.#nextId++
    const [busyBefore, ownBefore, wallBefore] = [machineBusyMs(), process.cpuUsage(), performance.now()]
    const reply = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`${this.library}: ${op} took over ${COMMAND_TIMEOUT_MS / 1000} s`)), COMMAND_TIMEOUT_MS)
      this.#pending.set(id, { resolve, reject, timer })
      this.#child.send({ id, op, mode })
    }).catch((error) => {
      this.#fail(error)
      throw error
    })
    const wall = performance.now() - wallBefore
    const busy = machineBusyMs()
    if (busy !== undefined) {
      const own = process.cpuUsage(ownBefore)
      this.othersMs += Math.max(0, busy - busyBefore - reply.cpuMs - (own.user + own.system) / 1000)
    }
    this.wallMs += wall
    return reply.result
  }

  /** Cores other processes kept busy on average during this child's commands. */
  get othersLoad() {
    return this.wallMs > 0 && machineBusyMs() !== undefined ? this.othersMs / this.wallMs : undefined
  }

  /** Closes the child's pool and waits for the child to exit; notes anything odd on the way. */
  async close() {
    if (this.#exited) return
    if (this.failure === undefined) {
      try {
        const { closed } = await this.request('close')
        if (!closed) this.notes.push(`its pool's close did not settle within ${this.closeTimeoutMs / 1000} s`)
      } catch {
        return
      }
    } else {
      this.#child.kill('SIGKILL')
    }
    let timer
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), EXIT_TIMEOUT_MS)))
    const ended = await Promise.race([this.#exit, late])
    clearTimeout(timer)
    if (ended === undefined) {
      this.notes.push(`its process had not exited ${EXIT_TIMEOUT_MS / 1000} s after closing its pool`)
      this.#child.kill('SIGKILL')
    } else if (this.failure === undefined && ended.code !== 0) {
      this.notes.push(`its process exited with ${ended.signal ?? `code ${ended.code}`} after closing its pool`)
    }
  }
}
