//! `mandelbrot`: escape counts over a rectangle of the complex plane.
use ferris_pool::TaskContext;

use crate::args::{output_len, Args, KernelError, Value};
use crate::parallel;

/// Largest `maxIter`: one pixel then takes up to ~30 ms.
const MAX_ITER: u64 = 1 << 24;

/// Escape count of one pixel. The arithmetic is spelled exactly as the JS twin writes it
/// (no fused multiply-add, same operation order), so both give bit-identical counts.
fn escape_count(cr: f64, ci: f64, max_iter: u32) -> u32 {
    let (mut zr, mut zi) = (0.0f64, 0.0f64);
    let mut n = 0;
    while n < max_iter {
        let next_zr = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = next_zr;
        n += 1;
        if zr * zr + zi * zi > 4.0 {
            break;
        }
    }
    n
}

/// `mandelbrot(width, height, maxIter, rowStart = 0, rowEnd = height)`: a Uint32Array of
/// `width * (rowEnd - rowStart)` escape counts, row by row, over x in [-2, 1] and y in
/// [-1.5, 1.5]. Pixel (px, py) is the point -2 + (px + 0.5) * 3 / width,
/// -1.5 + (py + 0.5) * 3 / height; its count is the number of steps z -> z² + c, from 0, until
/// |z|² > 4, at most `maxIter`. Rows are split over the pool.
pub fn mandelbrot(args: &Args<'_>, ctx: &TaskContext<'_>) -> Result<Value, KernelError> {
    let (width, height, max_iter) = (args.count(0), args.count(1), args.count(2));
    let row_start = args.count_or(3, 0);
    let row_end = args.count_or(4, height);
    if !(row_start <= row_end && row_end <= height) {
        return Err(KernelError::new(format!(
            "mandelbrot: rows {row_start}..{row_end} are not within 0..{height} (rowStart <= rowEnd <= height)"
        )));
    }
    if max_iter > MAX_ITER {
        return Err(KernelError::new(format!(
            "mandelbrot: maxIter {max_iter} is above {MAX_ITER}"
        )));
    }
    let max_iter = max_iter as u32;
    // Look at the cancellation flag after every pixel when one pixel can take long.
    let check_pixels = max_iter > 4096;
    let len = output_len("mandelbrot", width.checked_mul(row_end - row_start))?;
    let mut counts = vec![0u32; len];
    let (w, h) = (width as f64, height as f64);
    let width = width as usize;
    // Rows are cheap or expensive depending on where they cross the set: split finely.
    let rows = (row_end - row_start) as usize;
    let grain_rows = parallel::grain(ctx, rows, 1);
    let first_row = row_start as usize;
    parallel::for_rows(
        ctx,
        "mandelbrot",
        &mut counts,
        width,
        grain_rows,
        &|ctx, first, rows| {
            for (r, row) in rows.chunks_exact_mut(width).enumerate() {
                let ci = -1.5 + ((first_row + first + r) as f64 + 0.5) * 3.0 / h;
                for (px, count) in row.iter_mut().enumerate() {
                    let cr = -2.0 + (px as f64 + 0.5) * 3.0 / w;
                    *count = escape_count(cr, ci, max_iter);
                    if check_pixels && ctx.is_cancelled() {
                        return;
                    }
                }
                if ctx.is_cancelled() {
                    return;
                }
            }
        },
    )?;
    Ok(Value::Uint32Array(counts))
}
