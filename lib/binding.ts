/** What the TypeScript layer uses of the native addon (loaded by `addon.ts`): classes and functions. */
import { addon } from './addon.js'
import type * as Native from '../native.js'

export const { NativeExecutor, listKernels: listNativeKernels, registerKernels: registerNativeKernels, cpuUsage, memoryUsage } = addon
export type NativeExecutor = Native.NativeExecutor
export type { EventBatch, KernelInfo, NativeStats, NativeSummary } from '../native.js'
