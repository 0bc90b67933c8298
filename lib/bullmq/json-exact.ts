/**
 * Which values JSON carries exactly, so that `codec.ts` can send them as JSON text instead of
 * `v8.serialize` + base64: for the small values most jobs take and return (a number, a
 * string, a short list or record of them) that costs a fraction of the time on each side.
 *
 * Exact means that `JSON.parse(JSON.stringify(value))` gives what `v8.deserialize(v8.serialize(value))`
 * gives: strings, booleans, `null`, finite numbers other than `-0`, and dense plain arrays and
 * plain objects of those, each object met once (structured clone keeps shared references,
 * JSON would duplicate them). Anything else (`undefined`, `NaN`, `-0`, holes, extra array
 * properties, class instances, proxies, `Date`, typed arrays, ...) takes the `v8.serialize`
 * path, as does a value of more than `MAX_NODES` parts, whose walk would cost more than it
 * can save.
 */
import { types } from 'node:util'

/**
 * Most values and containers walked before giving up on JSON: a record of a few dozen fields
 * passes, a large array goes to `v8.serialize` (which copies numbers in bulk) without a walk
 * of it all.
 */
const MAX_NODES = 256

/** Whether JSON round-trips `value` exactly (see the module comment). */
export function jsonExact(value: unknown): boolean {
  let budget = MAX_NODES
  let seen: Set<object> | undefined // (not made for a lone primitive)
  const walk = (v: unknown): boolean => {
    if (--budget < 0) return false
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return true
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0)
      case 'object':
        break
      default:
        return false // undefined, bigint, symbol, function
    }
    if (v === null) return true
    seen ??= new Set()
    if (seen.has(v) || types.isProxy(v)) return false
    seen.add(v)
    const proto: unknown = Object.getPrototypeOf(v)
    if (proto === Array.prototype) {
      const array = v as unknown[]
      if (array.length > budget) return false
      // (an own key besides the indices, a hole or a named property, is lost by JSON)
      if (Object.keys(array).length !== array.length) return false
      for (let i = 0; i < array.length; i++) if (!walk(array[i])) return false
      return true
    }
    if (proto !== Object.prototype) return false
    const keys = Object.keys(v)
    if (keys.length > budget) return false
    for (const key of keys) if (!walk((v as Record<string, unknown>)[key])) return false
    return true
  }
  return walk(value)
}
