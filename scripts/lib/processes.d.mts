import type { ChildProcess, SpawnOptions } from 'node:child_process'

export class CommandError extends Error {
  readonly stdout: string
  readonly stderr: string
}
export function start(command: string, args: readonly string[], options?: SpawnOptions): { child: ChildProcess; stop(): void }
export function run(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs: number; inherit?: boolean }): Promise<string>
