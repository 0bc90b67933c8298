/** The kernel runner: native kernels, run by the pool's threads. */
import type { NativeExecutor, NativeStats } from '../binding.js'
import { Task } from '../engine/task.js'
import type { Canceller } from '../future.js'
import { KernelError, KernelPanicError, TimeoutError } from '../errors.js'
import { checkKernelArgs, checkKernelItem, isKernel, type Kernel } from '../kernels.js'
import { META_KERNEL_SHIFT, META_TIMED, TaskKind, META_KIND_SHIFT } from '../wire/codes.js'
import type { NumberBuffer } from '../wire/number-buffer.js'
import { moveArgs, type MovedBuffers } from './moved-buffers.js'
import type { Failure, Runner, RunnerShare } from './runner.js'

/** A kernel call, or a chunk of calls (a `map` chunk: `args` holds its items). */
export class KernelTask extends Task {
  readonly #kernel: Kernel
  readonly #args: readonly unknown[]
  readonly #chunk: boolean
  readonly #moved: MovedBuffers | undefined

  constructor(
    canceller: Canceller,
    id: number,
    runner: KernelRunner,
    level: number,
    timeout: number | undefined,
    kernel: Kernel,
    args: readonly unknown[],
    chunk: boolean,
    moved?: MovedBuffers,
  ) {
    super(canceller, id, runner, level, timeout)
    this.#kernel = kernel
    this.#args = args
    this.#chunk = chunk
    this.#moved = moved
  }

  get kernel(): Kernel {
    return this.#kernel
  }

  get args(): readonly unknown[] {
    return this.#args
  }

  /** A chunk of calls, one per item of `args`. */
  get chunk(): boolean {
    return this.#chunk
  }

  /** The buffers `submit` moved to the task (`transfer`), if any: no one else holds them once parked. */
  get moved(): MovedBuffers | undefined {
    return this.#moved
  }
}

/**
 * Appends one call's arguments: numbers to `numbers`, anything else to `objects`. A typed
 * array is preceded in `numbers` by 1 if the kernel may read it in place (its buffer is shared,
 * or `moved` to the task) or 0 (copied at submission); a left-out optional argument is NaN
 * (see src/wire/args.rs).
 */
function encodeArgs(kernel: Kernel, args: readonly unknown[], numbers: NumberBuffer, objects: unknown[], moved?: MovedBuffers): void {
  for (let i = 0; i < kernel.params.length; i++) encodeArg(kernel, i, args[i], numbers, objects, moved)
}

/** Appends argument `i` of a call (see `encodeArgs`). */
function encodeArg(kernel: Kernel, i: number, arg: unknown, numbers: NumberBuffer, objects: unknown[], moved?: MovedBuffers): void {
  if (kernel.numeric[i]) {
    numbers.push(arg === undefined ? NaN : (arg as number))
    return
  }
  if (ArrayBuffer.isView(arg)) numbers.push(arg.buffer instanceof SharedArrayBuffer || moved?.has(arg.buffer) ? 1 : 0)
  objects.push(arg)
}

/**
 * A typed array the pool must copy: over an ordinary buffer, which could be written to,
 * transferred or detached once `submit` has returned. (One over a SharedArrayBuffer is read in
 * place and cannot be detached.)
 */
function isPrivateArray(arg: unknown): boolean {
  return ArrayBuffer.isView(arg) && !(arg.buffer instanceof SharedArrayBuffer)
}

export class KernelRunner implements Runner<KernelTask> {
  readonly name = 'kernel'
  readonly #native: NativeExecutor
  readonly #canceller: Canceller

  constructor(native: NativeExecutor, canceller: Canceller) {
    this.#native = native
    this.#canceller = canceller
  }

  accepts(fn: unknown): boolean {
    return isKernel(fn)
  }

  check(fn: unknown, args: readonly unknown[]): void {
    checkKernelArgs(fn as Kernel, args)
  }

  create(id: number, level: number, timeout: number | undefined, fn: unknown, args: readonly unknown[], transfer?: readonly ArrayBuffer[]): KernelTask {
    if (transfer === undefined || transfer.length === 0) return new KernelTask(this.#canceller, id, this, level, timeout, fn as Kernel, args, false)
    const move = moveArgs(args, transfer)
    return new KernelTask(this.#canceller, id, this, level, timeout, fn as Kernel, move.args, false, move.moved)
  }

  createChunk(id: number, level: number, fn: unknown, items: readonly unknown[]): KernelTask {
    const kernel = fn as Kernel
    for (const item of items) checkKernelItem(kernel, item)
    return new KernelTask(this.#canceller, id, this, level, undefined, kernel, items, true)
  }

  /**
   * Ordinary typed arrays are copied when the pool receives them: hand them over at `submit`,
   * as they are then. So are moved ones, whose buffers are detached right after (`handedOver`).
   */
  urgent(task: KernelTask): boolean {
    const { kernel, args } = task
    if (task.moved !== undefined) return true
    if (!kernel.hasArrays) return false
    if (!task.chunk) return args.some(isPrivateArray)
    return kernel.params.length === 1 ? args.some(isPrivateArray) : args.some((item) => (item as unknown[]).some(isPrivateArray))
  }

  encode(task: KernelTask, numbers: NumberBuffer, objects: unknown[]): number {
    const { kernel, args, timeout } = task
    if (timeout !== undefined) numbers.push(timeout)
    if (!task.chunk) {
      encodeArgs(kernel, args, numbers, objects, task.moved)
    } else {
      numbers.push(args.length)
      const single = kernel.params.length === 1
      for (const item of args) {
        if (single) encodeArg(kernel, 0, item, numbers, objects)
        else encodeArgs(kernel, item as unknown[], numbers, objects)
      }
    }
    const kind = task.chunk ? TaskKind.Chunk : TaskKind.Kernel
    return (kind << META_KIND_SHIFT) | (timeout === undefined ? 0 : META_TIMED) | (kernel.index << META_KERNEL_SHIFT)
  }

  handedOver(task: KernelTask): void {
    task.moved?.park()
  }

  settled(task: KernelTask): void {
    task.moved?.release()
  }

  started(task: KernelTask): boolean {
    return !task.batched && this.#native.started(task._id)
  }

  abandon(): boolean {
    return false // a kernel the pool took is running
  }

  error(task: KernelTask, failure: Failure, message: string): unknown {
    const name = task.kernel.name
    switch (failure) {
      case 'failed':
        return new KernelError(name, message)
      case 'panicked':
        return new KernelPanicError(name, message)
      case 'timed-out':
        return new TimeoutError(`${name} ran longer than its ${task.timeout} ms limit`)
    }
  }

  share(native: NativeStats): RunnerShare {
    return { running: native.nativeRunning, oldestRunningMs: native.oldestNativeRunningMs }
  }
}
