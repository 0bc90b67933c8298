/**
 * The silent mistake of a `workerTask(fn)` that closes over an import named like a global of
 * the worker (`import crypto from 'node:crypto'`, then `crypto.createHash(...)` in `fn`): in
 * the worker the name resolves to the worker's own global (Web Crypto, here), so the task
 * runs with a different object instead of failing. Found where it can be cheaply: a name of
 * the list below, used in `fn`'s source, and declared at the top of the file that called
 * `workerTask` (an import, `const`/`let`/`var`, function or class). Warned once per name and
 * file, with code `FERRIS_WORKER_GLOBAL`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import type { Origin } from './source.js'

/** Globals of a worker that are also common names of imports or variables. */
const WORKER_GLOBALS = [
  'crypto',
  'process',
  'performance',
  'URL',
  'URLSearchParams',
  'Buffer',
  'fetch',
  'console',
  'TextEncoder',
  'TextDecoder',
  'structuredClone',
  'AbortController',
  'EventEmitter',
  'Blob',
  'setTimeout',
  'setInterval',
  'queueMicrotask',
]
const NAMES = new RegExp(`(?<![.\\w$])(?:${WORKER_GLOBALS.join('|')})(?![\\w$])`, 'g')

/** Comments and string literals, which may mention a name without using it. */
const NOT_CODE = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g

/** `name`'s own declaration in a function's source (a parameter or a local), which the worker has too. */
function declaresItself(source: string, name: string): boolean {
  const params = /^[^=]*?\(([^)]*)\)\s*(?:=>|\{)|^\s*(?:async\s+)?([\w$]+)\s*=>/.exec(source)
  if (params !== null && new RegExp(`(?<![\\w$])${name}(?![\\w$])`).test(params[1] ?? params[2] ?? '')) return true
  return new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(source)
}

/** Caller files read so far: each is read once, and only if a function uses one of the names. */
const files = new Map<string, string | undefined>()
const warned = new Set<string>()

function read(url: string): string | undefined {
  if (!files.has(url)) {
    let text: string | undefined
    try {
      text = readFileSync(url.startsWith('file:') ? fileURLToPath(url) : url, 'utf8')
    } catch {
      text = undefined
    }
    files.set(url, text)
  }
  return files.get(url)
}

/** Names of `WORKER_GLOBALS` that `source` uses and the file at `origin` declares at its top level. */
export function shadowedGlobals(source: string, origin: Origin | undefined): string[] {
  if (origin === undefined) return []
  const code = source.replace(NOT_CODE, '""')
  const used = new Set(code.match(NAMES))
  if (used.size === 0) return []
  const file = read(origin.url)
  if (file === undefined) return []
  const shadowed: string[] = []
  for (const name of used) {
    if (declaresItself(code, name)) continue
    const declared = new RegExp(
      `^\\s*(?:import\\b[^;'"]*?(?<![\\w$])${name}(?![\\w$])[^;'"]*?\\bfrom\\b|(?:export\\s+)?(?:const|let|var|function|class)\\s+${name}(?![\\w$])|(?:const|let|var)\\s*\\{[^}]*(?<![\\w$])${name}\\s*\\}?[^=]*=\\s*require\\()`,
      'm',
    )
    if (declared.test(file)) shadowed.push(name)
  }
  return shadowed
}

/** Warns (once per name and file) that `names`, used in a `workerTask(fn)` at `origin`, are the worker's own globals there. */
export function warnShadowedGlobals(names: readonly string[], origin: Origin): void {
  for (const name of names) {
    const key = `${name}\0${origin.url}`
    if (warned.has(key)) continue
    warned.add(key)
    process.emitWarning(
      `workerTask(fn) at ${origin.url}:${origin.line} uses "${name}", which that file declares or imports; ` +
        `in the worker, "${name}" is the worker's own global, not that variable. Import it inside fn ` +
        `(await import(...)), pass it as an argument, or use workerTask(moduleUrl, exportName).`,
      { type: 'FerrisExecutorWarning', code: 'FERRIS_WORKER_GLOBAL' },
    )
  }
}
