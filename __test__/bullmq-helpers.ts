/**
 * Helpers of the `ferris-executor/bullmq` specs: a real `redis-server` per spec file, a fresh
 * queue per test, servers and clients closed at teardown. Not a spec file.
 */
import { randomUUID } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'

import type { ExecutionContext } from 'ava'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'

import { Executor } from '../index.js'
import { QueueExecutor, serve, type QueueStats, type ServeWorkerOptions, type Server, type TaskMap } from '../lib/bullmq/index.js'
import { startRedis, type RedisServer } from '../scripts/redis-server.mjs'
import { delay } from './helpers.js'

export { startRedis, type RedisServer }

/** A queue name no other test uses. */
export function queueName(): string {
  return `test-${randomUUID()}`
}

/** A local executor serving `queue`; both are closed at teardown. */
export async function serveFor(
  t: ExecutionContext,
  redis: RedisServer,
  queue: string,
  tasks: TaskMap,
  options: { maxWorkers?: number; concurrency?: number; worker?: ServeWorkerOptions; onError?: (error: Error) => void } = {},
): Promise<{ executor: Executor; server: Server }> {
  const executor = new Executor({ maxWorkers: options.maxWorkers ?? 2 })
  const server = serve(executor, { queue, connection: redis.connection, tasks, concurrency: options.concurrency, worker: options.worker, onError: options.onError })
  t.teardown(async () => {
    await server.close()
    await executor.shutdown({ cancelPending: true })
  })
  await server.ready()
  return { executor, server }
}

/** A client of `queue`, closed at teardown without waiting for its jobs. */
export function clientFor(t: ExecutionContext, redis: RedisServer, queue: string, onError?: (error: Error) => void): QueueExecutor {
  const client = new QueueExecutor({ queue, connection: redis.connection, onError })
  t.teardown(() => client.close({ wait: false }))
  return client
}

/** A plain BullMQ queue handle (to add jobs by hand or read jobs), closed at teardown. */
export function rawQueue(t: ExecutionContext, redis: RedisServer, queue: string): Queue {
  const raw = new Queue(queue, { connection: redis.connection })
  t.teardown(() => raw.close())
  return raw
}

/** Polls the queue's stats until `condition` holds (a generous deadline, not a timing assertion). */
export async function waitForStats(client: QueueExecutor, condition: (stats: QueueStats) => boolean, what: string, timeoutMs = 30_000): Promise<QueueStats> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stats = await client.getStats()
    if (condition(stats)) return stats
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last stats ${JSON.stringify(stats)}`)
    await delay(20)
  }
}

/** The events of `jobId` in the queue's Redis stream, in order (read with a client of our own). */
export async function jobEvents(redis: RedisServer, queue: string, jobId: string): Promise<string[]> {
  const client = new Redis(redis.connection)
  try {
    const entries = await client.xrange(`bull:${queue}:events`, '-', '+')
    const events: string[] = []
    for (const [, fields] of entries) {
      const record: Record<string, string> = {}
      for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!
      if (record.jobId === jobId) events.push(record.event!)
    }
    return events
  } finally {
    client.disconnect()
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort`, to cut one client off Redis while the
 * others go on: `cut()` closes its connections and refuses new ones, `restore()` accepts again.
 */
export async function redisProxy(t: ExecutionContext, targetPort: number): Promise<{ port: number; cut(): void; restore(): void }> {
  const sockets = new Set<Socket>()
  let open = true
  const server = createServer((client) => {
    if (!open) return void client.destroy()
    const upstream = connect(targetPort, '127.0.0.1')
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a)
      a.on('error', () => b.destroy())
      a.on('close', () => {
        sockets.delete(a)
        b.destroy()
      })
      a.pipe(b)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      open = true
    },
  }
}
