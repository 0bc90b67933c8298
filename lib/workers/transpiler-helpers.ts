/**
 * The helpers TypeScript runners inject into function bodies, which a `workerTask(fn)`'s
 * source then calls although they live in the caller's module, not in the function: each
 * worker compiles the source in a scope that defines them (`compileSource`). Each one here
 * does what its transpiler's runtime does, for the calls that transpiler emits:
 * - esbuild (tsx, which keeps names): `__name(fn, 'name')`; with lowered class fields or
 *   private members: `__publicField`, `__privateAdd`, `__privateGet`, `__privateSet`,
 *   `__privateMethod`.
 * - babel and oxc (oxc-node lowers class fields and private members): `_defineProperty`,
 *   `_classPrivateFieldInitSpec`, `_classPrivateMethodInitSpec`, `_assertClassBrand`,
 *   `_classPrivateFieldGet`/`Set` (and their `2` forms), `_classPrivateGetter`/`Setter`.
 * - TypeScript's own emit (ts-node): `__classPrivateFieldGet`/`Set`, `__assign`, `__rest`,
 *   `__spreadArray`, `__awaiter`.
 * A helper missing here still fails with a `ReferenceError` that names it as one (see
 * `explainOuterVariable`).
 */

type Member = WeakMap<object, unknown> | WeakSet<object>
type Fn = (...args: unknown[]) => unknown

const define = (target: object, key: PropertyKey, value: unknown): void => {
  if (key in target) Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true })
  else (target as Record<PropertyKey, unknown>)[key] = value
}

const propertyKey = (key: unknown): PropertyKey => (typeof key === 'symbol' ? key : String(key))

/** A brand check of private members: `member` holds `receiver` (or is its class, for statics). */
function assertBrand(member: Member | Fn, receiver: object): object {
  if (typeof member === 'function' ? member === receiver : member.has(receiver)) return receiver
  throw new TypeError('Private element is not present on this object')
}

function addMember(member: Member, receiver: object, value?: unknown): void {
  if (member.has(receiver)) throw new TypeError('Cannot initialize the same private elements twice on an object')
  if (member instanceof WeakSet) member.add(receiver)
  else member.set(receiver, value)
}

/** babel's older `(receiver, map)` order and its newer `(map, receiver)` one, told apart by which is the map. */
const mapFirst = (a: unknown, b: unknown): [WeakMap<object, unknown>, object] =>
  a instanceof WeakMap ? [a, b as object] : [b as WeakMap<object, unknown>, a as object]

/** tsc's private-field read: `kind` is 'f' (field), 'a' (accessor, `f` its getter) or 'm' (method `f`). */
function tscPrivateGet(receiver: object, state: Member | Fn, kind?: string, f?: Fn | { value: unknown }): unknown {
  if (typeof state === 'function' ? receiver !== state : !state.has(receiver)) {
    throw new TypeError('Cannot read private member from an object whose class did not declare it')
  }
  if (kind === 'm') return f
  if (kind === 'a') return (f as Fn).call(receiver)
  return f !== undefined ? (f as { value: unknown }).value : (state as WeakMap<object, unknown>).get(receiver)
}

function tscPrivateSet(receiver: object, state: Member | Fn, value: unknown, kind?: string, f?: Fn | { value: unknown }): unknown {
  if (typeof state === 'function' ? receiver !== state : !state.has(receiver)) {
    throw new TypeError('Cannot write private member to an object whose class did not declare it')
  }
  if (kind === 'a') (f as Fn).call(receiver, value)
  else if (f !== undefined) (f as { value: unknown }).value = value
  else (state as WeakMap<object, unknown>).set(receiver, value)
  return value
}

/** `[...from]` into `to`, as tsc emits array spreads for old targets. */
function spreadArray(to: unknown[], from: ArrayLike<unknown> | Iterable<unknown>): unknown[] {
  return to.concat(Array.from(from as ArrayLike<unknown>))
}

/** tsc's object rest: `source`'s own enumerable keys but `excluded`. */
function rest(source: object, excluded: PropertyKey[]): Record<PropertyKey, unknown> {
  const result: Record<PropertyKey, unknown> = {}
  for (const key of Reflect.ownKeys(source)) {
    if (!excluded.includes(key) && Object.prototype.propertyIsEnumerable.call(source, key)) result[key] = (source as Record<PropertyKey, unknown>)[key]
  }
  return result
}

/** tsc's async function for old targets: drives `body`'s generator, awaiting what it yields. */
function awaiter(self: unknown, args: unknown[] | undefined, P: PromiseConstructor | undefined, body: (...a: unknown[]) => Generator): Promise<unknown> {
  const Promised = P ?? Promise
  return new Promised((resolve, reject) => {
    const steps = body.apply(self, args ?? [])
    const step = (method: 'next' | 'throw', input: unknown): void => {
      let result: IteratorResult<unknown>
      try {
        result = steps[method](input)
      } catch (error) {
        reject(error)
        return
      }
      if (result.done) resolve(result.value)
      else Promised.resolve(result.value).then((value) => step('next', value), (error: unknown) => step('throw', error))
    }
    step('next', undefined)
  })
}

export const TRANSPILER_HELPERS: Readonly<Record<string, unknown>> = {
  // esbuild
  __name: (target: object, value: string) => Object.defineProperty(target, 'name', { value, configurable: true }),
  __publicField: (target: object, key: unknown, value: unknown) => (define(target, propertyKey(key), value), value),
  __privateAdd: (receiver: object, member: Member, value?: unknown) => addMember(member, receiver, value),
  __privateGet: (receiver: object, member: Member, getter?: Fn) =>
    (assertBrand(member, receiver), getter ? getter.call(receiver) : (member as WeakMap<object, unknown>).get(receiver)),
  __privateSet: (receiver: object, member: Member, value: unknown, setter?: Fn) => (
    assertBrand(member, receiver), setter ? setter.call(receiver, value) : (member as WeakMap<object, unknown>).set(receiver, value), value
  ),
  __privateMethod: (receiver: object, member: Member, method: Fn) => (assertBrand(member, receiver), method),
  // babel, oxc
  _defineProperty: (target: object, key: unknown, value: unknown) => (define(target, propertyKey(key), value), target),
  _classPrivateFieldInitSpec: (receiver: object, member: Member, value: unknown) => addMember(member, receiver, value),
  _classPrivateMethodInitSpec: (receiver: object, member: Member) => addMember(member, receiver),
  _assertClassBrand: function (member: Member | Fn, receiver: object, value?: unknown): unknown {
    assertBrand(member, receiver)
    return arguments.length < 3 ? receiver : value
  },
  _classPrivateFieldGet: (a: unknown, b: unknown) => {
    const [map, receiver] = mapFirst(a, b)
    return map.get(assertBrand(map, receiver))
  },
  _classPrivateFieldGet2: (map: WeakMap<object, unknown>, receiver: object) => map.get(assertBrand(map, receiver)),
  _classPrivateFieldSet: (a: unknown, b: unknown, value: unknown) => {
    const [map, receiver] = mapFirst(a, b)
    map.set(assertBrand(map, receiver), value)
    return value
  },
  _classPrivateFieldSet2: (map: WeakMap<object, unknown>, receiver: object, value: unknown) => (map.set(assertBrand(map, receiver), value), value),
  _classPrivateGetter: (member: Member, receiver: object, getter: Fn) => getter(assertBrand(member, receiver)),
  _classPrivateSetter: (member: Member, setter: Fn, receiver: object, value: unknown) => (setter(assertBrand(member, receiver), value), value),
  // TypeScript
  __classPrivateFieldGet: tscPrivateGet,
  __classPrivateFieldSet: tscPrivateSet,
  __assign: Object.assign,
  __rest: rest,
  __spreadArray: spreadArray,
  __awaiter: awaiter,
}

/** A name a transpiler gives its helpers or the variables of lowered code (`__name`, `_defineProperty`, `_Box_secret`). */
export function looksLikeTranspilerHelper(name: string): boolean {
  return /^_{1,2}[A-Za-z]/.test(name)
}
