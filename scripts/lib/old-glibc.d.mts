export const NODE_20: string
export const GLIBC_217: Record<'x64' | 'arm64', { sysroot: string; loader: string; node: string }>
export function mirrorFromSources(sources: ReadonlyArray<readonly [name: string, text: string]>): string | undefined
export function debianMirror(): string
export function debianRoot(): Promise<string>
export function runOnGlibc217(script: string, options?: { cwd?: string; timeoutMs?: number; arch?: 'x64' | 'arm64' }): Promise<string>
export function runInDebian11(
  repo: string,
  command: readonly string[],
  options: { overlays?: ReadonlyArray<readonly [file: string, target: string]>; timeoutMs: number },
): Promise<string>
