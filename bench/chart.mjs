/** An SVG bar chart of speedups over js-main, one group of bars per workload. */

const COLORS = {
  'js-executor': '#9aa5b1',
  'js-workers': '#2563eb',
  'native-1': '#f0a04b',
  'native-N': '#c2410c',
  'N/1': '#15803d',
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;')
const label = (x) => `${x >= 10 ? x.toFixed(0) : x.toFixed(x >= 1 ? 1 : 2)}x`

/**
 * `speedups`: `[{ workload, ratios: { [variant]: x } }]`; bars are drawn on a log scale so
 * that 0.5x and 20x both read clearly, with a line at 1x (js-main, or what `title` names), and
 * each carries its value. `colors` adds bar colours for variants not in COLORS; `legend` names
 * variants whose baseline is not the title's (`{ 'N/1': 'N/1: native-N over native-1' }`).
 * The caption under the plot names the machine (`machine`, from bench/common.mjs) and, given
 * `load` (`{ start, end }`: the 1-minute load average when the run started and ended), its load average during the run: a busy host's figures are
 * not comparable with a quiet one's.
 */
export function speedupChart(speedups, variants, machine, { title = 'Speedup over js-main (log scale)', colors = {}, legend = {}, load } = {}) {
  const color = (variant) => colors[variant] ?? COLORS[variant] ?? '#555'
  const [barWidth, barStep] = [20, 24]
  const groupWidth = barStep * variants.length + 24
  const [left, top, plotHeight] = [56, 64, 260]
  const legendWidth = 48 + 7 * Math.max(...variants.map((v) => (legend[v] ?? v).length))
  const caption = [`${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, ${machine.os}`]
  if (load) caption.push(`load average (1 min): ${load.start.toFixed(2)} at the start of the run, ${load.end.toFixed(2)} at its end (above 0, other processes shared these cores)`)
  const width = Math.max(left + speedups.length * groupWidth + legendWidth, left + 6 * Math.max(...caption.map((line) => line.length), title.length * 1.2))
  const height = top + plotHeight + 86
  const values = speedups.flatMap((s) => variants.map((v) => s.ratios[v])).filter(Number.isFinite)
  const maxLog = Math.log10(Math.max(...values, 10)) + 0.25 // room for the label above the tallest bar
  const minLog = Math.floor(Math.log10(Math.min(...values, 0.1)))
  const y = (x) => top + plotHeight - ((Math.log10(x) - minLog) / (maxLog - minLog)) * plotHeight
  const plotRight = left + speedups.length * groupWidth
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="13">${escape(title)}</text>`,
  ]
  for (let e = minLog; e <= Math.ceil(maxLog); e++) {
    for (const m of [1, 2, 5]) {
      const tick = m * 10 ** e
      if (Math.log10(tick) > maxLog) break
      const ty = y(tick)
      out.push(`<line x1="${left}" x2="${plotRight}" y1="${ty}" y2="${ty}" stroke="${tick === 1 ? '#333' : '#e5e7eb'}"/>`)
      out.push(`<text x="${left - 6}" y="${ty + 4}" text-anchor="end">${tick}x</text>`)
    }
  }
  speedups.forEach((s, g) => {
    const x0 = left + g * groupWidth + 12
    variants.forEach((v, i) => {
      const value = s.ratios[v]
      if (!Number.isFinite(value)) return
      const [ya, yb] = [y(Math.max(value, 10 ** minLog)), y(1)]
      const x = x0 + i * barStep
      out.push(
        `<rect x="${x}" y="${Math.min(ya, yb)}" width="${barWidth}" height="${Math.abs(yb - ya)}" fill="${color(v)}"><title>${escape(s.workload)} ${escape(legend[v] ?? v)}: ${value.toFixed(2)}x</title></rect>`,
      )
      // The value, written upwards from the bar's end: above a bar that rises from 1x, below one that falls.
      const [tx, ty] = [x + barWidth / 2 + 4, value >= 1 ? ya - 3 : ya + 3]
      out.push(
        `<text x="${tx}" y="${ty}" font-size="10" transform="rotate(-90 ${tx} ${ty})" text-anchor="${value >= 1 ? 'start' : 'end'}">${label(value)}</text>`,
      )
    })
    out.push(`<text x="${x0 + (barStep * variants.length) / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${escape(s.workload)}</text>`)
  })
  variants.forEach((v, i) => {
    const ly = top + 10 + i * 18
    out.push(`<rect x="${plotRight + 20}" y="${ly - 10}" width="12" height="12" fill="${color(v)}"/>`)
    out.push(`<text x="${plotRight + 38}" y="${ly}">${escape(legend[v] ?? v)}</text>`)
  })
  caption.forEach((line, i) => out.push(`<text x="${left}" y="${top + plotHeight + 44 + i * 16}" fill="#444">${escape(line)}</text>`))
  out.push('</svg>')
  return out.join('\n')
}
