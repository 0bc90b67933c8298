/**
 * A burst of 100 000 trivial tasks submitted at once and awaited, on this checkout's build
 * against another build of the package (a baseline), side by side: each round runs one child
 * process per build, the order alternating, and each child times its burst after a warm-up.
 * For changes on the submission path (a submission that finds a free slot is handed to the
 * pool at once, issue 19 item 4) that must cost a burst nothing.
 *
 *   node bench/submit-burst.mjs BASELINE_DIR [--rounds 7]
 *
 * BASELINE_DIR holds `package.json`, `dist/` and the `.node` of the baseline (a copy of a
 * built checkout). Prints, per kind of task, the median ms of each build and the median of
 * the per-round ratios (this / baseline).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { median } from './common.mjs'

const TASKS = 100_000
const KINDS = ['worker', 'main']

const CHILD = `
  const { Executor, workerTask } = await import(process.argv[2])
  const kind = process.argv[3]
  const tasks = Number(process.argv[4])
  const executor = new Executor({ maxWorkers: 2, queueCapacity: tasks })
  await executor.startWorkers()
  const inc = kind === 'worker' ? workerTask((x) => x + 1) : (x) => x + 1
  const burst = async (n) => {
    const futures = new Array(n)
    for (let i = 0; i < n; i++) futures[i] = executor.submit(inc, [i])
    await Promise.all(futures)
  }
  await burst(tasks / 10)
  const start = performance.now()
  await burst(tasks)
  console.log(performance.now() - start)
  await executor.shutdown()
`

// A file, not \`-e\`: a baseline from before issue 19 cannot start workers under --input-type.
const dir = mkdtempSync(join(tmpdir(), 'submit-burst-'))
const script = join(dir, 'child.mjs')
writeFileSync(script, CHILD)
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

function burstMs(packageDir, kind) {
  const entry = pathToFileURL(resolve(packageDir, 'dist', 'index.js')).href
  const child = spawnSync(process.execPath, [script, entry, kind, String(TASKS)], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`the child failed: ${child.stderr}`)
  return Number(child.stdout.trim())
}

const args = process.argv.slice(2)
const baseline = args[0]
if (baseline === undefined) throw new TypeError('usage: node bench/submit-burst.mjs BASELINE_DIR [--rounds N]')
const at = args.indexOf('--rounds')
const rounds = at >= 0 ? Number(args[at + 1]) : 7
const here = resolve(fileURLToPath(import.meta.url), '..', '..')

for (const kind of KINDS) {
  const ours = []
  const theirs = []
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0
    const a = first ? burstMs(here, kind) : undefined
    const b = burstMs(baseline, kind)
    ours.push(a ?? burstMs(here, kind))
    theirs.push(b)
  }
  const ratios = ours.map((ms, i) => ms / theirs[i])
  console.log(
    `${kind} tasks, burst of ${TASKS}: this build ${median(ours).toFixed(0)} ms, baseline ${median(theirs).toFixed(0)} ms, ` +
      `ratio ${median(ratios).toFixed(3)} (median of ${rounds} paired rounds)`,
  )
}
