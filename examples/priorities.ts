/**
 * Priorities: background, normal and urgent tasks queued behind a busy pool start in priority
 * order (within a priority, in submission order). A task that waits longer than `agingMs`
 * (default 1000) goes before younger ones of higher priority, so background work cannot starve.
 *
 *   npm run build:examples && node examples/priorities.js
 */
import { Executor, TaskPriority } from 'ferris-executor'

const executor = new Executor({ maxWorkers: 2 })
try {
  // Two tasks hold both slots until `release` is called, so everything below has to queue.
  // (Released by hand, not by a timer: on a busy machine a timer can fire before the queue fills.)
  let holding = 0
  let allHeld!: () => void
  const held = new Promise<void>((resolve) => (allHeld = resolve))
  let releaseBusy!: () => void
  const release = new Promise<void>((resolve) => (releaseBusy = resolve))
  const busy = [1, 2].map(() =>
    executor.submit(async () => {
      if (++holding === 2) allHeld()
      await release
    }),
  )
  await held

  const started: string[] = []
  const task = (name: string) => () => {
    started.push(name) // a JavaScript task runs when it starts: this records the start order
  }
  const queued = [
    ...[1, 2, 3].map((i) => executor.submit(task(`background-${i}`), [], { priority: TaskPriority.LOW })),
    ...[1, 2, 3].map((i) => executor.submit(task(`normal-${i}`), [])), // TaskPriority.NORMAL is the default
    ...[1, 2].map((i) => executor.submit(task(`urgent-${i}`), [], { priority: TaskPriority.HIGH })),
  ]
  console.log(`queued by priority: ${JSON.stringify(executor.getStats().queuedByPriority)}`)
  releaseBusy()
  await Promise.all([...busy, ...queued])
  console.log(`start order: ${started.join(' ')}`)
} finally {
  await executor.shutdown()
}
