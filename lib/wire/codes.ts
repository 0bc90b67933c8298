/**
 * The codes this layer shares with the binding. They are declared once, in
 * `src/wire/codes.rs`, and exported by the addon: this module only re-exports them.
 */
import { addon } from '../addon.js'

export const {
  TaskKind,
  Refused,
  EventKind,
  META_KIND_SHIFT,
  META_TIMED,
  META_KERNEL_SHIFT,
  WORKER_CHUNK,
  WORKER_NUMBERS,
  WORKER_ARGS_ON_PORT,
  WORKER_TIMED,
  WORKER_PROGRESS,
} = addon

/** A task's `meta` word: its priority level, its kind, and the flags and index of its runner. */
export function meta(level: number, kind: number, extra = 0): number {
  return level | (kind << META_KIND_SHIFT) | extra
}
