/**
 * Numbers out of typed arrays. Numbers cross threads as `f64` (in a `Float64Array` header, an
 * event batch's `numbers`, a map chunk), and an element read from a `Float64Array` is always a
 * heap double, even `3`. V8 then compiles code that uses it (`k % (i + 1)`) for doubles, which
 * runs several times slower than on a small integer. So every number read off the wire goes
 * through `exact`: an integer in the int32 range comes back as a small integer (`| 0`), any
 * other value (`-0`, `NaN`, fractions, `2 ** 53`) as it was.
 */

/** `value`, as a small integer if it is one (`-0` stays a double: `| 0` would lose its sign). */
export function exact(value: number): number {
  const small = value | 0
  return small === value && (small !== 0 || 1 / value > 0) ? small : value
}

/**
 * The elements of `values` as an array of `exact` numbers: of small integers if every one is
 * an integer in the int32 range (and none is `-0`), else of doubles, as it would be anyway (an
 * array that holds one fraction stores all its numbers as doubles). Each kind is built by a
 * loop of its own over a `new Array(n)`: V8 remembers the element kind the arrays of one
 * allocation site end up with, so a site shared by both kinds would start every later array
 * as doubles, and integers would be read back as heap doubles again. About 5 ns an item,
 * where `Array.from(values, exact)` took 30-60 (it was most of the main thread's time in a
 * `map` of a million numbers).
 */
export function exactArray(values: ArrayLike<number>): number[] {
  return allSmall(values) ? smallIntegers(values) : doubles(values)
}

function allSmall(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!
    if ((value | 0) !== value || (value === 0 && 1 / value < 0)) return false
  }
  return true
}

function smallIntegers(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length)
  for (let i = 0; i < values.length; i++) out[i] = values[i]! | 0
  return out
}

function doubles(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length)
  for (let i = 0; i < values.length; i++) out[i] = values[i]!
  return out
}
