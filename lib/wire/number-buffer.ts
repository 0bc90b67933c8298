/**
 * `NumberBuffer`: the numbers of a submission batch, written straight into a `Float64Array`
 * that doubles as it fills. A `map` chunk of numbers is one `set` (a copy of its bytes) here,
 * where pushing its items one by one onto an array and converting that at the end cost the
 * main thread milliseconds per batch of chunks.
 */
export class NumberBuffer {
  #values = new Float64Array(64)
  #length = 0

  push(value: number): void {
    if (this.#length === this.#values.length) this.#grow(1)
    this.#values[this.#length++] = value
  }

  append(values: Float64Array): void {
    if (this.#length + values.length > this.#values.length) this.#grow(values.length)
    this.#values.set(values, this.#length)
    this.#length += values.length
  }

  /** The numbers written so far (a view: valid until the next write). */
  view(): Float64Array {
    return this.#values.subarray(0, this.#length)
  }

  #grow(needed: number): void {
    const grown = new Float64Array(Math.max(this.#values.length * 2, this.#length + needed))
    grown.set(this.#values.subarray(0, this.#length))
    this.#values = grown
  }
}
