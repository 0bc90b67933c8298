/**
 * Type test of a CommonJS consumer: `require('ferris-executor')` (Node >= 20.19 loads the ES
 * module) gets the same declarations as `import`. Compiled only, never run.
 */
import ferris = require('ferris-executor')

declare const executor: ferris.Executor
export const squares: ferris.Future<number> = executor.submit(ferris.kernels.sumOfSquares, [new Float64Array(1)])
// @ts-expect-error the kernel takes a Float64Array
executor.submit(ferris.kernels.sumOfSquares, [1])
