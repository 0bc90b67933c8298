/** Command-line options of the bench scripts: `--name value`, numbers only. */
const args = process.argv.slice(2)

/** The number after `--name` on the command line, or `fallback` when it is absent. */
export function option(name, fallback) {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = Number(args[i + 1])
  if (Number.isNaN(value)) throw new TypeError(`--${name} takes a number, got ${args[i + 1]}`)
  return value
}
