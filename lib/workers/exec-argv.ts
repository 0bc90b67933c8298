/**
 * The Node options worker threads start with, when `workerOptions.execArgv` does not say.
 *
 * By default a worker inherits the process's options as Node does (and piscina, workerpool and
 * poolifier, which leave `execArgv` unset): Node then applies those a worker can have and
 * ignores the rest. Passing `process.execArgv` explicitly instead would make Node refuse every
 * worker of a program started with a per-process option (`--max-old-space-size`,
 * `--expose-gc`, `--perf-basic-prof`, ...: `ERR_WORKER_INVALID_EXEC_ARGV`).
 *
 * One inherited option breaks our workers: `--input-type` (how an `-e` script or stdin is read)
 * makes a worker whose program is an ES module, as ours is, fail to start
 * (`ERR_INPUT_TYPE_NOT_ALLOWED`). Only then is the list explicit, without it; a per-process
 * option next to it is then refused as above, and `workerOptions.execArgv` is the way out.
 * piscina's worker program is CommonJS, which the option does not touch.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] | undefined {
  if (!execArgv.some((arg) => arg === '--input-type' || arg.startsWith('--input-type='))) return undefined
  const kept: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!
    if (arg === '--input-type') i++ // its value follows
    else if (!arg.startsWith('--input-type=')) kept.push(arg)
  }
  return kept
}
