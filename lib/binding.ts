/** The native addon, and the codes it shares with this layer (mirrored in `src/`). */
export { NativeExecutor, listKernels as listNativeKernels, cpuUsage, memoryUsage } from '../native.js'
export type { NativeStats, NativeSummary } from '../native.js'

/** Results of `submitJs` / `submitKernel` (src/executor.rs). */
export const Submitted = { ACCEPTED: 0, QUEUE_FULL: 1, CLOSED: 2 } as const

/** Event kinds of the dispatcher's `kinds` array (src/events.rs). */
export const EventKind = { NUMBER: 0, NULL: 1, VALUES: 2, FAILED: 3, PANICKED: 4, RUN_JS: 5 } as const
