//! `sort`: a parallel merge sort of doubles, forking and joining on the executor's pool.
use std::cmp::Ordering;

use ferris_pool::TaskContext;

use crate::args::{cancelled, Args, KernelError, Value};

/// Ascending, NaN last, -0 before +0: the order of `Float64Array.prototype.sort`.
pub fn compare(a: &f64, b: &f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.total_cmp(b),
        (a_nan, b_nan) => a_nan.cmp(&b_nan),
    }
}

/// Below this many elements a merge runs on one thread, and a piece is never split further.
const SEQUENTIAL: usize = 1 << 14;

/// Runs a piece of `grain` elements or fewer is sorted by one thread with `sort_unstable_by`
/// (pattern-defeating quicksort): fewer, longer runs mean fewer merge passes over memory.
fn sort_grain(ctx: &TaskContext<'_>, len: usize) -> usize {
    (len / (ctx.workers() * 4)).max(SEQUENTIAL)
}

/// Sorts `data`, with `scratch` (same length) as merge space; the sorted run ends up in
/// `scratch` if `into_scratch`, else in `data`. The two buffers swap roles at each level (the
/// halves are sorted into the buffer the merge reads from), so no level copies back.
fn merge_sort(
    ctx: &TaskContext<'_>,
    data: &mut [f64],
    scratch: &mut [f64],
    into_scratch: bool,
    grain: usize,
) {
    if data.len() <= grain {
        data.sort_unstable_by(compare);
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
    // Sort each half into the buffer we are *not* merging into, then merge across.
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
fn merge(ctx: &TaskContext<'_>, a: &[f64], b: &[f64], out: &mut [f64]) {
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
        short.partition_point(|x| compare(x, pivot) == Ordering::Less)
    } else {
        short.partition_point(|x| compare(x, pivot) != Ordering::Greater)
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

fn merge_sequential(a: &[f64], b: &[f64], out: &mut [f64]) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        let take_a = j == b.len() || (i < a.len() && compare(&b[j], &a[i]) != Ordering::Less);
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
pub fn sort(args: &Args<'_>, ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
    let mut sorted = args.floats(0).to_vec();
    let mut scratch = vec![0.0f64; sorted.len()];
    let grain = sort_grain(ctx, sorted.len());
    merge_sort(ctx, &mut sorted, &mut scratch, false, grain);
    if ctx.is_cancelled() {
        return Err(cancelled("sort"));
    }
    Ok(Value::Float64Array(sorted))
}
