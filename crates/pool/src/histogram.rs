//! A small log-linear histogram of durations in nanoseconds.
//!
//! Each power of two is split into `SUB` linear buckets, so a percentile is off by at most
//! 1/SUB (6 %). 48 powers reach 78 hours in 3 KiB; every worker keeps two, which is why this
//! is not `hdrhistogram` (tens of KiB per histogram at useful precision, and no lock-free
//! single-writer form).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};

const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
const POWERS: usize = 48;
const BUCKETS: usize = POWERS * SUB;

#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u32; BUCKETS]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let power = 63 - ns.leading_zeros(); // >= SUB_BITS
    let sub = (ns >> (power - SUB_BITS)) as usize & (SUB - 1);
    (((power - SUB_BITS + 1) as usize) * SUB + sub).min(BUCKETS - 1)
}

/// Smallest value that falls in `bucket`.
fn lower_bound(bucket: usize) -> u64 {
    if bucket < SUB {
        return bucket as u64;
    }
    let power = (bucket / SUB) as u32 + SUB_BITS - 1;
    let sub = (bucket % SUB) as u64;
    (1u64 << power) + (sub << (power - SUB_BITS))
}

/// Percentiles and extremes of a histogram, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    /// Sum of all recorded durations.
    pub total: u128,
}

impl Histogram {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn percentile(&self, fraction: f64) -> u64 {
        let rank = ((self.count as f64) * fraction).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                // Report the bucket's midpoint, clamped to what was really seen.
                let low = lower_bound(bucket);
                let high = lower_bound(bucket + 1).saturating_sub(1).max(low);
                return (low + (high - low) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }

    pub fn summary(&self) -> Summary {
        // A read racing the writer of an `AtomicHistogram` can see a count without its
        // min and max yet: report nothing rather than an inverted range.
        if self.is_empty() || self.min > self.max {
            return Summary::default();
        }
        Summary {
            count: self.count,
            min: self.min,
            mean: self.sum as f64 / self.count as f64,
            p50: self.percentile(0.50),
            p90: self.percentile(0.90),
            p99: self.percentile(0.99),
            max: self.max,
            total: self.sum,
        }
    }
}

/// A [`Histogram`] with one writer and any number of readers: the writer updates each field
/// with a plain load and store (see `stats.rs`), readers copy it out. A reader racing the
/// writer may see one sample counted in some fields and not yet in others.
pub(crate) struct AtomicHistogram {
    counts: Box<[AtomicU32]>,
    count: AtomicU64,
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

impl Default for AtomicHistogram {
    fn default() -> Self {
        AtomicHistogram {
            counts: (0..BUCKETS).map(|_| AtomicU32::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
        }
    }
}

impl AtomicHistogram {
    /// Records one value. Only the histogram's single writer may call this.
    pub fn record(&self, ns: u64) {
        let bucket = &self.counts[bucket_of(ns)];
        bucket.store(bucket.load(Relaxed).saturating_add(1), Relaxed);
        self.count.store(self.count.load(Relaxed) + 1, Relaxed);
        self.sum
            .store(self.sum.load(Relaxed).saturating_add(ns), Relaxed);
        if ns < self.min.load(Relaxed) {
            self.min.store(ns, Relaxed);
        }
        if ns > self.max.load(Relaxed) {
            self.max.store(ns, Relaxed);
        }
    }

    /// Adds what has been recorded so far to `total`. Racing the writer, it may see one
    /// sample only partly (see [`Histogram::summary`]).
    pub fn add_to(&self, total: &mut Histogram) {
        let count = self.count.load(Relaxed);
        if count == 0 {
            return;
        }
        for (mine, theirs) in total.counts.iter_mut().zip(self.counts.iter()) {
            *mine = mine.saturating_add(theirs.load(Relaxed));
        }
        total.count += count;
        total.sum += u128::from(self.sum.load(Relaxed));
        total.min = total.min.min(self.min.load(Relaxed));
        total.max = total.max.max(self.max.load(Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_bounds_invert_them() {
        let mut last = 0;
        for ns in (0..100_000u64).chain([1 << 40, u64::MAX / 2]) {
            let b = bucket_of(ns);
            assert!(b >= last, "bucket of {ns} went backwards");
            last = b;
            if b < BUCKETS - 1 {
                assert!(
                    lower_bound(b) <= ns && ns < lower_bound(b + 1),
                    "{ns} outside bucket {b}"
                );
            }
        }
    }

    fn recorded(values: impl IntoIterator<Item = u64>) -> Histogram {
        let atomic = AtomicHistogram::default();
        for ns in values {
            atomic.record(ns);
        }
        let mut h = Histogram::default();
        atomic.add_to(&mut h);
        h
    }

    #[test]
    fn percentiles_are_within_bucket_precision() {
        let s = recorded((1..=10_000u64).map(|ns| ns * 1000)).summary();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.min, 1000);
        assert_eq!(s.max, 10_000_000);
        for (got, want) in [
            (s.p50, 5_000_000.0),
            (s.p90, 9_000_000.0),
            (s.p99, 9_900_000.0),
        ] {
            let err = (got as f64 - want).abs() / want;
            assert!(err < 1.0 / SUB as f64, "got {got}, want about {want}");
        }
        assert!((s.mean - 5_000_500.0).abs() < 1.0);
    }

    #[test]
    fn a_torn_read_gives_an_empty_summary_not_a_panic() {
        let torn = Histogram {
            count: 1,
            ..Histogram::default()
        };
        assert_eq!(torn.summary(), Summary::default());
    }

    #[test]
    fn shards_add_up() {
        let mut total = recorded([10]);
        let other = AtomicHistogram::default();
        other.record(1_000_000);
        other.add_to(&mut total);
        let s = total.summary();
        assert_eq!((s.count, s.min, s.max), (2, 10, 1_000_000));
        assert_eq!(Histogram::default().summary(), Summary::default());
    }
}
