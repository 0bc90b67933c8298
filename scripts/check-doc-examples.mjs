#!/usr/bin/env node
/**
 * Part of `npm run docs`: fails unless every public symbol of the API reference has a short
 * example (a fenced code block in its doc comment): each entry point (index.ts and the
 * `ferris-executor/bullmq` subpath), each of its exports, and each method and accessor of an
 * exported class. Reads TypeDoc's JSON output.
 */
import { readFileSync } from 'node:fs'

const project = JSON.parse(readFileSync(new URL('../docs/api/api.json', import.meta.url), 'utf8'))

// TypeDoc ReflectionKind values.
const MODULE = 2
const CLASS = 128
// A symbol exported by two entry points is documented once; the second export refers to it.
const REFERENCE = 4194304
// Constructors are left out: the class example shows how to get an instance.
const MEMBER_KINDS = new Set([2048 /* Method */, 262144 /* Accessor */])

const comments = (reflection) => [
  reflection.comment,
  ...(reflection.signatures ?? []).map((s) => s.comment),
  reflection.getSignature?.comment,
]
const hasExample = (reflection) =>
  comments(reflection).some((comment) =>
    [...(comment?.summary ?? []), ...(comment?.blockTags ?? []).flatMap((t) => t.content)].some(
      (part) => part.kind === 'code' && part.text.startsWith('```'),
    ),
  )

// With several entry points, TypeDoc's top level holds one module per entry point.
const modules = project.children?.every((child) => child.kind === MODULE) ? project.children : [project]
const byId = new Map(modules.flatMap((module) => (module.children ?? []).map((symbol) => [symbol.id, symbol])))
const missing = []
let symbols = 0
for (const module of modules) {
  if (module !== project && !hasExample(module)) missing.push(module.name)
  for (const symbol of module.children ?? []) {
    symbols += 1
    if (symbol.kind === REFERENCE && byId.has(symbol.target)) continue // checked where it is declared
    if (!hasExample(symbol)) missing.push(`${module.name}: ${symbol.name}`)
    if (symbol.kind !== CLASS) continue
    for (const member of symbol.children ?? []) {
      // Inherited members (Error's, or a base class's) are documented where they are declared.
      if (MEMBER_KINDS.has(member.kind) && !member.inheritedFrom && !hasExample(member)) missing.push(`${module.name}: ${symbol.name}.${member.name}`)
    }
  }
}
if (missing.length > 0) {
  console.error(`docs: no example in the doc comment of:\n  ${missing.join('\n  ')}`)
  process.exit(1)
}
console.log(`docs: every one of ${symbols} public symbols in ${modules.length} entry points, and their class members, has an example`)
