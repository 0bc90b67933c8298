/**
 * Loads the kernel plugin of this directory and uses its three kernels: `scale` (split over
 * the pool), `fnv1a` (over a map of words) and `busy` (stopped by a time limit).
 *
 *   cargo build --release --manifest-path examples/kernel-plugin/Cargo.toml
 *   npm run build:examples && node examples/kernel-plugin/main.js
 */
import { fileURLToPath } from 'node:url'

import { Executor, type Kernel, registerKernels, TimeoutError } from 'ferris-executor'

/** What the plugin exports, as `registerKernels` should type it. */
interface ExampleKernels {
  readonly scale: Kernel<[data: Float64Array, factor: number], Float64Array>
  readonly fnv1a: Kernel<[bytes: Uint8Array], number>
  readonly busy: Kernel<[ms: number], number>
}

/** The file cargo builds for a cdylib crate on this platform. */
const LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libferris_kernel_plugin_example.so',
  darwin: 'libferris_kernel_plugin_example.dylib',
  win32: 'ferris_kernel_plugin_example.dll',
}

const file = LIBRARY[process.platform] ?? LIBRARY.linux!
const { scale, fnv1a, busy } = registerKernels<ExampleKernels>(fileURLToPath(new URL(`./target/release/${file}`, import.meta.url)))

await using executor = new Executor()

const data = Float64Array.from({ length: 1_000_000 }, (_, i) => i)
const scaled = await executor.submit(scale, [data, -1.5])
const agrees = scaled.every((y, i) => y === data[i]! * -1.5)
console.log(`scale: ${scaled.length} doubles, first ${[...scaled.subarray(0, 3)].join(' ')}, agrees with JS: ${agrees}`)

const hello = await executor.submit(fnv1a, [Buffer.from('hello')])
console.log(`fnv1a("hello") = ${hello} (0x${hello.toString(16)})`)
const words = ['ferris', 'executor', 'plugin']
const hashes = await executor.map(fnv1a, words.map((w) => Buffer.from(w)))
console.log(`fnv1a over ${words.length} words: ${hashes.join(', ')}`)

try {
  await executor.submit(busy, [10_000], { timeout: 50 })
  console.log('busy(10000) with timeout 50: finished?')
} catch (error) {
  console.log(`busy(10000) with timeout 50: ${error instanceof TimeoutError ? 'TimeoutError' : String(error)}`)
}
