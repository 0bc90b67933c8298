/**
 * The Node options worker threads start with. A `Worker` inherits `process.execArgv` by
 * default, but `--input-type` (how an `-e` script or stdin is read) makes a worker whose
 * program is an ES module, as ours is, fail to start (`ERR_INPUT_TYPE_NOT_ALLOWED`): a
 * program run as `node --input-type=module -e ...` could run no worker task. Every other option
 * (`--import` loaders, `--enable-source-maps`, ...) is kept. piscina's worker program is
 * CommonJS, which the option does not touch.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!
    if (arg === '--input-type') i++ // its value follows
    else if (!arg.startsWith('--input-type=')) kept.push(arg)
  }
  return kept
}
