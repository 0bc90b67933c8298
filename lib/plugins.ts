/** Kernel plugins: native kernels loaded at run time from a shared library. */
import { registerNativeKernels } from './binding.js'
import { PluginError } from './errors.js'
import { adoptKernel, type Kernel } from './kernels.js'

/**
 * The handles of a plugin's kernels, by kernel name: what `registerKernels` returns when no
 * type describes them.
 *
 * ```ts
 * const plugin: PluginKernels = registerKernels('./libmy_kernels.so')
 * for (const [name, kernel] of Object.entries(plugin)) console.log(name, kernel.params)
 * ```
 */
export type PluginKernels = { readonly [name: string]: Kernel }

/** What `registerKernels` returned per set of kernels, so that a second call returns the same object. */
const registered = new Map<string, PluginKernels>()

/**
 * Loads the kernel plugin at `path` (a shared library built with `ferris-kernel-sdk`, or any
 * library implementing its C ABI) and registers its kernels, process-wide; returns their
 * handles by name, to use with `submit`, `map` and `imap` like built-in kernels. `K` describes
 * them (it is not checked against the library: arguments are, at submission, by the
 * parameter kinds the plugin declared). Registering the same file again returns the same
 * handles. Throws `PluginError` if the library cannot be registered (missing, not a shared
 * library, no entry point, another ABI version, a name already registered, an unknown
 * parameter kind), `TypeError` if `path` is not a string.
 *
 * ```ts
 * const { scale } = registerKernels<{ scale: Kernel<[Float64Array, number], Float64Array> }>(
 *   './target/release/libmy_kernels.so',
 * )
 * const doubled = await executor.submit(scale, [new Float64Array([1, 2]), 2]) // Float64Array [2, 4]
 * ```
 */
export function registerKernels<K extends { readonly [P in keyof K]: Kernel } = PluginKernels>(path: string): K {
  if (typeof path !== 'string') throw new TypeError(`registerKernels takes the path of a shared library, got ${typeof path}`)
  let infos: ReturnType<typeof registerNativeKernels>
  try {
    infos = registerNativeKernels(path)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new PluginError(path, reason, { cause: error })
  }
  const key = infos.map((info) => info.index).join(',')
  let kernels = registered.get(key)
  if (kernels === undefined) {
    kernels = Object.freeze(Object.fromEntries(infos.map((info) => [info.name, adoptKernel(info)])))
    registered.set(key, kernels)
  }
  return kernels as K
}
