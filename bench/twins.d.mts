// Types of bench/twins.mjs, for the tests.
export function sumOfSquares(data: Float64Array, start?: number, end?: number): number
export function dot(a: Float64Array, b: Float64Array, start?: number, end?: number): number
export function matmul(a: Float64Array, b: Float64Array, n: number, rowStart?: number, rowEnd?: number): Float64Array
export function mandelbrot(width: number, height: number, maxIter: number, rowStart?: number, rowEnd?: number): Uint32Array
export function primeCount(lo: number, hi: number): number
export function sort(data: Float64Array): Float64Array
export function fib(n: number): number
export const MONTE_CARLO_BLOCK: number
export function monteCarloHits(samples: number, seed: number, firstBlock?: number, endBlock?: number): number
export function monteCarloPi(samples: number, seed: number): number
export function histogram(data: Float64Array, bins: number, min: number, max: number): Uint32Array
export function sha256(bytes: Uint8Array): Uint8Array
