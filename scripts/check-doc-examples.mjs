#!/usr/bin/env node
/**
 * Keeps the docs honest. Run by `npm test` (after the build) and by `npm run docs`.
 *
 * 1. Every fenced code block of README.md and docs/*.md says what it is by its fence language.
 *    `ts` blocks are type-checked, all in one TypeScript program, against the built package
 *    (dist/, imported by its name, as a user's program would); `sh`, `text`, `toml`, `rust` and
 *    `json` blocks are shell sessions, output and other languages, and are not compiled. A block
 *    with no language, or another one, fails the check: nothing is skipped silently.
 * 2. Every relative link in those files points at a file (not a folder) that exists and, for a
 *    heading anchor (`guide.md#a-heading`, `#a-heading`), at a heading of that Markdown file
 *    whose anchor is the same on GitHub and in the TypeDoc site (TypeDoc leaves code out).
 * 3. With `--api` (after `typedoc`): every public symbol of the API reference has a short
 *    example in its doc comment (see checkApiExamples).
 *
 * How a `ts` block becomes a program (also in docs/architecture.md, "Contributing"):
 * - A block is one module. A line `// name.ts` (alone, or followed by a note) starts another
 *   file of the same block, so that `// work.ts` and `// main.ts` can import each other.
 * - A file with no `import` of its own gets the package's exports it names imported (`Executor`,
 *   `kernels`, `workerTask`...), and, if it uses an `executor` it does not declare, one
 *   declared as `Executor`. Anything else it leaves undeclared (the reader's own data, say)
 *   is declared in an HTML comment just before the fence, invisible on GitHub:
 *   `<!-- check: declare const urls: string[] -->`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const COMPILED = new Set(['ts'])
const NOT_COMPILED = new Set(['sh', 'text', 'toml', 'rust', 'json'])
const errors = []

const markdownFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** The fenced blocks of a Markdown file, and its text outside them (for links and headings). */
function parse(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks = []
  const prose = [] // [lineNumber, text]
  let open
  lines.forEach((line, i) => {
    const fence = /^(\s*)(```+)\s*([\w-]*)/.exec(line)
    if (open) {
      if (fence && fence[2].length >= open.ticks.length && fence[1].length <= open.indent.length + 3 && !fence[3]) {
        blocks.push(open)
        open = undefined
      } else if (fence && fence[3] && fence[2].length >= open.ticks.length) {
        // Markdown reads it as text inside the block; it is almost always a missing closing fence.
        errors.push(`${file}:${i + 1}: a fence with a language inside the block opened at line ${open.line}: close that block first`)
      } else open.lines.push(line.slice(Math.min(open.indent.length, /^\s*/.exec(line)[0].length)))
      return
    }
    if (fence) {
      const previous = lines.slice(0, i).reverse().find((l) => l.trim() !== '') ?? ''
      const check = /^\s*<!--\s*check:([\s\S]*?)-->\s*$/.exec(previous)
      open = { file, line: i + 1, indent: fence[1], ticks: fence[2], lang: fence[3], lines: [], hidden: check?.[1].trim() }
      return
    }
    prose.push([i + 1, line])
  })
  if (open) errors.push(`${file}:${open.line}: code block never closed`)
  return { blocks, prose }
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** TypeDoc's anchor for a heading in its site: GitHub's, without the heading's code spans. */
const typedocSlug = (heading) => slug(heading.replace(/`[^`]*`/g, '')).replace(/^-+|-+$/g, '') || '_'

/** The anchors of a file's headings that work both on GitHub and in the TypeDoc site. */
function anchors(prose) {
  const sets = [slug, typedocSlug].map((toSlug) => {
    const seen = new Map()
    const out = new Set()
    for (const [, line] of prose) {
      const heading = /^#{1,6}\s+(.*)$/.exec(line)
      if (!heading) continue
      const base = toSlug(heading[1])
      const n = seen.get(base) ?? 0
      seen.set(base, n + 1)
      out.add(n === 0 ? base : `${base}-${n}`)
    }
    return out
  })
  return new Set([...sets[0]].filter((anchor) => sets[1].has(anchor)))
}

const parsed = new Map(markdownFiles.map((file) => [file, parse(file)]))

// 2. Links.
let links = 0
for (const [file, { prose }] of parsed) {
  for (const [lineNumber, line] of prose) {
    const text = line.replace(/`[^`]*`/g, '') // code spans are not links
    for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|^\[[^\]]+\]:\s+(\S+)/g)) {
      const target = match[1] ?? match[2]
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:...
      links += 1
      const [path, anchor] = target.split('#')
      const targetFile = path === '' ? file : relative(root, resolve(root, dirname(file), decodeURIComponent(path)))
      const where = `${file}:${lineNumber}`
      if (!existsSync(join(root, targetFile))) {
        errors.push(`${where}: broken link ${target}: ${targetFile} does not exist`)
        continue
      }
      if (statSync(join(root, targetFile)).isDirectory()) {
        errors.push(`${where}: link ${target}: link a file, not a folder (TypeDoc's site cannot hold a folder)`)
        continue
      }
      if (anchor === undefined) continue
      if (!targetFile.endsWith('.md')) {
        errors.push(`${where}: link ${target}: an anchor into a file that is not Markdown cannot be checked`)
        continue
      }
      const headings = anchors((parsed.get(targetFile) ?? parse(targetFile)).prose)
      if (!headings.has(anchor)) {
        errors.push(`${where}: broken link ${target}: ${targetFile} has no heading #${anchor} (a heading with code in it has another anchor in the TypeDoc site: link one without)`)
      }
    }
  }
}

// 1. Code blocks.
const workDir = join(root, 'target', 'doc-examples')
rmSync(workDir, { recursive: true, force: true })
const packageExports = exportsOf(join(root, 'dist', 'index.d.ts'))
const sources = new Map() // path of a generated file -> { file, line } of its first line in the Markdown
let compiled = 0
let blockCount = 0
for (const [file, { blocks }] of parsed) {
  for (const block of blocks) {
    blockCount += 1
    if (NOT_COMPILED.has(block.lang)) continue
    if (!COMPILED.has(block.lang)) {
      errors.push(`${file}:${block.line}: code block with ${block.lang ? `language "${block.lang}"` : 'no language'}: mark it ts (compiled) or one of ${[...NOT_COMPILED].join(', ')}`)
      continue
    }
    compiled += 1
    const dir = join(workDir, `${file.replace(/[/.]/g, '_')}_${block.line}`)
    mkdirSync(dir, { recursive: true })
    // Split at `// name.ts` lines; the first file is main.ts unless the block names it.
    const files = [{ name: 'main.ts', first: block.line + 1, lines: [] }]
    block.lines.forEach((line, i) => {
      const header = /^\/\/ ([\w-]+\.m?ts)(?:\b.*)?$/.exec(line)
      if (header) {
        if (files.at(-1).lines.length === 0) files.pop()
        files.push({ name: header[1], first: block.line + 2 + i, lines: [] })
      } else files.at(-1).lines.push(line)
    })
    for (const { name, first, lines } of files) {
      const code = lines.join('\n')
      const hasImports = /^\s*import\s/m.test(code)
      // Added at the end, so that line numbers stay those of the block.
      const extra = []
      if (block.hidden) extra.push(block.hidden)
      if (!hasImports) {
        const used = packageExports.filter((name) => new RegExp(`(?<![.\\w$])${name.replace('$', '\\$')}\\b`).test(code))
        if (used.length > 0) extra.push(`import { ${used.join(', ')} } from 'ferris-executor'`)
        if (/\bexecutor\b/.test(code) && !/\b(?:const|let|var|using)\s+executor\b/.test(code)) {
          if (!used.includes('Executor')) extra.push(`import type { Executor as _Executor } from 'ferris-executor'`)
          extra.push(`declare const executor: ${used.includes('Executor') ? 'Executor' : '_Executor'}`)
        }
      }
      const path = join(dir, name)
      writeFileSync(path, `${code}\n${extra.join('\n')}\nexport {}\n`)
      sources.set(path, { file, line: first })
    }
  }
}

if (compiled > 0) {
  const options = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  }
  const program = ts.createProgram([...sources.keys()], options)
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ')
    const source = d.file && sources.get(resolve(d.file.fileName))
    if (!source) {
      errors.push(`${d.file ? relative(root, d.file.fileName) : 'tsc'}: ${message}`)
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
    errors.push(`${source.file}:${source.line + line}: ${message}`)
  }
}

/** The names `file` (a declaration file) exports, values and types. */
function exportsOf(file) {
  if (!existsSync(file)) {
    console.error(`docs: ${relative(root, file)} is missing: run npm run build first`)
    process.exit(1)
  }
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true })
  const checker = program.getTypeChecker()
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file))
  return checker.getExportsOfModule(symbol).map((s) => s.name)
}

// 3. The API reference's examples.
const apiSymbols = process.argv.includes('--api') ? checkApiExamples() : undefined

if (errors.length > 0) {
  console.error(`docs: ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  ${errors.join('\n  ')}`)
  process.exit(1)
}
console.log(
  `docs: ${compiled} TypeScript blocks compile (${blockCount - compiled} shell, output and other blocks marked so), ${links} relative links resolve, in ${markdownFiles.length} files` +
    (apiSymbols === undefined ? '' : `; every one of ${apiSymbols} public API symbols has an example`),
)

/**
 * Fails unless every public symbol of the API reference has a short example (a fenced code
 * block in its doc comment): each entry point (index.ts and the subpaths), each of its
 * exports, and each method and accessor of an exported class. Reads TypeDoc's JSON output.
 */
function checkApiExamples() {
  const project = JSON.parse(readFileSync(join(root, 'docs', 'api', 'api.json'), 'utf8'))

  // TypeDoc ReflectionKind values.
  const MODULE = 2
  const CLASS = 128
  // A symbol exported by two entry points is documented once; the second export refers to it.
  const REFERENCE = 4194304
  // Constructors are left out: the class example shows how to get an instance.
  const MEMBER_KINDS = new Set([2048 /* Method */, 262144 /* Accessor */])

  const comments = (reflection) => [reflection.comment, ...(reflection.signatures ?? []).map((s) => s.comment), reflection.getSignature?.comment]
  const hasExample = (reflection) =>
    comments(reflection).some((comment) =>
      [...(comment?.summary ?? []), ...(comment?.blockTags ?? []).flatMap((t) => t.content)].some((part) => part.kind === 'code' && part.text.startsWith('```')),
    )

  // With several entry points, TypeDoc's top level holds one module per entry point.
  const modules = project.children?.every((child) => child.kind === MODULE) ? project.children : [project]
  const byId = new Map(modules.flatMap((module) => (module.children ?? []).map((symbol) => [symbol.id, symbol])))
  let symbols = 0
  for (const module of modules) {
    if (module !== project && !hasExample(module)) errors.push(`API reference: no example in the doc comment of ${module.name}`)
    for (const symbol of module.children ?? []) {
      symbols += 1
      if (symbol.kind === REFERENCE && byId.has(symbol.target)) continue // checked where it is declared
      if (!hasExample(symbol)) errors.push(`API reference: no example in the doc comment of ${module.name}: ${symbol.name}`)
      if (symbol.kind !== CLASS) continue
      for (const member of symbol.children ?? []) {
        // Inherited members (Error's, or a base class's) are documented where they are declared.
        if (MEMBER_KINDS.has(member.kind) && !member.inheritedFrom && !hasExample(member)) {
          errors.push(`API reference: no example in the doc comment of ${module.name}: ${symbol.name}.${member.name}`)
        }
      }
    }
  }
  return symbols
}
