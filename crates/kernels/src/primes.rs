//! `primeCount`: a segmented sieve of Eratosthenes split over the pool.

use crate::parallel;
use ferris_kernel_sdk::{Args, Context, KernelError, Value};

/// Odd numbers per segment: a 256 KiB byte sieve, which stays in L2.
const SEGMENT: u64 = 1 << 18;

/// Odd primes up to `limit` (inclusive), by a plain sieve over the odd numbers.
fn odd_primes_up_to(limit: u64) -> Vec<u64> {
    let odds = (limit.saturating_sub(1) / 2) as usize; // 3, 5, ..., up to limit
    let mut composite = vec![false; odds];
    let mut primes = Vec::new();
    for i in 0..odds {
        if composite[i] {
            continue;
        }
        let p = 2 * i as u64 + 3;
        primes.push(p);
        let mut j = (p * p - 3) / 2;
        while (j as usize) < odds {
            composite[j as usize] = true;
            j += p;
        }
    }
    primes
}

/// Integer square root.
fn isqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r * r > n {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= n {
        r += 1;
    }
    r
}

/// Counts the odd primes in `[lo, hi)`, both odd and lo >= 3, with `primes` holding every odd prime up to
/// √hi. `sieve` is scratch space of at least (hi - lo) / 2 bytes.
fn count_odd_segment(lo: u64, hi: u64, primes: &[u64], sieve: &mut Vec<bool>) -> u64 {
    let odds = ((hi - lo) / 2) as usize; // lo, lo + 2, ..., hi - 2
    sieve.clear();
    sieve.resize(odds, true);
    for &p in primes {
        if p * p >= hi {
            break;
        }
        // First odd multiple of p that is >= max(p², lo).
        let mut m = (p * p).max(lo.div_ceil(p) * p);
        if m % 2 == 0 {
            m += p;
        }
        let mut j = ((m - lo) / 2) as usize;
        while j < odds {
            sieve[j] = false;
            j += p as usize;
        }
    }
    sieve.iter().filter(|&&prime| prime).count() as u64
}

/// `primeCount(lo, hi)`: how many primes lie in `[lo, hi)`.
pub fn prime_count(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (lo, hi) = (args.count(0), args.count(1));
    if lo > hi {
        return Err(KernelError::new(format!("lo ({lo}) is above hi ({hi})")));
    }
    let two = u64::from(lo <= 2 && hi > 2);
    // Odd numbers only, from the first odd >= max(lo, 3) to the end (exclusive, made odd).
    let start = lo.max(3) | 1;
    let end = if hi % 2 == 0 { hi + 1 } else { hi };
    if start >= end {
        return Ok(Value::Number(two as f64));
    }
    let primes = odd_primes_up_to(isqrt(end));
    let segments = (end - start).div_ceil(2 * SEGMENT) as usize;
    let counted = parallel::reduce(
        ctx,
        0..segments,
        1,
        &|_, range| {
            let mut sieve = Vec::new();
            range
                .map(|s| {
                    let seg_lo = start + 2 * SEGMENT * s as u64;
                    let seg_hi = (seg_lo + 2 * SEGMENT).min(end);
                    count_odd_segment(seg_lo, seg_hi, &primes, &mut sieve)
                })
                .sum::<u64>()
        },
        &|a, b| a + b,
    )?;
    Ok(Value::Number((two + counted) as f64))
}
