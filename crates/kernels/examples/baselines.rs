//! The pool's fork-join against its baselines, in Rust with no Node involved:
//!
//! * `sort` of 10 million doubles on every core against one thread's `sort_unstable_by` (the
//!   goal is >= 1.6x on 2 cores), and against rayon's `par_sort_unstable_by`;
//! * fork-join overhead: naive fib(36) forking every call above n = 12, on the pool and on
//!   rayon, against the same recursion on one thread.
//!
//! * small kernels (fib(30), matmul 256, mandelbrot 400x300x200, sumOfSquares 1e6), each run
//!   as one task after the pool idled 5 ms, on one worker and on every core: how fast parked
//!   workers join a kernel of a few milliseconds. Ours are the registry's kernels; rayon's are
//!   written here with the same splits (fib's cutoff, the kernels' grains) and plain loops, so
//!   compare each pool's N/1, not times across pools.
//!
//! Each pool runs alone (the other is dropped first), so they never oversubscribe the cores.
//! Medians of 5 runs after a warm-up (21 for the small kernels).
//!
//!     cargo run --release -p ferris-kernels --example baselines            # everything
//!     cargo run --release -p ferris-kernels --example baselines -- small   # small kernels only
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferris_kernels::{find, sort_order, Arg, Value};
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority, TaskContext};

const RUNS: usize = 5;

/// Median time of `runs` runs of `f`, after one warm-up, each run preceded by `idle` of sleep.
fn median_of(runs: usize, idle: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            std::thread::sleep(idle);
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn median(f: impl FnMut()) -> Duration {
    median_of(RUNS, Duration::ZERO, f)
}

/// `len` seeded doubles in [0, 1) (xorshift64).
fn random(len: usize, mut state: u64) -> Vec<f64> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// Hooks that drop everything: results come back through channels in the jobs.
struct Quiet;
impl Hooks<()> for Quiet {
    fn completed(&self, _: u64, _: ()) {}
    fn external_ready(&self, _: u64, _job: ferris_pool::ExternalJob) {}
    fn panicked(&self, _: u64, message: String) {
        panic!("a task panicked: {message}");
    }
}

/// Runs `f` as one task on `pool` and waits for its result.
fn on_pool<R: Send + 'static>(
    pool: &Pool<()>,
    f: impl FnOnce(&TaskContext<'_>) -> R + Send + 'static,
) -> R {
    let (tx, rx) = channel();
    let job = Job::Native(Box::new(move |ctx: &TaskContext<'_>| {
        tx.send(f(ctx)).unwrap()
    }));
    pool.submit(Priority::Normal, 0, job).unwrap();
    rx.recv().unwrap()
}

fn fib_seq(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_seq(n - 1) + fib_seq(n - 2)
    }
}

const FIB_N: u64 = 36;
const FIB_CUTOFF: u64 = 12;

fn fib_pool(ctx: &TaskContext<'_>, n: u64) -> u64 {
    if n <= FIB_CUTOFF {
        return fib_seq(n);
    }
    let (a, b) = ctx.join(|ctx| fib_pool(ctx, n - 1), |ctx| fib_pool(ctx, n - 2));
    a + b
}

fn fib_rayon(n: u64, cutoff: u64) -> u64 {
    if n <= cutoff {
        return fib_seq(n);
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1, cutoff), || fib_rayon(n - 2, cutoff));
    a + b
}

/// Calls of fib_pool that fork: every call with n above the cutoff.
fn forks(n: u64) -> u64 {
    if n <= FIB_CUTOFF {
        0
    } else {
        1 + forks(n - 1) + forks(n - 2)
    }
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let only_small = std::env::args().nth(1).as_deref() == Some("small");
    small::run(cores);
    if only_small {
        return;
    }
    let data = Arc::new(random(10_000_000, 0x2545_f491_4f6c_dd1d));

    let one_thread = median(|| {
        let mut copy = data.to_vec();
        copy.sort_unstable_by(sort_order);
    });
    let fib_one = median(|| assert_eq!(fib_seq(std::hint::black_box(FIB_N)), 14_930_352));

    let (ours, fib_ours) = {
        let config = PoolConfig {
            workers: cores,
            ..Default::default()
        };
        let pool: Pool<()> = Pool::new(config, Arc::new(Quiet)).unwrap();
        let (_, sort) = find("sort").unwrap();
        let sorted = median(|| {
            let data = data.clone();
            let value = on_pool(&pool, move |ctx| {
                sort.call(&[Arg::Floats(&data).raw()], ctx)
                    .map(|output| output.to_value())
            });
            assert!(matches!(value, Ok(Value::Float64Array(v)) if v.len() == 10_000_000));
        });
        let fib = median(|| assert_eq!(on_pool(&pool, |ctx| fib_pool(ctx, FIB_N)), 14_930_352));
        (sorted, fib)
    };

    let (theirs, fib_theirs) = {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .build()
            .unwrap();
        pool.install(|| {
            use rayon::slice::ParallelSliceMut;
            let sorted = median(|| {
                let mut copy = data.to_vec();
                copy.par_sort_unstable_by(sort_order);
            });
            let fib = median(|| assert_eq!(fib_rayon(FIB_N, FIB_CUTOFF), 14_930_352));
            (sorted, fib)
        })
    };

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{cores} cores, medians of {RUNS} runs\n");
    println!("sort 10M doubles (copy + sort)");
    println!("  one thread, sort_unstable_by   {:8.1} ms", ms(one_thread));
    println!(
        "  ferris-pool, sort kernel       {:8.1} ms   {:.2}x one thread",
        ms(ours),
        ms(one_thread) / ms(ours)
    );
    println!(
        "  rayon, par_sort_unstable_by    {:8.1} ms   {:.2}x one thread",
        ms(theirs),
        ms(one_thread) / ms(theirs)
    );
    let joins = forks(FIB_N);
    println!("\nfib({FIB_N}), forking above n = {FIB_CUTOFF} ({joins} joins)");
    println!("  one thread, no joins           {:8.1} ms", ms(fib_one));
    for (name, time) in [
        ("ferris-pool join", fib_ours),
        ("rayon::join     ", fib_theirs),
    ] {
        println!(
            "  {name}               {:8.1} ms   {:.2}x one thread",
            ms(time),
            ms(fib_one) / ms(time)
        );
    }
    println!(
        "\nferris-pool / rayon time: sort {:.2}, fib {:.2} (below 1: the pool is faster)",
        ms(ours) / ms(theirs),
        ms(fib_ours) / ms(fib_theirs)
    );
}

/// The small-kernels group: one task per run, after the pool idled [`small::IDLE_BEFORE`].
mod small {
    use std::sync::Arc;
    use std::time::Duration;

    use rayon::prelude::*;

    use super::{fib_rayon, fib_seq, median_of, on_pool, random, Quiet};
    use ferris_kernels::{find, Arg, KernelError, Output, Value};
    use ferris_pool::{Pool, PoolConfig, TaskContext};

    /// The idle gap before each run, as in the JS group (`bench/small-kernels.mjs`).
    pub const IDLE_BEFORE: Duration = Duration::from_millis(5);
    const RUNS: usize = 21;
    /// The kernels' own splitting constants, repeated for the rayon versions: `fib`'s cutoff,
    /// `parallel::grain`'s pieces per worker, the reductions' smallest grain.
    const FIB_CUTOFF: u64 = 20;
    const PIECES_PER_WORKER: usize = 8;
    const MIN_REDUCE_GRAIN: usize = 1 << 15;
    const MATMUL_N: usize = 256;
    const MANDEL: [usize; 3] = [400, 300, 200];
    const SQUARES: usize = 1_000_000;

    const NAMES: [&str; 4] = [
        "fib(30)",
        "matmul 256",
        "mandelbrot 400x300x200",
        "sumOfSquares 1e6",
    ];

    /// What each kernel must return, computed on this thread alone.
    struct Inputs {
        a: Arc<Vec<f64>>,
        b: Arc<Vec<f64>>,
        squares: Arc<Vec<f64>>,
        product: Vec<f64>,
        counts: Vec<u32>,
        sum: f64,
    }

    /// Median time of `f` after idling [`IDLE_BEFORE`] before each run, after one warm-up.
    fn median_after_idle(f: impl FnMut()) -> Duration {
        median_of(RUNS, IDLE_BEFORE, f)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    /// Rows `rows` of the product of two n x n matrices, i-k-j order, into `out`.
    fn matmul_rows(a: &[f64], b: &[f64], n: usize, first: usize, out: &mut [f64]) {
        for (r, row) in out.chunks_exact_mut(n).enumerate() {
            let i = first + r;
            for k in 0..n {
                let factor = a[i * n + k];
                for (o, x) in row.iter_mut().zip(&b[k * n..(k + 1) * n]) {
                    *o += factor * x;
                }
            }
        }
    }

    /// Escape counts of rows from `first` of the kernel's picture (same formula as its docs).
    fn mandelbrot_rows(first: usize, out: &mut [u32]) {
        let [width, height, max_iter] = MANDEL;
        let (w, h) = (width as f64, height as f64);
        for (r, row) in out.chunks_exact_mut(width).enumerate() {
            let ci = -1.5 + ((first + r) as f64 + 0.5) * 3.0 / h;
            for (px, count) in row.iter_mut().enumerate() {
                let cr = -2.0 + (px as f64 + 0.5) * 3.0 / w;
                let (mut zr, mut zi, mut steps) = (0.0f64, 0.0f64, 0);
                while steps < max_iter {
                    let next_zr = zr * zr - zi * zi + cr;
                    zi = 2.0 * zr * zi + ci;
                    zr = next_zr;
                    steps += 1;
                    if zr * zr + zi * zi > 4.0 {
                        break;
                    }
                }
                *count = steps as u32;
            }
        }
    }

    fn squares_sum(data: &[f64]) -> f64 {
        data.iter().map(|x| x * x).sum()
    }

    /// `parallel::grain` of the kernels: about 8 pieces per worker, at least `min` items.
    fn grain(workers: usize, len: usize, min: usize) -> usize {
        (len / (workers * PIECES_PER_WORKER)).max(min).max(1)
    }

    type Call = Arc<dyn Fn(&TaskContext<'_>) -> Result<Output, KernelError> + Send + Sync>;

    /// Medians of the four registry kernels on a pool of ours with `workers` threads.
    fn ours(workers: usize, inputs: &Inputs) -> [Duration; 4] {
        let config = PoolConfig {
            workers,
            ..Default::default()
        };
        let pool: Pool<()> = Pool::new(config, Arc::new(Quiet)).unwrap();
        let kernel = |name: &str| find(name).unwrap().1;
        let n = |x: usize| Arg::Number(x as f64).raw();
        let fib = kernel("fib");
        let (matmul, a, b) = (kernel("matmul"), inputs.a.clone(), inputs.b.clone());
        let mandelbrot = kernel("mandelbrot");
        let (sum_of_squares, squares) = (kernel("sumOfSquares"), inputs.squares.clone());
        let calls: [(Call, &dyn Fn(Value) -> bool); 4] = [
            (
                Arc::new(move |ctx| fib.call(&[n(30)], ctx)),
                &|v| matches!(v, Value::Number(x) if x == fib_seq(30) as f64),
            ),
            (
                Arc::new(move |ctx| {
                    let args = [Arg::Floats(&a).raw(), Arg::Floats(&b).raw(), n(MATMUL_N)];
                    matmul.call(&args, ctx)
                }),
                &|v| matches!(v, Value::Float64Array(p) if p.iter().zip(&inputs.product).all(|(x, y)| close(*x, *y))),
            ),
            (
                Arc::new(move |ctx| mandelbrot.call(&MANDEL.map(n), ctx)),
                &|v| matches!(v, Value::Uint32Array(c) if c == inputs.counts),
            ),
            (
                Arc::new(move |ctx| sum_of_squares.call(&[Arg::Floats(&squares).raw()], ctx)),
                &|v| matches!(v, Value::Number(x) if close(x, inputs.sum)),
            ),
        ];
        calls.map(|(call, right)| {
            let value = on_pool(&pool, {
                let call = call.clone();
                move |ctx| call(ctx).map(|output| output.to_value())
            });
            assert!(value.is_ok_and(right), "a kernel returned a wrong result");
            median_after_idle(|| {
                let call = call.clone();
                on_pool(&pool, move |ctx| call(ctx).map(drop)).unwrap();
            })
        })
    }

    /// Medians of the rayon versions on a rayon pool with `workers` threads.
    fn rayon(workers: usize, inputs: &Inputs) -> [Duration; 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .unwrap();
        let n = MATMUL_N;
        let fib = || fib_rayon(30, FIB_CUTOFF);
        let matmul = || {
            let mut out = vec![0.0; n * n];
            let rows = grain(workers, n, 1);
            out.par_chunks_mut(rows * n)
                .enumerate()
                .for_each(|(piece, out)| matmul_rows(&inputs.a, &inputs.b, n, piece * rows, out));
            out
        };
        let mandelbrot = || {
            let [width, height, _] = MANDEL;
            let mut out = vec![0u32; width * height];
            let rows = grain(workers, height, 1);
            out.par_chunks_mut(rows * width)
                .enumerate()
                .for_each(|(piece, out)| mandelbrot_rows(piece * rows, out));
            out
        };
        let sum_of_squares = || {
            let len = inputs.squares.len();
            inputs
                .squares
                .par_chunks(grain(workers, len, MIN_REDUCE_GRAIN))
                .map(squares_sum)
                .sum::<f64>()
        };
        // Started from this thread, outside the pool, as a submission to ours is.
        assert_eq!(pool.install(fib), fib_seq(30));
        let product = pool.install(matmul);
        assert!(product
            .iter()
            .zip(&inputs.product)
            .all(|(x, y)| close(*x, *y)));
        assert_eq!(pool.install(mandelbrot), inputs.counts);
        assert!(close(pool.install(sum_of_squares), inputs.sum));
        [
            median_after_idle(|| {
                std::hint::black_box(pool.install(fib));
            }),
            median_after_idle(|| {
                std::hint::black_box(pool.install(matmul));
            }),
            median_after_idle(|| {
                std::hint::black_box(pool.install(mandelbrot));
            }),
            median_after_idle(|| {
                std::hint::black_box(pool.install(sum_of_squares));
            }),
        ]
    }

    pub fn run(cores: usize) {
        let (a, b) = (
            Arc::new(random(MATMUL_N * MATMUL_N, 1)),
            Arc::new(random(MATMUL_N * MATMUL_N, 2)),
        );
        let mut product = vec![0.0; MATMUL_N * MATMUL_N];
        matmul_rows(&a, &b, MATMUL_N, 0, &mut product);
        let mut counts = vec![0u32; MANDEL[0] * MANDEL[1]];
        mandelbrot_rows(0, &mut counts);
        let squares = Arc::new(random(SQUARES, 3));
        let sum = squares_sum(&squares);
        let inputs = Inputs {
            a,
            b,
            squares,
            product,
            counts,
            sum,
        };
        // One pool at a time, each dropped before the next starts.
        let ours_1 = ours(1, &inputs);
        let ours_n = ours(cores, &inputs);
        let rayon_1 = rayon(1, &inputs);
        let rayon_n = rayon(cores, &inputs);

        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "small kernels: one task after {} ms idle, medians of {RUNS} runs, {cores} cores\n",
            IDLE_BEFORE.as_millis()
        );
        println!(
            "  {:<24} {:>10} {:>10} {:>6}   {:>10} {:>10} {:>6}",
            "kernel", "pool-1 ms", "pool-N ms", "N/1", "rayon-1 ms", "rayon-N ms", "N/1"
        );
        for (i, name) in NAMES.iter().enumerate() {
            println!(
                "  {:<24} {:>10.2} {:>10.2} {:>5.2}x   {:>10.2} {:>10.2} {:>5.2}x",
                name,
                ms(ours_1[i]),
                ms(ours_n[i]),
                ms(ours_1[i]) / ms(ours_n[i]),
                ms(rayon_1[i]),
                ms(rayon_n[i]),
                ms(rayon_1[i]) / ms(rayon_n[i]),
            );
        }
        println!(
            "\n  rayon runs plain-loop versions with the kernels' splits: compare N/1, not ms."
        );
    }
}
