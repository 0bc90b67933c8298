/**
 * The value codec of `ferris-executor/bullmq` (no Redis needed): values JSON carries exactly
 * travel as JSON text, every other one as `v8.serialize`, and either way a value comes back as
 * structured clone would give it; format 1 strings (base64 only) still read.
 */
import { deserialize, serialize } from 'node:v8'
import { isDeepStrictEqual } from 'node:util'

import test from 'ava'
import fc from 'fast-check'

import { decodeValue, encodeValue } from '../lib/bullmq/codec.js'
import { jsonExact } from '../lib/bullmq/json-exact.js'

/** What structured clone makes of `value`: the reference every encoding must match. */
const cloned = (value: unknown): unknown => deserialize(serialize(value))

test('small plain values travel as JSON text and come back equal', (t) => {
  for (const value of [[5], 5, 'text', true, null, [1.5, 'a', [null, false]], { id: 12, name: 'abc', tags: ['x', 'y'], nested: { ok: true } }, [], JSON.parse('{"__proto__": 1, "2": "b", "1": "a"}')]) {
    const text = encodeValue(value)
    t.true(text.startsWith('j:'), `${JSON.stringify(value)} as JSON text`)
    t.true(isDeepStrictEqual(decodeValue(text), cloned(value)))
  }
})

test('values JSON would change take the v8 path and keep their type', (t) => {
  const shared = { n: 1 }
  const withExtra = Object.assign([1, 2], { label: 'kept' })
  const holey: number[] = []
  holey[0] = 1
  holey[2] = 3
  class Point {
    constructor(readonly x: number) {}
  }
  const values: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['-0', -0],
    ['NaN', NaN],
    ['Infinity', [Infinity]],
    ['a hole', holey],
    ['an undefined field', { a: undefined }],
    ['an array with a named property', withExtra],
    ['a shared reference', [shared, shared]],
    ['a BigInt', [1n]],
    ['a Date', { at: new Date(0) }],
    ['a Map', new Map([[1, 2]])],
    ['a typed array', [new Float64Array([1, 2])]],
    ['a class instance', new Point(1)],
    ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
    ['too many parts', Array.from({ length: 1000 }, (_, i) => i)],
  ]
  for (const [what, value] of values) {
    const text = encodeValue(value)
    t.false(text.startsWith('j:'), what)
    t.true(isDeepStrictEqual(decodeValue(text), cloned(value)), what)
  }
  const decoded = decodeValue(encodeValue([shared, shared])) as object[]
  t.is(decoded[0], decoded[1], 'a shared reference stays shared')
  t.is((decodeValue(encodeValue(withExtra)) as { label?: string }).label, 'kept')
})

test('what structured clone refuses is still refused, a proxy included', (t) => {
  t.throws(() => encodeValue([() => 1]))
  t.throws(() => encodeValue([new Proxy({ a: 1 }, {})]))
  t.false(jsonExact(new Proxy([1], {})))
})

test('compact: false and format 1 strings: base64 only, read as before', (t) => {
  const text = encodeValue([5], false)
  t.false(text.startsWith('j:'))
  t.is(text, serialize([5]).toString('base64'))
  t.deepEqual(decodeValue(text), [5])
})

test('property: any JSON-like value decodes as structured clone would give it', (t) => {
  const value = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(undefined, -0, NaN, Infinity, -Infinity),
    fc.array(fc.oneof(fc.double(), fc.constant(undefined), fc.string(), fc.bigInt())),
    fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.double())),
  )
  fc.assert(
    fc.property(value, (v) => isDeepStrictEqual(decodeValue(encodeValue(v)), cloned(v))),
    { numRuns: 2_000 },
  )
  t.pass()
})
