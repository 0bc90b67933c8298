/**
 * A one-line progress bar for long benchmark runs, on stderr, so a benchmark's stdout (its
 * table) stays clean when piped. Drawn only when the stream is a terminal: in CI logs and
 * redirected output it prints nothing. No dependencies.
 *
 *   import { createProgress } from './progress.mjs'
 *   const progress = createProgress({ total: 30, label: 'overhead' })
 *   progress.tick('p-queue')   // one unit done; the text says what runs now
 *   progress.done()            // erases the bar
 *
 * Redraws at most every `intervalMs` (100 ms): ticking in a loop costs almost nothing.
 */

/**
 * @param {object} options
 * @param {number} options.total units of work in the whole run (samples, say)
 * @param {string} [options.label] shown before the bar
 * @param {NodeJS.WriteStream} [options.stream] default `process.stderr`
 * @param {number} [options.intervalMs] fewest milliseconds between two redraws, default 100
 * @param {boolean} [options.enabled] default: whether `stream` is a TTY
 * @returns {{ tick(what?: string, units?: number): void, done(): void }}
 */
export function createProgress({ total, label = '', stream = process.stderr, intervalMs = 100, enabled = Boolean(stream.isTTY) }) {
  if (!(Number.isFinite(total) && total > 0)) throw new RangeError(`progress total must be a positive number, got ${total}`)
  const started = performance.now()
  let completed = 0
  let text = ''
  let drawnAt = -Infinity

  const draw = () => {
    const elapsed = (performance.now() - started) / 1000
    const fraction = Math.min(1, completed / total)
    const eta = completed > 0 ? (elapsed / completed) * (total - completed) : undefined
    const width = 24
    const filled = Math.round(fraction * width)
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled)
    const times = `${formatSeconds(elapsed)}${eta === undefined ? '' : ` eta ${formatSeconds(eta)}`}`
    let line = `${label} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${times}  ${text}`
    const columns = stream.columns ?? 80
    if (line.length > columns - 1) line = line.slice(0, columns - 1)
    stream.write(`\r${line}\x1b[K`)
    drawnAt = performance.now()
  }

  return {
    tick(what = text, units = 1) {
      completed += units
      text = what
      if (enabled && performance.now() - drawnAt >= intervalMs) draw()
    },
    done() {
      if (enabled && drawnAt !== -Infinity) stream.write('\r\x1b[K')
      enabled = false
    },
  }
}

function formatSeconds(s) {
  return s < 60 ? `${s.toFixed(0)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
}
