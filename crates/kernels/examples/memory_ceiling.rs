//! The memory-bound ceiling of `scale` on this machine: the same loop as the example plugin's
//! `scale` (a fresh output, `y[i] = x[i] * factor`) on plain `std::thread`s, with no pool and
//! no ABI, on 1 thread and on every core. Its N/1 is the speedup memory bandwidth allows; the
//! plugin's `scale` N/1 is compared with it by `bench/plugins.mjs`, which runs this.
//!
//!     cargo run --release -p ferris-kernels --example memory_ceiling -- [length] [samples]
//!
//! Prints one JSON line: `{"length", "threads", "oneMs", "allMs", "speedup"}` (medians).
use std::time::Instant;

fn scale_on(threads: usize, data: &[f64], factor: f64) -> Vec<f64> {
    let mut out = vec![0.0; data.len()];
    let piece = data.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (ys, xs) in out.chunks_mut(piece).zip(data.chunks(piece)) {
            s.spawn(move || {
                for (y, x) in ys.iter_mut().zip(xs) {
                    *y = x * factor;
                }
            });
        }
    });
    out
}

fn median_ms(samples: usize, mut run: impl FnMut()) -> f64 {
    run(); // warm-up
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let length: usize = args
        .next()
        .map_or(10_000_000, |a| a.parse().expect("length"));
    let samples: usize = args.next().map_or(7, |a| a.parse().expect("samples"));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let data: Vec<f64> = (0..length).map(|i| i as f64).collect();
    let check = scale_on(threads, &data, 2.0);
    assert!(check.iter().enumerate().all(|(i, &y)| y == 2.0 * i as f64));
    let one = median_ms(samples, || {
        drop(std::hint::black_box(scale_on(1, &data, 1.5)))
    });
    let all = median_ms(samples, || {
        drop(std::hint::black_box(scale_on(threads, &data, 1.5)))
    });
    println!(
        "{{\"length\":{length},\"threads\":{threads},\"oneMs\":{one},\"allMs\":{all},\"speedup\":{}}}",
        one / all
    );
}
