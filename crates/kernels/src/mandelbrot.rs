//! `mandelbrot`: escape counts over a rectangle of the complex plane.

use crate::parallel;
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};

/// Largest `maxIter`: one pixel then takes up to ~30 ms.
const MAX_ITER: u64 = 1 << 24;

/// Pixels iterated side by side: their dependency chains interleave, so a core retires several
/// steps per chain latency instead of one.
const LANES: usize = 4;

/// Escape counts of `LANES` pixels of one row. Each lane does exactly the JS twin's arithmetic
/// (no fused multiply-add, same operation order), so counts are bit-identical to it; a lane
/// that escaped keeps computing, but its count is frozen.
fn escape_counts(cr: [f64; LANES], ci: f64, max_iter: u32) -> [u32; LANES] {
    let (mut zr, mut zi) = ([0.0f64; LANES], [0.0f64; LANES]);
    let mut counts = [0u32; LANES];
    let mut active = [true; LANES];
    for _ in 0..max_iter {
        for k in 0..LANES {
            let next_zr = zr[k] * zr[k] - zi[k] * zi[k] + cr[k];
            zi[k] = 2.0 * zr[k] * zi[k] + ci;
            zr[k] = next_zr;
            counts[k] += u32::from(active[k]);
            // NaN (from a lane that escaped long ago) compares false: it stays inactive.
            active[k] = active[k] && zr[k] * zr[k] + zi[k] * zi[k] <= 4.0;
        }
        if active == [false; LANES] {
            break;
        }
    }
    counts
}

/// `mandelbrot(width, height, maxIter, rowStart = 0, rowEnd = height)`: a Uint32Array of
/// `width * (rowEnd - rowStart)` escape counts, row by row, over x in [-2, 1] and y in
/// [-1.5, 1.5]. Pixel (px, py) is the point -2 + (px + 0.5) * 3 / width,
/// -1.5 + (py + 0.5) * 3 / height; its count is the number of steps z -> z² + c, from 0, until
/// |z|² > 4, at most `maxIter`. Rows are split over the pool.
pub fn mandelbrot(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (width, height, max_iter) = (args.count(0), args.count(1), args.count(2));
    let row_start = args.count_or(3, 0);
    let row_end = args.count_or(4, height);
    if !(row_start <= row_end && row_end <= height) {
        return Err(KernelError::new(format!(
            "rows {row_start}..{row_end} are not within 0..{height} (rowStart <= rowEnd <= height)"
        )));
    }
    if max_iter > MAX_ITER {
        return Err(KernelError::new(format!(
            "maxIter {max_iter} is above {MAX_ITER}"
        )));
    }
    let max_iter = max_iter as u32;
    // Look at the cancellation flag after every group of pixels when one can take long.
    let check_pixels = max_iter > 4096;
    let len = output_len(width.checked_mul(row_end - row_start))?;
    let mut counts = vec![0u32; len];
    let (w, h) = (width as f64, height as f64);
    let width = width as usize;
    // Rows are cheap or expensive depending on where they cross the set: split finely.
    let rows = (row_end - row_start) as usize;
    let grain_rows = parallel::grain(ctx, rows, 1);
    let first_row = row_start as usize;
    parallel::for_rows(ctx, &mut counts, width, grain_rows, &|ctx, first, rows| {
        for (r, row) in rows.chunks_exact_mut(width).enumerate() {
            let ci = -1.5 + ((first_row + first + r) as f64 + 0.5) * 3.0 / h;
            for (group, counts) in row.chunks_mut(LANES).enumerate() {
                let cr =
                    std::array::from_fn(|k| -2.0 + ((group * LANES + k) as f64 + 0.5) * 3.0 / w);
                let lanes = escape_counts(cr, ci, max_iter);
                counts.copy_from_slice(&lanes[..counts.len()]);
                if check_pixels && ctx.is_cancelled() {
                    return;
                }
            }
            if ctx.is_cancelled() {
                return;
            }
        }
    })?;
    Ok(Value::Uint32Array(counts))
}
