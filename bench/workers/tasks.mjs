// The tasks of `npm run bench:workers`, loaded by every library's workers (piscina and tinypool
// by export name, workerpool and poolifier through their worker scripts, ferris through
// `workerTask(url, name)`), and by the harness for the main-thread baseline.

/** The trivial task: `x => x + 1`. */
export function inc(x) {
  return x + 1
}

/**
 * Integer arithmetic on an argument: `k % (i + 1)` runs on small integers only if `i` arrived
 * as one (a value read from a Float64Array is a heap double, and V8 then compiles the loop for
 * doubles: several times slower). The figure is its speed on a worker against the main thread.
 */
export function modulo(i) {
  let r = 0
  for (let k = 0; k < 2e7; k++) r += k % (i + 1)
  return r
}

/** The per-item function of the map figure. */
export function square(x) {
  return x * x
}

/**
 * A fixed amount of integer work (a xorshift walk of `iterations` steps), so that every
 * library and the main-thread baseline run exactly the same work whatever the machine's speed;
 * the parent calibrates `iterations` to the target duration before starting the children.
 */
function burn(iterations) {
  let state = 0x9e3779b9
  for (let i = 0; i < iterations; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
  }
  return state >>> 0
}

/** The CPU-bound task (about 50 ms once calibrated). */
export function cpu(iterations) {
  return burn(iterations)
}

/** The small task (about 100 us once calibrated). */
export function small(iterations) {
  return burn(iterations)
}
