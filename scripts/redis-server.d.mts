export interface RedisServer {
  readonly port: number
  readonly connection: { host: string; port: number }
  /** Stops the server (SIGTERM) and starts it again on the same port and directory. */
  restart(): Promise<void>
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
}
export function hasRedisServer(): boolean
export function startRedis(options?: { appendOnly?: boolean }): Promise<RedisServer>
