/**
 * Where a function's caller is: read once per `workerTask(fn)` (a stack capture of one frame,
 * a few microseconds), never per task.
 */
import { pathToFileURL } from 'node:url'

import type { Origin } from './source.js'

/** The last `file:line:column` of a stack frame, with or without parentheses around it. */
const FRAME = /\(?((?:file:\/\/|node:|\/|[A-Za-z]:[\\/])[^()\s]*?|[^()\s]+?):(\d+):\d+\)?$/

/**
 * The file and line of the code that called `callee` (as the stack names them: with source
 * maps enabled, the TypeScript file's line), or `undefined` when the stack does not say
 * (an eval, a REPL line, `Error.stackTraceLimit = 0`).
 */
export function callSiteOf(callee: (...args: never[]) => unknown): Origin | undefined {
  const limit = Error.stackTraceLimit
  const holder: { stack?: string } = {}
  try {
    Error.stackTraceLimit = 1
    Error.captureStackTrace(holder, callee)
  } finally {
    Error.stackTraceLimit = limit
  }
  const frame = holder.stack?.split('\n')[1]?.trim()
  const match = frame === undefined ? null : FRAME.exec(frame)
  if (match === null) return undefined
  const [, file, line] = match as unknown as [string, string, string]
  if (file.startsWith('node:') || file.startsWith('<') || file === 'native') return undefined
  return { url: /^\/|^[A-Za-z]:[\\/]/.test(file) ? pathToFileURL(file).href : file, line: Number(line) }
}
