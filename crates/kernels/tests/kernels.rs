mod common;

use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::{pool, KernelResult, Outcome, PATIENCE};
use ferris_kernels::{all, find, Arg, KernelError, Param, Value};
use ferris_pool::{Job, Pool, Priority};

#[derive(Clone)]
enum Owned {
    Number(f64),
    Floats(Vec<f64>),
    Bytes(Vec<u8>),
    Text(String),
    Missing,
}

/// Runs one kernel on a pool of `workers`.
fn run_on(workers: usize, name: &str, args: Vec<Owned>) -> Outcome {
    let (pool, rx) = pool(workers);
    submit(&pool, name, args);
    rx.recv_timeout(PATIENCE).unwrap()
}

/// Submits one kernel call; the receiver hears when it starts.
fn submit(pool: &Pool<KernelResult>, name: &str, args: Vec<Owned>) -> Receiver<()> {
    let (_, kernel) = find(name).expect("kernel exists");
    let (started_tx, started) = channel();
    let job = Job::Native(Box::new(move |ctx| {
        let _ = started_tx.send(());
        let args: Vec<_> = args
            .iter()
            .map(|a| {
                match a {
                    Owned::Number(n) => Arg::Number(*n),
                    Owned::Floats(v) => Arg::Floats(v),
                    Owned::Bytes(v) => Arg::Bytes(v),
                    Owned::Text(s) => Arg::Text(s),
                    Owned::Missing => Arg::Missing,
                }
                .raw()
            })
            .collect();
        kernel.call(&args, ctx).map(|output| output.to_value())
    }));
    pool.submit(Priority::Normal, 0, job).unwrap();
    started
}

/// Runs one kernel on a one-worker pool.
fn run(name: &str, args: Vec<Owned>) -> Outcome {
    run_on(1, name, args)
}

/// Runs one kernel on one worker and on two, checks both agree, and returns the value.
fn value(name: &str, args: &[Owned]) -> Value {
    let one = run_on(1, name, args.to_vec());
    // Compared as text, where NaN equals NaN.
    let two = run_on(2, name, args.to_vec());
    assert!(
        format!("{one:?}") == format!("{two:?}"),
        "{name} differs with 2 workers"
    );
    match one {
        Ok(Ok(value)) => value,
        other => panic!("{name} failed: {other:?}"),
    }
}

/// The message of a kernel's failure.
fn failure(name: &str, args: &[Owned]) -> String {
    match run(name, args.to_vec()) {
        Ok(Err(error)) => error.message,
        other => panic!("{name} did not fail: {other:?}"),
    }
}

fn n(x: f64) -> Owned {
    Owned::Number(x)
}

/// Deterministic pseudo-random doubles in [-50, 50).
fn noise(len: usize, seed: u64) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 100.0 - 50.0
        })
        .collect()
}

#[test]
fn spin_is_deterministic_and_spin_zero_returns_the_seed() {
    let seed = ferris_kernels::SPIN_SEED;
    assert_eq!(
        run("spin", vec![Owned::Number(0.0)]),
        Ok(Ok(Value::Number((seed >> 11) as f64)))
    );
    let a = run("spin", vec![Owned::Number(1000.0)]);
    assert_eq!(a, run("spin", vec![Owned::Number(1000.0)]));
    assert_ne!(a, run("spin", vec![Owned::Number(1001.0)]));
}

#[test]
fn sleep_blocks_for_about_the_time_asked() {
    let start = Instant::now();
    assert_eq!(run("sleep", vec![Owned::Number(30.0)]), Ok(Ok(Value::Null)));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn sum_of_squares_matches_a_plain_loop() {
    let data: Vec<f64> = (0..1003).map(|i| (i as f64) * 0.5 - 100.0).collect();
    let expected: f64 = data.iter().map(|x| x * x).sum();
    let Ok(Ok(Value::Number(got))) = run("sumOfSquares", vec![Owned::Floats(data)]) else {
        panic!("sumOfSquares failed");
    };
    assert!((got - expected).abs() <= expected * 1e-12);
    assert_eq!(
        run("sumOfSquares", vec![Owned::Floats(vec![])]),
        Ok(Ok(Value::Number(0.0)))
    );
}

#[test]
fn testing_kernels_fail_and_panic_with_the_message() {
    assert_eq!(
        run("testing.fail", vec![Owned::Text("nope".into())]),
        Ok(Err(KernelError::new("nope")))
    );
    // The message, then where the kernel panicked.
    let panicked = run("testing.panic", vec![Owned::Text("boom".into())]);
    assert!(
        panicked
            .as_ref()
            .is_err_and(|m| m.starts_with("boom (at crates/kernels/src/")),
        "{panicked:?}"
    );
}

#[test]
fn long_kernels_stop_when_the_pool_is_dropped() {
    let big = Owned::Floats(vec![1.0; 2048 * 2048]);
    let endless = [
        ("spin", vec![n(1e15)]),
        ("sleep", vec![n(1e15)]),
        ("fib", vec![n(78.0)]),
        ("monteCarloPi", vec![n(2f64.powi(40)), n(1.0)]),
        ("primeCount", vec![n(0.0), n(1e13)]),
        (
            "mandelbrot",
            vec![
                n(8192.0),
                n(8192.0),
                n(16e6),
                Owned::Missing,
                Owned::Missing,
            ],
        ),
        ("matmul", vec![big.clone(), big, n(2048.0)]),
    ];
    std::thread::scope(|scope| {
        for (name, args) in endless {
            scope.spawn(move || {
                let (pool, rx) = pool(2);
                let started = submit(&pool, name, args);
                started
                    .recv_timeout(PATIENCE)
                    .expect("the kernel never started");
                // Dropping the pool aborts it and returns once the kernel has stopped. Left to
                // finish, each of these would run for hours: the bound only tells a stopped
                // kernel from one that was not, it is no claim about speed.
                let (dropped_tx, dropped) = channel();
                std::thread::spawn(move || {
                    drop(pool);
                    let _ = dropped_tx.send(());
                });
                dropped
                    .recv_timeout(PATIENCE)
                    .unwrap_or_else(|_| panic!("{name}: the pool waited for the kernel"));
                let outcome = rx.recv_timeout(PATIENCE).unwrap();
                assert!(matches!(outcome, Ok(Err(_))), "{name}: {outcome:?}");
            });
        }
    });
}

#[test]
fn every_registered_name_is_unique_and_found() {
    for (index, kernel) in all() {
        assert_eq!(find(&kernel.name).map(|(i, _)| i), Some(index));
        // The binding marks a left-out argument with NaN in the numbers it passes.
        assert!(
            kernel.params[kernel.required()..]
                .iter()
                .all(|p| matches!(p, Param::Count | Param::Number)),
            "{}: only numeric parameters can be optional",
            kernel.name
        );
    }
    assert!(find("no-such-kernel").is_none());
}

#[test]
fn dot_matches_a_plain_loop_and_refuses_mismatched_lengths() {
    let (a, b) = (noise(200_003, 1), noise(200_003, 2));
    let expected: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let Value::Number(got) = value("dot", &[Owned::Floats(a), Owned::Floats(b)]) else {
        panic!("dot returned a non-number");
    };
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{got} vs {expected}"
    );
    let message = failure(
        "dot",
        &[Owned::Floats(vec![1.0; 3]), Owned::Floats(vec![1.0; 4])],
    );
    assert!(message.contains("differ in length"), "{message}");
}

#[test]
fn matmul_matches_the_textbook_loop() {
    let size = 67; // not a multiple of anything the kernel tiles by
    let (a, b) = (noise(size * size, 3), noise(size * size, 4));
    let mut expected = vec![0.0; size * size];
    for i in 0..size {
        for j in 0..size {
            expected[i * size + j] = (0..size).map(|k| a[i * size + k] * b[k * size + j]).sum();
        }
    }
    let Value::Float64Array(got) = value(
        "matmul",
        &[Owned::Floats(a), Owned::Floats(b), n(size as f64)],
    ) else {
        panic!("matmul returned no array");
    };
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{g} vs {e}");
    }
    assert_eq!(
        value(
            "matmul",
            &[Owned::Floats(vec![]), Owned::Floats(vec![]), n(0.0)]
        ),
        Value::Float64Array(vec![])
    );
    let message = failure(
        "matmul",
        &[
            Owned::Floats(vec![1.0; 4]),
            Owned::Floats(vec![1.0; 4]),
            n(3.0),
        ],
    );
    assert!(message.contains("has 4 elements"), "{message}");
    let message = failure(
        "matmul",
        &[Owned::Floats(vec![]), Owned::Floats(vec![]), n(1e9)],
    );
    assert!(message.contains("more than"), "{message}");
}

#[test]
fn mandelbrot_counts_escapes_and_honours_the_row_range() {
    // 3 x 3: the centre pixel is c = -0.5, inside the set. The corner is c = -1.5 - i:
    // |z1|² = |c|² = 3.25, then z2 = -0.25 + 2i and |z2|² = 4.0625 > 4, so it escapes at step 2.
    let Value::Uint32Array(counts) = value(
        "mandelbrot",
        &[n(3.0), n(3.0), n(50.0), Owned::Missing, Owned::Missing],
    ) else {
        panic!("mandelbrot returned no counts");
    };
    assert_eq!(counts.len(), 9);
    assert_eq!(counts[4], 50);
    assert_eq!(counts[0], 2);
    // A band of rows equals the same rows of the whole picture.
    let whole = value(
        "mandelbrot",
        &[n(64.0), n(48.0), n(200.0), Owned::Missing, Owned::Missing],
    );
    let band = value(
        "mandelbrot",
        &[n(64.0), n(48.0), n(200.0), n(10.0), n(20.0)],
    );
    let (Value::Uint32Array(whole), Value::Uint32Array(band)) = (whole, band) else {
        panic!("mandelbrot returned no counts");
    };
    assert_eq!(band, whole[10 * 64..20 * 64]);
    assert!(failure("mandelbrot", &[n(4.0), n(4.0), n(10.0), n(3.0), n(2.0)]).contains("rows"));
    assert!(failure("mandelbrot", &[n(4.0), n(4.0), n(10.0), n(0.0), n(5.0)]).contains("rows"));
    assert!(failure(
        "mandelbrot",
        &[n(1e9), n(1e9), n(10.0), Owned::Missing, Owned::Missing]
    )
    .contains("more than"));
    assert!(failure(
        "mandelbrot",
        &[n(4.0), n(4.0), n(1e10), Owned::Missing, Owned::Missing]
    )
    .contains("maxIter"));
}

fn is_prime(x: u64) -> bool {
    x >= 2
        && (2..)
            .take_while(|d| d * d <= x)
            .all(|d| !x.is_multiple_of(d))
}

#[test]
fn prime_count_matches_trial_division_on_every_small_range() {
    for lo in 0..40u64 {
        for hi in lo..60 {
            let expected = (lo..hi).filter(|&x| is_prime(x)).count() as f64;
            assert_eq!(
                run("primeCount", vec![n(lo as f64), n(hi as f64)]),
                Ok(Ok(Value::Number(expected))),
                "[{lo}, {hi})"
            );
        }
    }
    // Across many segments, and on both sides of a segment boundary.
    assert_eq!(
        value("primeCount", &[n(0.0), n(10_000_000.0)]),
        Value::Number(664_579.0)
    );
    let lo = 1_000_000_000.0;
    let expected = (1_000_000_000u64..1_000_001_000)
        .filter(|&x| is_prime(x))
        .count() as f64;
    assert_eq!(
        value("primeCount", &[n(lo), n(lo + 1000.0)]),
        Value::Number(expected)
    );
    assert!(failure("primeCount", &[n(10.0), n(5.0)]).contains("above"));
}

#[test]
fn sort_orders_like_typed_array_sort_with_nan_last() {
    let mut data = noise(300_001, 5);
    data.extend([
        f64::NAN,
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -f64::NAN,
        1.0,
        1.0,
    ]);
    data.rotate_left(12_345);
    let Value::Float64Array(sorted) = value("sort", &[Owned::Floats(data.clone())]) else {
        panic!("sort returned no array");
    };
    let mut expected = data;
    expected.sort_by(ferris_kernels::sort_order);
    assert_eq!(sorted.len(), expected.len());
    assert!(sorted
        .iter()
        .zip(&expected)
        .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())));
    assert!(sorted[sorted.len() - 2..].iter().all(|x| x.is_nan()));
    let zeros: Vec<u64> = sorted
        .iter()
        .filter(|x| **x == 0.0)
        .map(|x| x.to_bits())
        .collect();
    assert_eq!(
        zeros,
        [(-0.0f64).to_bits(), 0.0f64.to_bits()],
        "-0 sorts before +0"
    );
    assert_eq!(
        value("sort", &[Owned::Floats(vec![])]),
        Value::Float64Array(vec![])
    );
}

#[test]
fn fib_recursion_gives_the_sequence() {
    assert_eq!(value("fib", &[n(0.0)]), Value::Number(0.0));
    assert_eq!(value("fib", &[n(1.0)]), Value::Number(1.0));
    assert_eq!(value("fib", &[n(27.0)]), Value::Number(196_418.0));
    assert!(failure("fib", &[n(79.0)]).contains("above 78"));
}

#[test]
fn monte_carlo_pi_is_deterministic_and_close() {
    let first = value("monteCarloPi", &[n(1_000_000.0), n(42.0)]);
    assert_eq!(first, value("monteCarloPi", &[n(1_000_000.0), n(42.0)]));
    assert_ne!(first, value("monteCarloPi", &[n(1_000_000.0), n(43.0)]));
    let Value::Number(pi) = first else {
        panic!("no number")
    };
    assert!((pi - std::f64::consts::PI).abs() < 0.01, "{pi}");
    assert!(failure("monteCarloPi", &[n(0.0), n(1.0)]).contains("samples"));
}

#[test]
fn histogram_counts_like_a_plain_loop() {
    let mut data = noise(100_000, 6);
    data.extend([f64::NAN, -40.0, 40.0, 41.0, -41.0]);
    let (bins, min, max) = (7usize, -40.0, 40.0);
    let mut expected = vec![0u32; bins];
    for &x in &data {
        if x >= min && x <= max {
            let bin = (((x - min) / (max - min) * bins as f64) as usize).min(bins - 1);
            expected[bin] += 1;
        }
    }
    let got = value(
        "histogram",
        &[Owned::Floats(data), n(bins as f64), n(min), n(max)],
    );
    assert_eq!(got, Value::Uint32Array(expected));
    assert!(failure(
        "histogram",
        &[Owned::Floats(vec![]), n(0.0), n(0.0), n(1.0)]
    )
    .contains("bins"));
    assert!(failure(
        "histogram",
        &[Owned::Floats(vec![]), n(4.0), n(1.0), n(1.0)]
    )
    .contains("below max"));
}

#[test]
fn sha256_matches_the_standard_test_vectors() {
    let hex = |value: Value| match value {
        Value::Uint8Array(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        other => panic!("not bytes: {other:?}"),
    };
    assert_eq!(
        hex(value("sha256", &[Owned::Bytes(b"abc".to_vec())])),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(value("sha256", &[Owned::Bytes(vec![])])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn sum_of_squares_stops_on_its_cancellation_flag_over_a_long_array() {
    let (pool, rx) = pool(1);
    let (_, kernel) = find("sumOfSquares").unwrap();
    let data = vec![1.0; 1 << 20];
    let job = Job::Native(Box::new(move |ctx| {
        kernel
            .call(&[Arg::Floats(&data).raw()], ctx)
            .map(|output| output.to_value())
    }));
    // A limit of zero: the flag is up from the start, seen at the first check.
    pool.submit_with_limit(Priority::Normal, 0, job, Some(Duration::ZERO))
        .unwrap();
    let long = rx.recv_timeout(PATIENCE).unwrap();
    assert!(matches!(long, Ok(Err(_))), "{long:?}");
}

#[test]
fn limits_measure_positive_rates_and_refuse_bad_sizes() {
    for (name, arg) in [("limits.memoryRead", 8.0), ("limits.peakFma", 2.0)] {
        let Ok(Ok(Value::Number(rate))) = run_on(2, name, vec![n(arg)]) else {
            panic!("{name} returned no number");
        };
        assert!(rate.is_finite() && rate > 0.0, "{name}: {rate}");
        assert!(failure(name, &[n(0.0)]).contains("must be from 1"));
    }
}
