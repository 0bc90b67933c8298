"""numpy's times for the figures bench/kernels.mjs holds the kernels against (one JSON line).

    python3 bench/numpy-baseline.py MATMUL_N STREAM_LENGTH SAMPLES

The thread count is OpenBLAS's, set by the caller through OPENBLAS_NUM_THREADS before start.
Medians, after one warm-up call each.
"""
import json
import statistics
import sys
import time

import numpy as np


def median_ms(fn, samples):
    fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


n, length, samples = (int(x) for x in sys.argv[1:4])
rng = np.random.default_rng(1)
a, b = rng.random((n, n)), rng.random((n, n))
x, y = rng.random(length), rng.random(length)
print(json.dumps({
    "numpy": np.__version__,
    "matmulMs": median_ms(lambda: a @ b, samples),
    "dotMs": median_ms(lambda: x @ y, samples),
    "sumOfSquaresMs": median_ms(lambda: x @ x, samples),
}))
