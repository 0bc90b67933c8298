"""numpy's times for the figures bench/kernels.mjs holds the kernels against (one JSON line).

    python3 bench/numpy-baseline.py MATMUL_N STREAM_LENGTH SAMPLES

The thread count is OpenBLAS's, set by the caller through OPENBLAS_NUM_THREADS before start.
Medians, after one warm-up call each. Every sample is timed as bench/limits.mjs times ours: the
same arrays each time, after a garbage collection and a 10 ms pause. Back to back, numpy's
threads would still be spinning and its 4M-double inputs (32 MB each, the size of this
machine's L3) partly cached from the sample before, which a pause costs ours (whose workers
park) but not numpy: the figures would not measure the same thing.
"""
import gc
import json
import statistics
import sys
import time

import numpy as np


def median_ms(fn, samples):
    fn()
    times = []
    for _ in range(samples):
        gc.collect()
        time.sleep(0.01)
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
