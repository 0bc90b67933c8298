//! `scale(data, factor)`, in a file of its own: the addon compiles this same file in as the
//! built-in `testing.scale`, so that the benchmark compares one loop loaded both ways.
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};

/// Fewest doubles per piece: below this, forking costs more than the loop (~1 ns per element
/// against ~1 us to hand a piece to another worker).
const MIN_GRAIN: usize = 1 << 14;

/// `scale(data, factor)`: a new Float64Array of `data[i] * factor`, split over the pool.
pub fn scale(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (data, factor) = (args.floats(0), args.number(1));
    let mut out = vec![0.0; output_len(Some(data.len() as u64))?];
    let grain = (data.len() / (ctx.workers() * 8)).max(MIN_GRAIN);
    ctx.for_each_chunk_mut(&mut out, grain, &|_, first, chunk| {
        for (y, x) in chunk.iter_mut().zip(&data[first..]) {
            *y = x * factor;
        }
    })?;
    Ok(Value::Float64Array(out))
}
