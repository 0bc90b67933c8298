/** The native addon, and the codes it shares with this layer (mirrored in `src/`). */
import { addon } from './addon.js'
import type * as Native from '../native.js'

export const { NativeExecutor, listKernels: listNativeKernels, cpuUsage, memoryUsage } = addon
export type NativeExecutor = Native.NativeExecutor
export type { NativeStats, NativeSummary } from '../native.js'

/** Task kinds in `submitBatch`'s `meta`, bits 2-3 (src/executor.rs). */
export const TaskKind = { JS: 0, KERNEL: 1, CHUNK: 2 } as const

/** `meta` flag: the kernel task has a run-time limit, first in `numbers` (src/executor.rs). */
export const TIMED = 1 << 4

/** `meta` bits below the kernel index (src/executor.rs). */
export const KERNEL_SHIFT = 5

/** `reason` of a batch refusal (src/executor.rs). */
export const Refused = { QUEUE_FULL: 1, CLOSED: 2, INVALID: 3 } as const

/** Event kinds of the dispatcher's `kinds` array (src/events.rs). */
export const EventKind = { NUMBER: 0, NULL: 1, VALUES: 2, FAILED: 3, PANICKED: 4, RUN_JS: 5, TIMED_OUT: 6, ARRAY: 7 } as const

/** One entry of the dispatcher's `payloads`: a message, a chunk's values, or a typed array. */
export type DispatchPayload = Parameters<ConstructorParameters<typeof Native.NativeExecutor>[1]>[3][number]
