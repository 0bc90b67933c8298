//! The pool's fork-join against its baselines, in Rust with no Node involved:
//!
//! * `sort` of 10 million doubles on every core against one thread's `sort_unstable_by` (the
//!   goal is >= 1.6x on 2 cores), and against rayon's `par_sort_unstable_by`;
//! * fork-join overhead: naive fib(36) forking every call above n = 12, on the pool and on
//!   rayon, against the same recursion on one thread.
//!
//! Each pool runs alone (the other is dropped first), so they never oversubscribe the cores.
//! Medians of 5 runs after a warm-up.
//!
//!     cargo run --release -p ferris-kernels --example baselines
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferris_kernels::{find, sort_order, Arg, Value};
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority, TaskContext};

const RUNS: usize = 5;

fn median(mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// Hooks that drop everything: results come back through channels in the jobs.
struct Quiet;
impl Hooks<()> for Quiet {
    fn completed(&self, _: u64, _: ()) {}
    fn external_ready(&self, _: u64) {}
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

fn fib_rayon(n: u64) -> u64 {
    if n <= FIB_CUTOFF {
        return fib_seq(n);
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
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
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let data: Arc<Vec<f64>> = Arc::new(
        (0..10_000_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect(),
    );

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
            let fib = median(|| assert_eq!(fib_rayon(FIB_N), 14_930_352));
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
