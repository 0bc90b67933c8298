/** Where the connection errors of BullMQ's queues, workers and event readers go. */

/**
 * A listener for the `'error'` events of BullMQ objects. Those are connection troubles that
 * BullMQ and its client retry by themselves (Redis restarting, say); an `'error'` event
 * without a listener would crash the process, so one is always attached. Each goes to
 * `onError` if given, else becomes a process warning, once per distinct message, so that a
 * wrong address is seen without flooding the log while the client retries.
 */
export function errorReporter(where: string, onError: ((error: Error) => void) | undefined): (error: Error) => void {
  if (onError !== undefined) {
    if (typeof onError !== 'function') throw new TypeError('onError must be a function')
    return onError
  }
  const seen = new Set<string>()
  return (error) => {
    const message = String(error?.message)
    if (seen.has(message)) return
    seen.add(message)
    process.emitWarning(`${where}: ${message}`, { type: 'FerrisExecutorWarning', detail: 'BullMQ retries the connection' })
  }
}
