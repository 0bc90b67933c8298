/** Calling user functions that may or may not return promises, shared by the runners that call JavaScript. */

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function'
  } catch {
    return true // a throwing `then` getter: let Promise.resolve report it as a rejection
  }
}

/** Calls `fn` on each item in order; synchronously while results are plain values. */
export function callEach(fn: (item: unknown) => unknown, items: ArrayLike<unknown>): unknown[] | Promise<unknown[]> {
  const out = new Array<unknown>(items.length)
  for (let i = 0; i < items.length; i++) {
    const result = fn(items[i])
    if (isThenable(result)) return finishChunk(fn, items, out, i, result)
    out[i] = result
  }
  return out
}

async function finishChunk(
  fn: (item: unknown) => unknown,
  items: ArrayLike<unknown>,
  out: unknown[],
  from: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  out[from] = await pending
  for (let i = from + 1; i < items.length; i++) out[i] = await fn(items[i])
  return out
}
