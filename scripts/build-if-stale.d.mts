export const INPUTS: readonly string[]
export const OUTPUTS: readonly string[]
export const STAMP: string
export function inputsHash(root: string): string
export function staleReason(root: string): string | undefined
export function writeStamp(root: string): void
