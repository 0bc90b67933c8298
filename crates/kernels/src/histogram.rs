//! `histogram`: counts of values per equal-width bin.

use crate::linalg::MAX_REDUCE_GRAIN;
use crate::parallel;
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};

/// Most bins: 2^24 (each piece of the split keeps its own counts).
const MAX_BINS: u64 = 1 << 24;

/// `histogram(data, bins, min, max)`: a Uint32Array of `bins` counts. Value x goes to bin
/// `floor((x - min) / (max - min) * bins)`, and x = max to the last bin; values outside
/// [min, max] and NaN are dropped. Pieces of the data are counted in parallel and summed.
pub fn histogram(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let data = args.floats(0);
    let (bins, min, max) = (args.count(1), args.number(2), args.number(3));
    if bins == 0 || bins > MAX_BINS {
        return Err(KernelError::new(format!(
            "bins must be from 1 to 2^24, got {bins}"
        )));
    }
    if min >= max || !(max - min).is_finite() {
        return Err(KernelError::new(format!(
            "min ({min}) must be below max ({max}), with a finite width"
        )));
    }
    let bins = output_len(Some(bins))?;
    let (width, scale) = (max - min, bins as f64);
    // Each piece allocates `bins` counters: keep pieces at least as long as that, and short
    // enough (see MAX_REDUCE_GRAIN) to see a stop request soon.
    let grain =
        parallel::grain(ctx, data.len(), (1 << 15).max(bins)).min(MAX_REDUCE_GRAIN.max(bins));
    let counts = parallel::reduce(
        ctx,
        0..data.len(),
        grain,
        &|_, range| {
            let mut counts = vec![0u32; bins];
            for &x in &data[range] {
                if x >= min && x <= max {
                    let bin = ((x - min) / width * scale) as usize;
                    counts[bin.min(bins - 1)] += 1;
                }
            }
            counts
        },
        &|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
            a
        },
    )?;
    Ok(Value::Uint32Array(counts))
}
