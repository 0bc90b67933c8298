//! Linear algebra over Float64Arrays: `sumOfSquares`, `dot` and `matmul`.

#[cfg(target_arch = "x86_64")]
use crate::gemm;
use crate::parallel;
use crate::simd::{self, Isa};
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};
use std::mem::MaybeUninit;

/// Items below which a reduction piece is not split further: ~20 us of streaming.
const MIN_REDUCE_GRAIN: usize = 1 << 15;

/// Most items in one reduction piece: ~1 ms of streaming, so that a stop request (seen between
/// pieces) is honoured within about that, however long the array.
pub(crate) const MAX_REDUCE_GRAIN: usize = 1 << 20;

/// Partial sums a streaming reduction keeps: four AVX2 vectors (eight SSE2 ones), so several
/// additions are in flight at once. Both instruction sets add the same products into the same
/// lanes in the same order, so they give the same bits.
const LANES: usize = 16;

/// Sums `f(x, y)` over pairs of `LANES` elements of `a` and `b` (of the same length), lane by
/// lane, then the lanes pairwise and the tail. Inlined into each instruction set's version.
#[inline(always)]
fn lanes_sum(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let ((a_chunks, a_tail), (b_chunks, b_tail)) = (a.as_chunks::<LANES>(), b.as_chunks::<LANES>());
    let mut lanes = [0.0f64; LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for k in 0..LANES {
            lanes[k] += f(x[k], y[k]);
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            lanes[k] += lanes[k + width];
        }
    }
    lanes[0]
        + a_tail
            .iter()
            .zip(b_tail)
            .map(|(&x, &y)| f(x, y))
            .sum::<f64>()
}

fn dot_scalar(a: &[f64], b: &[f64]) -> f64 {
    lanes_sum(a, b, |x, y| x * y)
}

/// # Safety
/// The CPU has AVX2 and FMA ([`Isa::Avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f64], b: &[f64]) -> f64 {
    lanes_sum(a, b, |x, y| x * y)
}

fn sum_scalar(a: &[f64]) -> f64 {
    lanes_sum(a, a, |x, _| x)
}

/// # Safety
/// The CPU has AVX2 and FMA ([`Isa::Avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sum_avx2(a: &[f64]) -> f64 {
    lanes_sum(a, a, |x, _| x)
}

/// The plain sum of `a` with the instruction set `isa` (the read rate `limits` measures).
pub(crate) fn sum(isa: Isa, a: &[f64]) -> f64 {
    match isa {
        Isa::Scalar => sum_scalar(a),
        // SAFETY: `Isa::Avx2` is only chosen on a CPU that has it (see `simd`).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { sum_avx2(a) },
    }
}

/// The dot product of one piece, with the instruction set `isa`.
fn dot_piece(isa: Isa, a: &[f64], b: &[f64]) -> f64 {
    match isa {
        Isa::Scalar => dot_scalar(a, b),
        // SAFETY: `Isa::Avx2` is only chosen on a CPU that has it (see `simd`).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { dot_avx2(a, b) },
    }
}

/// `sumOfSquares(data)`: the sum of x² over the array, split over the pool.
pub fn sum_of_squares(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (data, isa) = (args.floats(0), simd::isa());
    let grain = parallel::grain(ctx, data.len(), MIN_REDUCE_GRAIN).min(MAX_REDUCE_GRAIN);
    let sum = parallel::reduce(
        ctx,
        0..data.len(),
        grain,
        &|_, range| {
            let piece = &data[range];
            dot_piece(isa, piece, piece)
        },
        &|a, b| a + b,
    )?;
    Ok(Value::Number(sum))
}

/// `dot(a, b)`: the dot product of two arrays of the same length, split over the pool.
pub fn dot(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (a, b, isa) = (args.floats(0), args.floats(1), simd::isa());
    if a.len() != b.len() {
        return Err(KernelError::new(format!(
            "the arrays differ in length ({} and {})",
            a.len(),
            b.len()
        )));
    }
    let grain = parallel::grain(ctx, a.len(), MIN_REDUCE_GRAIN).min(MAX_REDUCE_GRAIN);
    let sum = parallel::reduce(
        ctx,
        0..a.len(),
        grain,
        &|_, range| dot_piece(isa, &a[range.clone()], &b[range]),
        &|x, y| x + y,
    )?;
    Ok(Value::Number(sum))
}

/// Multiply-adds below which a matmul piece is not split further (~20 us).
const MIN_MATMUL_WORK: usize = 1 << 16;

/// Most multiply-adds in one matmul piece: about 10 ms at 25 GFLOPS, so that a stop request
/// (seen between pieces) is honoured within about that.
const MAX_MATMUL_WORK: usize = 1 << 28;

/// Pieces per worker. matrixmultiply packs all of `b` for each piece (n² copies against m·n²
/// multiply-adds), so pieces are few and large; two per worker still let a worker that is done
/// first take a piece of the other's.
const MATMUL_PIECES_PER_WORKER: usize = 2;

/// Fewest output rows in a matmul piece: enough for [`MIN_MATMUL_WORK`], at n * n
/// multiply-adds per row.
fn min_matmul_rows(n: usize) -> usize {
    MIN_MATMUL_WORK.div_ceil(n.saturating_mul(n).max(1)).max(1)
}

/// Output rows per matmul piece on a pool of `workers`: the whole product on one worker,
/// [`MATMUL_PIECES_PER_WORKER`] pieces per worker on more, within the work bounds above.
fn matmul_rows(n: usize, workers: usize) -> usize {
    let most = (MAX_MATMUL_WORK / n.saturating_mul(n).max(1)).max(1);
    let even = match workers {
        0 | 1 => n,
        w => n.div_ceil(w * MATMUL_PIECES_PER_WORKER),
    };
    even.min(most).max(min_matmul_rows(n))
}

/// `out = a * b` for `out.len() / n` rows of `a` (from its row `first`) and all of `b`, n x n
/// row-major, with matrixmultiply's micro-kernel for this CPU (chosen by it at run time) on
/// the calling thread only: matmul's path without AVX2 and FMA. Writes every element of `out`,
/// which may be uninitialised.
fn gemm_rows(a: &[f64], b: &[f64], n: usize, first: usize, out: &mut [MaybeUninit<f64>]) {
    let m = out.len() / n;
    let a = &a[first * n..(first + m) * n];
    assert!(b.len() == n * n && out.len() == m * n);
    let stride = n as isize;
    // SAFETY: `a` is m x n, `b` n x n and `out` m x n, row-major (row stride n, column
    // stride 1), as the slices' lengths checked above guarantee; `out` is a distinct mutable
    // slice, so it aliases neither input. With beta = 0, `out` is written, not read (the
    // crate's contract: C need not be initialised), so its every element is initialised after.
    unsafe {
        matrixmultiply::dgemm(
            m,
            n,
            n,
            1.0,
            a.as_ptr(),
            stride,
            1,
            b.as_ptr(),
            stride,
            1,
            0.0,
            out.as_mut_ptr().cast(),
            stride,
            1,
        );
    }
}

/// Packed panels of B per piece of a parallel pack: 8 x 16 KiB.
#[cfg(target_arch = "x86_64")]
const PACK_GRAIN_PANELS: usize = 8;

/// `matmul(a, b, n)`: the product of two n x n row-major matrices, as a new Float64Array.
/// Output rows are split over the pool by fork-join (see [`matmul_rows`]), never on threads of
/// the GEMM's own. With AVX2 and FMA, B is packed once (itself split over the pool) and every
/// piece runs our micro-kernel on it ([`gemm`]); otherwise each piece is one call of the
/// `matrixmultiply` crate, which packs B itself.
pub fn matmul(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (a, b, n) = (args.floats(0), args.floats(1), args.count(2));
    let len = output_len(n.checked_mul(n))?;
    for (name, m) in [("a", a), ("b", b)] {
        if m.len() != len {
            return Err(KernelError::new(format!(
                "{name} has {} elements, not {n} x {n} = {len}",
                m.len()
            )));
        }
    }
    let n = n as usize;
    // Uninitialised: both GEMMs write every element (`vec![0.0; len]` cost 0.15-0.2 ms of a
    // 7 ms matmul 512 zeroing memory about to be overwritten). `out` is often fresh memory (a
    // result handed to JavaScript is freed only when collected, so the allocator cannot reuse
    // it at once), and a fresh page read first is mapped to the shared zero page, then copied
    // on the first write. That copy changes a mapping other threads may have cached, so it
    // sends a TLB flush to every core running this process: one per page, which slowed a
    // matmul 256 split over two workers of a VM 2.3x (pieces of 16 rows took 520-660 us
    // instead of 220-260 us). Neither GEMM reads an element before writing it, so each page
    // is mapped once, by the worker that owns its rows.
    let mut out = Vec::with_capacity(len);
    let rows = &mut out.spare_capacity_mut()[..len];
    let grain_rows = matmul_rows(n, ctx.workers());
    match simd::isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => {
            let mut packed = gemm::PackedB::for_packing(n, n);
            for (first, depth, block) in packed.blocks_mut() {
                parallel::for_rows(ctx, block, depth, PACK_GRAIN_PANELS, &|_, p0, panels| {
                    gemm::pack_panels(b, n, first, depth, p0, panels)
                })?;
            }
            parallel::for_rows(ctx, rows, n, grain_rows, &|_, first, rows| {
                // SAFETY: `Isa::Avx2` is only chosen on a CPU with AVX2 and FMA (see `simd`).
                unsafe { gemm::gemm_rows(a, &packed, first, rows) }
            })?;
        }
        Isa::Scalar => parallel::for_rows(ctx, rows, n, grain_rows, &|_, first, rows| {
            gemm_rows(a, b, n, first, rows);
        })?,
    }
    // SAFETY: `for_rows` returned Ok, so every piece ran (a cancelled split returns an error,
    // and then `out` is dropped empty), and each GEMM wrote every element of its rows.
    unsafe { out.set_len(len) };
    Ok(Value::Float64Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doubles in [-50, 50) that vary irregularly enough for sums to round differently.
    fn noise(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| {
                ((i * 7919 + seed * 104_729) % 1009) as f64 / 10.09 - 50.0 + 1e-3 / (i + 1) as f64
            })
            .collect()
    }

    /// The SIMD version adds the same products in the same order: the same bits, for every
    /// length around the lanes' width.
    #[test]
    fn dot_is_the_same_on_every_instruction_set() {
        let (a, b) = (noise(10_007, 1), noise(10_007, 2));
        for len in (0..40).chain([1000, 10_007]) {
            let (a, b) = (&a[..len], &b[..len]);
            let scalar = dot_piece(Isa::Scalar, a, b);
            assert_eq!(
                dot_piece(simd::best(), a, b).to_bits(),
                scalar.to_bits(),
                "len {len}"
            );
            let plain: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            assert!((scalar - plain).abs() <= 1e-9 * plain.abs().max(1.0));
        }
    }

    /// matrixmultiply, split into row pieces of any size, gives the textbook product.
    #[test]
    fn gemm_rows_match_the_textbook_product() {
        for n in [1, 7, 67, 130] {
            let (a, b) = (noise(n * n, 3), noise(n * n, 4));
            let mut out = vec![MaybeUninit::new(f64::NAN); n * n];
            for (p, piece) in out.chunks_mut(5 * n).enumerate() {
                gemm_rows(&a, &b, n, p * 5, piece);
            }
            for i in 0..n {
                for j in 0..n {
                    let e: f64 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
                    // SAFETY: initialised (NaN) before the product.
                    let g = unsafe { out[i * n + j].assume_init() };
                    assert!(
                        (g - e).abs() <= 1e-9 * e.abs().max(1.0),
                        "n {n}: {g} vs {e}"
                    );
                }
            }
        }
    }

    /// The smallest piece holds about MIN_MATMUL_WORK multiply-adds: at least that many (or a
    /// single row), and not a whole row more. A 256 x 256 product (16 M multiply-adds) thus
    /// splits into pieces other workers can take.
    #[test]
    fn smallest_matmul_piece_is_about_min_work() {
        for n in [1, 16, 100, 255, 256, 257, 768, 4096] {
            let rows = min_matmul_rows(n);
            let row_work = n * n;
            assert!(
                rows * row_work >= MIN_MATMUL_WORK || rows == 1,
                "n = {n}: {rows} rows"
            );
            assert!(
                (rows - 1) * row_work < MIN_MATMUL_WORK,
                "n = {n}: {rows} rows"
            );
        }
        assert_eq!(min_matmul_rows(256), 1);
    }

    /// One worker gets the whole product unless it is too big to stop soon; more get about
    /// MATMUL_PIECES_PER_WORKER pieces each.
    #[test]
    fn matmul_pieces_are_few_and_bounded() {
        assert_eq!(matmul_rows(512, 1), 512);
        assert_eq!(matmul_rows(512, 2), 128);
        assert_eq!(matmul_rows(4096, 1), 16);
        assert!(matmul_rows(3, 2) >= 3, "a tiny product is one piece");
    }
}
