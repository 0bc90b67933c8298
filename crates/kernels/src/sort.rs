//! `sort`: a parallel merge sort of doubles, forking and joining on the executor's pool.
//!
//! Doubles are sorted as integer keys that order the same way: integer comparisons are
//! cheaper than the NaN-aware float comparison, both in the runs' quicksort and in the merges.
use std::cmp::Ordering;

use ferris_kernel_sdk::{cancelled, Args, Context, KernelError, Value};

/// Ascending, NaN last, -0 before +0: the order of `Float64Array.prototype.sort`.
pub fn compare(a: &f64, b: &f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.total_cmp(b),
        (a_nan, b_nan) => a_nan.cmp(&b_nan),
    }
}

const SIGN: u64 = 1 << 63;

/// An integer that orders as [`compare`] orders doubles: negative numbers have their bits
/// flipped (so larger magnitudes come first), positive ones their sign bit set, and every NaN
/// becomes the largest key.
fn key(x: f64) -> u64 {
    if x.is_nan() {
        return u64::MAX;
    }
    let bits = x.to_bits();
    if bits & SIGN != 0 {
        !bits
    } else {
        bits | SIGN
    }
}

/// The double of a key (a NaN comes back as one canonical NaN).
fn value(key: u64) -> f64 {
    f64::from_bits(if key & SIGN != 0 { key & !SIGN } else { !key })
}

/// Below this many elements a merge runs on one thread, and a piece is never split further.
const SEQUENTIAL: usize = 1 << 14;

/// Pieces of `grain` elements or fewer are sorted by one thread with `sort_unstable`
/// (pattern-defeating quicksort): fewer, longer runs mean fewer merge passes over memory.
fn sort_grain(ctx: &Context<'_>, len: usize) -> usize {
    (len / (ctx.workers() * 4)).max(SEQUENTIAL)
}

/// Sorts `data`, with `scratch` (same length) as merge space; the sorted run ends up in
/// `scratch` if `into_scratch`, else in `data`. The two buffers swap roles at each level (the
/// halves are sorted into the buffer the merge reads from), so no level copies back.
fn merge_sort<T: Ord + Copy + Send + Sync>(
    ctx: &Context<'_>,
    data: &mut [T],
    scratch: &mut [T],
    into_scratch: bool,
    grain: usize,
) {
    if data.len() <= grain {
        data.sort_unstable();
        if into_scratch {
            scratch.copy_from_slice(data);
        }
        return;
    }
    if ctx.is_cancelled() {
        return;
    }
    let mid = data.len() / 2;
    let (data_left, data_right) = data.split_at_mut(mid);
    let (scratch_left, scratch_right) = scratch.split_at_mut(mid);
    ctx.join(
        |ctx| merge_sort(ctx, data_left, scratch_left, !into_scratch, grain),
        |ctx| merge_sort(ctx, data_right, scratch_right, !into_scratch, grain),
    );
    let (from, to) = if into_scratch {
        (&*data, scratch)
    } else {
        (&*scratch, data)
    };
    let (left, right) = from.split_at(mid);
    merge(ctx, left, right, to);
}

/// Merges the sorted `a` and `b` into `out` (of their combined length), splitting big merges:
/// the middle element of the longer run cuts both runs, and the two halves merge in parallel.
fn merge<T: Ord + Copy + Send + Sync>(ctx: &Context<'_>, a: &[T], b: &[T], out: &mut [T]) {
    if a.len() + b.len() <= SEQUENTIAL {
        return merge_sequential(a, b, out);
    }
    let (long, short, long_first) = if a.len() >= b.len() {
        (a, b, true)
    } else {
        (b, a, false)
    };
    let cut = long.len() / 2;
    let pivot = &long[cut];
    // Keep equal elements of `a` before those of `b`: `a` splits before its equals, `b` after.
    let short_cut = if long_first {
        short.partition_point(|x| x < pivot)
    } else {
        short.partition_point(|x| x <= pivot)
    };
    let (long_lo, long_hi) = long.split_at(cut);
    let (short_lo, short_hi) = short.split_at(short_cut);
    let (out_lo, out_hi) = out.split_at_mut(cut + short_cut);
    let (a_lo, b_lo, a_hi, b_hi) = if long_first {
        (long_lo, short_lo, long_hi, short_hi)
    } else {
        (short_lo, long_lo, short_hi, long_hi)
    };
    ctx.join(
        |ctx| merge(ctx, a_lo, b_lo, out_lo),
        |ctx| merge(ctx, a_hi, b_hi, out_hi),
    );
}

fn merge_sequential<T: Ord + Copy>(a: &[T], b: &[T], out: &mut [T]) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        let take_a = j == b.len() || (i < a.len() && a[i] <= b[j]);
        if take_a {
            *slot = a[i];
            i += 1;
        } else {
            *slot = b[j];
            j += 1;
        }
    }
}

/// `sort(data)`: a sorted copy of `data` (ascending, NaN last), sorted by a merge sort whose
/// halves, and whose big merges, are split over the pool.
pub fn sort(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let mut keys: Vec<u64> = args.floats(0).iter().map(|&x| key(x)).collect();
    let mut scratch = vec![0u64; keys.len()];
    let grain = sort_grain(ctx, keys.len());
    merge_sort(ctx, &mut keys, &mut scratch, false, grain);
    if ctx.is_cancelled() {
        return Err(cancelled());
    }
    // Same size and alignment: the collect reuses the keys' allocation.
    Ok(Value::Float64Array(keys.into_iter().map(value).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_like_compare_and_round_trip() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ];
        for (i, a) in values.iter().enumerate() {
            for b in &values[i..] {
                assert_eq!(key(*a).cmp(&key(*b)), compare(a, b), "{a} vs {b}");
            }
            assert!(
                value(key(*a)).to_bits() == a.to_bits() || a.is_nan() && value(key(*a)).is_nan()
            );
        }
        assert_eq!(key(-f64::NAN), u64::MAX);
    }
}
