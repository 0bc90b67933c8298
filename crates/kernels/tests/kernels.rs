use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferris_kernels::{find, Arg, Args, KernelError, Value, REGISTRY};
use ferris_pool::{Hooks, Job, Pool, PoolConfig, Priority};

type KernelResult = Result<Value, KernelError>;
/// A kernel's result, or the message it panicked with.
type Outcome = Result<KernelResult, String>;

/// Forwards every outcome down a channel.
struct Outcomes(Mutex<Sender<Outcome>>);

impl Hooks<KernelResult> for Outcomes {
    fn completed(&self, _tag: u64, result: KernelResult) {
        self.0.lock().unwrap().send(Ok(result)).unwrap();
    }
    fn external_ready(&self, _tag: u64) {}
    fn panicked(&self, _tag: u64, message: String) {
        self.0.lock().unwrap().send(Err(message)).unwrap();
    }
}

fn pool(workers: usize) -> (Pool<KernelResult>, Receiver<Outcome>) {
    let (tx, rx) = channel();
    let config = PoolConfig {
        workers,
        ..Default::default()
    };
    (
        Pool::new(config, Arc::new(Outcomes(Mutex::new(tx)))).unwrap(),
        rx,
    )
}

enum Owned {
    Number(f64),
    Floats(Vec<f64>),
    Text(String),
}

/// Runs one kernel on a one-worker pool.
fn run(name: &str, args: Vec<Owned>) -> Outcome {
    let (pool, rx) = pool(1);
    let kernel = &REGISTRY[find(name).expect("kernel exists")];
    let job = Job::Native(Box::new(move |ctx| {
        let args: Vec<Arg> = args
            .iter()
            .map(|a| match a {
                Owned::Number(n) => Arg::Number(*n),
                Owned::Floats(v) => Arg::Floats(v),
                Owned::Text(s) => Arg::Text(s),
            })
            .collect();
        (kernel.run)(&Args(&args), ctx)
    }));
    pool.submit(Priority::Normal, 0, job).unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
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
    assert_eq!(
        run("testing.panic", vec![Owned::Text("boom".into())]),
        Err("boom".to_string())
    );
}

#[test]
fn long_kernels_stop_when_the_pool_is_dropped() {
    let (pool, rx) = pool(2);
    for name in ["spin", "sleep"] {
        let kernel = &REGISTRY[find(name).unwrap()];
        let job = Job::Native(Box::new(move |ctx| {
            (kernel.run)(&Args(&[Arg::Number(1e15)]), ctx)
        }));
        pool.submit(Priority::Normal, 0, job).unwrap();
    }
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    drop(pool);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the pool waited for the kernels"
    );
    for _ in 0..2 {
        let outcome = rx.recv_timeout(Duration::from_secs(1)).unwrap();
        assert!(matches!(outcome, Ok(Err(_))), "{outcome:?}");
    }
}

#[test]
fn every_registered_name_is_unique_and_found() {
    for (index, kernel) in REGISTRY.iter().enumerate() {
        assert_eq!(find(kernel.name), Some(index));
    }
    assert_eq!(find("no-such-kernel"), None);
}

#[test]
fn sum_of_squares_stops_on_its_cancellation_flag_over_a_long_array() {
    let (pool, rx) = pool(1);
    let kernel = &REGISTRY[find("sumOfSquares").unwrap()];
    for len in [1usize << 20, 8] {
        let data = vec![1.0; len];
        let job = Job::Native(Box::new(move |ctx| {
            (kernel.run)(&Args(&[Arg::Floats(&data)]), ctx)
        }));
        // A limit of zero: the flag is up from the start, seen at the first check.
        pool.submit_with_limit(Priority::Normal, 0, job, Some(Duration::ZERO))
            .unwrap();
    }
    let long = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(matches!(long, Ok(Err(_))), "{long:?}");
    let short = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        short,
        Ok(Ok(Value::Number(8.0))),
        "short arrays finish before the first check"
    );
}
