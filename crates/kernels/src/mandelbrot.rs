//! `mandelbrot`: escape counts over a rectangle of the complex plane.

use crate::parallel;
use crate::simd::{self, Isa};
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};

/// Largest `maxIter`: one pixel then takes up to ~30 ms.
const MAX_ITER: u64 = 1 << 24;

/// Pixels between two looks at the cancellation flag when `maxIter` is large (a multiple of
/// every version's group of pixels).
const PIXEL_CHUNK: usize = 16;

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

/// Escape counts of the pixels at `cr` (one row, at `ci`) into `counts`, [`LANES`] pixels at a
/// time.
fn row_scalar(cr: impl Fn(usize) -> f64, ci: f64, max_iter: u32, counts: &mut [u32]) {
    for (group, counts) in counts.chunks_mut(LANES).enumerate() {
        let lanes = escape_counts(std::array::from_fn(|k| cr(group * LANES + k)), ci, max_iter);
        counts.copy_from_slice(&lanes[..counts.len()]);
    }
}

/// The AVX2 version: [`avx2::PIXELS`] pixels at a time in four-double vectors, each lane doing
/// the scalar path's operations in its order (no fused multiply-add), so counts are the same.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Vectors iterated side by side: one step is a chain of about 15 cycles of dependent
    /// multiplies and adds, and four independent chains keep the floating-point units busy.
    const VECTORS: usize = 4;
    /// Pixels per group.
    pub const PIXELS: usize = VECTORS * 4;

    /// As `escape_counts`, for [`PIXELS`] pixels.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn escape_counts(cr: &[f64; PIXELS], ci: f64, max_iter: u32) -> [u32; PIXELS] {
        let (two, four, ci) = (_mm256_set1_pd(2.0), _mm256_set1_pd(4.0), _mm256_set1_pd(ci));
        let mut c = [_mm256_setzero_pd(); VECTORS];
        for (v, c) in c.iter_mut().enumerate() {
            // SAFETY: `cr` holds PIXELS = VECTORS * 4 doubles; unaligned loads are allowed.
            *c = unsafe { _mm256_loadu_pd(cr.as_ptr().add(v * 4)) };
        }
        let zero = _mm256_setzero_pd();
        let (mut zr, mut zi) = ([zero; VECTORS], [zero; VECTORS]);
        // z² of the last step: the scalar path squares zr and zi again at the next step, to the
        // same bits, so keeping them changes no result.
        let (mut zr2, mut zi2) = ([zero; VECTORS], [zero; VECTORS]);
        // All ones in a lane still iterating; counts go up by subtracting it (-1).
        let mut active = [_mm256_castpd_si256(_mm256_cmp_pd::<_CMP_EQ_OQ>(zero, zero)); VECTORS];
        let mut counts = [_mm256_setzero_si256(); VECTORS];
        for _ in 0..max_iter {
            let mut any = _mm256_setzero_si256();
            for v in 0..VECTORS {
                let next_zr = _mm256_add_pd(_mm256_sub_pd(zr2[v], zi2[v]), c[v]);
                zi[v] = _mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(two, zr[v]), zi[v]), ci);
                zr[v] = next_zr;
                counts[v] = _mm256_sub_epi64(counts[v], active[v]);
                zr2[v] = _mm256_mul_pd(zr[v], zr[v]);
                zi2[v] = _mm256_mul_pd(zi[v], zi[v]);
                // Ordered compare: NaN (a lane that escaped long ago) stays inactive.
                let inside = _mm256_cmp_pd::<_CMP_LE_OQ>(_mm256_add_pd(zr2[v], zi2[v]), four);
                active[v] = _mm256_and_si256(active[v], _mm256_castpd_si256(inside));
                any = _mm256_or_si256(any, active[v]);
            }
            if _mm256_testz_si256(any, any) != 0 {
                break;
            }
        }
        let mut out = [0u32; PIXELS];
        for (v, counts) in counts.iter().enumerate() {
            let mut lanes = [0u64; 4];
            // SAFETY: `lanes` holds four u64, the vector's width; unaligned stores are allowed.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), *counts) };
            for (k, &count) in lanes.iter().enumerate() {
                out[v * 4 + k] = count as u32;
            }
        }
        out
    }

    /// As `row_scalar`.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn row(cr: impl Fn(usize) -> f64, ci: f64, max_iter: u32, counts: &mut [u32]) {
        for (group, counts) in counts.chunks_mut(PIXELS).enumerate() {
            let xs = std::array::from_fn(|k| cr(group * PIXELS + k));
            // SAFETY: the caller vouches for AVX2.
            let lanes = unsafe { escape_counts(&xs, ci, max_iter) };
            counts.copy_from_slice(&lanes[..counts.len()]);
        }
    }
}

/// Escape counts of one row with the instruction set `isa`.
fn row(isa: Isa, cr: impl Fn(usize) -> f64, ci: f64, max_iter: u32, counts: &mut [u32]) {
    match isa {
        Isa::Scalar => row_scalar(cr, ci, max_iter, counts),
        // SAFETY: `Isa::Avx2` is only chosen on a CPU that has it (see `simd`).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::row(cr, ci, max_iter, counts) },
    }
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
    let (max_iter, isa) = (max_iter as u32, simd::isa());
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
        for (r, counts) in rows.chunks_exact_mut(width).enumerate() {
            let ci = -1.5 + ((first_row + first + r) as f64 + 0.5) * 3.0 / h;
            let cr = |px: usize| -2.0 + (px as f64 + 0.5) * 3.0 / w;
            if check_pixels {
                // One pixel may take long: a chunk of pixels at a time, looking at the flag
                // after each.
                for (chunk, counts) in counts.chunks_mut(PIXEL_CHUNK).enumerate() {
                    row(isa, |k| cr(chunk * PIXEL_CHUNK + k), ci, max_iter, counts);
                    if ctx.is_cancelled() {
                        return;
                    }
                }
            } else {
                row(isa, cr, ci, max_iter, counts);
            }
            if ctx.is_cancelled() {
                return;
            }
        }
    })?;
    Ok(Value::Uint32Array(counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd;

    /// Every pixel's count is the same on both paths, with rows whose width is not a multiple
    /// of either group, and counts from 1 to maxIter.
    #[test]
    fn escape_counts_are_the_same_on_every_instruction_set() {
        let (width, height, max_iter) = (251usize, 151usize, 1000u32);
        let cr = |px: usize| -2.0 + (px as f64 + 0.5) * 3.0 / width as f64;
        let mut seen = std::collections::BTreeSet::new();
        for py in 0..height {
            let ci = -1.5 + (py as f64 + 0.5) * 3.0 / height as f64;
            let (mut scalar, mut best) = (vec![0; width], vec![0; width]);
            row(Isa::Scalar, cr, ci, max_iter, &mut scalar);
            row(simd::best(), cr, ci, max_iter, &mut best);
            assert_eq!(scalar, best, "row {py}");
            seen.extend(scalar);
        }
        assert!(seen.contains(&1) && seen.contains(&max_iter) && seen.len() > 50);
    }
}
