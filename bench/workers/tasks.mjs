// The tasks of `npm run bench:workers`, loaded by every library's workers (piscina and tinypool
// by export name, workerpool and poolifier through their worker scripts, ferris through
// `workerTask(url, name)`), and by the harness for the main-thread baseline.

/** The trivial task: `x => x + 1`. */
export function inc(x) {
  return x + 1
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
