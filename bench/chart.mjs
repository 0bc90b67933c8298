/** An SVG bar chart of speedups over js-main, one group of bars per workload. */

const COLORS = { 'js-executor': '#9aa5b1', 'js-workers': '#2563eb', 'native-1': '#f0a04b', 'native-N': '#c2410c' }

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;')

/**
 * `speedups`: `[{ workload, ratios: { [variant]: x } }]`; bars are drawn on a log scale so
 * that 0.5x and 20x both read clearly, with a line at 1x (js-main, or what `title` names).
 * `colors` adds bar colours for variants not in COLORS.
 */
export function speedupChart(speedups, variants, machine, { title = 'Speedup over js-main (log scale)', colors = {} } = {}) {
  const color = (variant) => colors[variant] ?? COLORS[variant] ?? '#555'
  const groupWidth = 24 * variants.length + 24
  const [left, top, plotHeight] = [56, 40, 260]
  const width = left + speedups.length * groupWidth + 150
  const height = top + plotHeight + 70
  const values = speedups.flatMap((s) => variants.map((v) => s.ratios[v]))
  const maxLog = Math.ceil(Math.log10(Math.max(...values, 10)))
  const minLog = Math.floor(Math.log10(Math.min(...values, 0.1)))
  const y = (x) => top + plotHeight - ((Math.log10(x) - minLog) / (maxLog - minLog)) * plotHeight
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="13">${escape(title)}: ${escape(machine.cores)} cores, ${escape(machine.cpu)}, Node ${escape(machine.node)}</text>`,
  ]
  for (let e = minLog; e <= maxLog; e++) {
    for (const m of [1, 2, 5]) {
      const tick = m * 10 ** e
      if (Math.log10(tick) > maxLog) break
      const ty = y(tick)
      out.push(`<line x1="${left}" x2="${width - 150}" y1="${ty}" y2="${ty}" stroke="${tick === 1 ? '#333' : '#e5e7eb'}"/>`)
      out.push(`<text x="${left - 6}" y="${ty + 4}" text-anchor="end">${tick}x</text>`)
    }
  }
  speedups.forEach((s, g) => {
    const x0 = left + g * groupWidth + 12
    variants.forEach((v, i) => {
      const value = s.ratios[v]
      const [ya, yb] = [y(Math.max(value, 10 ** minLog)), y(1)]
      out.push(
        `<rect x="${x0 + i * 24}" y="${Math.min(ya, yb)}" width="20" height="${Math.abs(yb - ya)}" fill="${color(v)}"><title>${escape(s.workload)} ${v}: ${value.toFixed(2)}x</title></rect>`,
      )
    })
    out.push(`<text x="${x0 + (24 * variants.length) / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${escape(s.workload)}</text>`)
  })
  variants.forEach((v, i) => {
    const ly = top + 10 + i * 18
    out.push(`<rect x="${width - 130}" y="${ly - 10}" width="12" height="12" fill="${color(v)}"/>`)
    out.push(`<text x="${width - 112}" y="${ly}">${v}</text>`)
  })
  out.push('</svg>')
  return out.join('\n')
}
