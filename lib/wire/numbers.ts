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
 * The elements of `values` as an array of `exact` numbers. By `Array.from`, not `new Array`:
 * V8 remembers the element kind an allocation site's arrays end up with, so once one result
 * held a fraction, every later array from a `new Array` here would start as an array of
 * doubles, and its integers would be read back as heap doubles again.
 */
export function exactArray(values: ArrayLike<number>): number[] {
  return Array.from(values, exact)
}
