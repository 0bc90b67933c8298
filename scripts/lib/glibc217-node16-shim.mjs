/**
 * An ES module loader hook for the glibc 2.17 run, which needs Node 16 (the last official Node
 * built for glibc 2.17): it adds `os.availableParallelism` (Node >= 18.14), the one thing the
 * package imports that Node 16 lacks. Used by pack:check only; the package supports Node >= 20.19.
 */
const OS = `data:text/javascript,${encodeURIComponent(
  "import os from 'os'; export * from 'os'; export default os; export const availableParallelism = () => os.cpus().length",
)}`

export async function resolve(specifier, context, next) {
  return specifier === 'node:os' ? { url: OS, shortCircuit: true } : next(specifier, context)
}
