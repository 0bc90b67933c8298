export interface UndefinedSymbol {
  readonly binding: string
  readonly name: string
  readonly version: string | undefined
}
export interface ElfDynamic {
  readonly needed: readonly string[]
  readonly undefinedSymbols: readonly UndefinedSymbol[]
}
export const GLIBC_FLOOR: string
export function parseReadelf(dynamic: string, dynSyms: string): ElfDynamic
export function maxGlibcVersion(undefinedSymbols: readonly UndefinedSymbol[]): string | undefined
export function glibcProblems(elf: ElfDynamic, floor?: string): string[]
export function inspectAddon(file: string, floor?: string): ElfDynamic & { maxGlibc: string | undefined; problems: string[] }
