//! The memory-bound ceiling of `scale` on this machine: the same loop as the example plugin's
//! `scale` (a fresh output, `y[i] = x[i] * factor`) on plain `std::thread`s, with no pool and
//! no ABI, on 1 thread and on every core. Its N/1 is the speedup memory bandwidth allows; the
//! plugin's `scale` N/1 is compared with it by `bench/plugins.mjs`, which runs this. For
//! reference, the same process also times the built-in `testing.scale` (the same source) on
//! pools of 1 and N workers, without JavaScript, samples alternating with the plain ones.
//!
//!     cargo run --release -p ferris-kernels --example memory_ceiling -- [length] [samples]
//!
//! Prints one JSON line: `{"length", "threads", "oneMs", "allMs", "speedup", "poolOneMs",
//! "poolAllMs", "poolSpeedup"}` (medians).
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Instant;

use ferris_kernels::{find, Arg};
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority};

/// Hooks of a pool whose tasks report through their own channels.
struct Quiet;

impl Hooks<()> for Quiet {
    fn completed(&self, _tag: u64, _output: ()) {}
    fn external_ready(&self, _tag: u64, _job: ferris_pool::ExternalJob) {}
    fn panicked(&self, _tag: u64, message: String) {
        panic!("testing.scale panicked: {message}");
    }
}

/// Runs `testing.scale` over `data` as one task on `pool`, and waits for it.
fn scale_on_pool(pool: &Pool<()>, data: &Arc<Vec<f64>>, factor: f64) {
    let (tx, rx) = channel();
    let data = data.clone();
    let (_, kernel) = find("testing.scale").expect("testing.scale is built in");
    let job = Job::Native(Box::new(move |ctx| {
        let out = kernel.call(&[Arg::Floats(&data).raw(), Arg::Number(factor).raw()], ctx);
        tx.send(out.map(drop)).unwrap();
    }));
    pool.submit(Priority::Normal, 0, job).unwrap();
    rx.recv().unwrap().expect("testing.scale failed");
}

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

/// Median milliseconds of each of `runs`, sampled in turn `samples` times after a warm-up.
fn medians_ms<const N: usize>(samples: usize, runs: [&dyn Fn(); N]) -> [f64; N] {
    runs.iter().for_each(|run| run());
    let mut times = [(); N].map(|_| Vec::with_capacity(samples));
    for _ in 0..samples {
        for (run, times) in runs.iter().zip(&mut times) {
            let start = Instant::now();
            run();
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let length: usize = args
        .next()
        .map_or(10_000_000, |a| a.parse().expect("length"));
    let samples: usize = args.next().map_or(7, |a| a.parse().expect("samples"));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let data = Arc::new((0..length).map(|i| i as f64).collect::<Vec<f64>>());
    let check = scale_on(threads, &data, 2.0);
    assert!(check.iter().enumerate().all(|(i, &y)| y == 2.0 * i as f64));
    let pool = |workers| {
        let config = PoolConfig {
            workers,
            ..Default::default()
        };
        Pool::new(config, Arc::new(Quiet)).unwrap()
    };
    let (pool_one, pool_all) = (pool(1), pool(threads));
    let [one, all, pool_one_ms, pool_all_ms] = medians_ms(
        samples,
        [
            &|| drop(std::hint::black_box(scale_on(1, &data, 1.5))),
            &|| drop(std::hint::black_box(scale_on(threads, &data, 1.5))),
            &|| scale_on_pool(&pool_one, &data, 1.5),
            &|| scale_on_pool(&pool_all, &data, 1.5),
        ],
    );
    println!(
        "{{\"length\":{length},\"threads\":{threads},\"oneMs\":{one},\"allMs\":{all},\"speedup\":{},\"poolOneMs\":{pool_one_ms},\"poolAllMs\":{pool_all_ms},\"poolSpeedup\":{}}}",
        one / all,
        pool_one_ms / pool_all_ms
    );
}
