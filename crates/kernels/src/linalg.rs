//! Linear algebra over Float64Arrays: `sumOfSquares`, `dot` and `matmul`.

use crate::parallel;
use ferris_kernel_sdk::{output_len, Args, Context, KernelError, Value};

/// Items below which a reduction piece is not split further: ~20 us of streaming.
const MIN_REDUCE_GRAIN: usize = 1 << 15;

/// Most items in one reduction piece: ~1 ms of streaming, so that a stop request (seen between
/// pieces) is honoured within about that, however long the array.
pub(crate) const MAX_REDUCE_GRAIN: usize = 1 << 20;

/// Sums `f(i)` over `0..n` in four lanes, so several additions are in flight at once and the
/// loop vectorises.
fn lanes_sum(n: usize, f: impl Fn(usize) -> f64) -> f64 {
    let mut lanes = [0.0f64; 4];
    let whole = n - n % 4;
    for i in (0..whole).step_by(4) {
        for (k, lane) in lanes.iter_mut().enumerate() {
            *lane += f(i + k);
        }
    }
    let tail: f64 = (whole..n).map(&f).sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// `sumOfSquares(data)`: the sum of x² over the array, split over the pool.
pub fn sum_of_squares(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let data = args.floats(0);
    let grain = parallel::grain(ctx, data.len(), MIN_REDUCE_GRAIN).min(MAX_REDUCE_GRAIN);
    let sum = parallel::reduce(
        ctx,
        0..data.len(),
        grain,
        &|_, range| {
            let piece = &data[range];
            lanes_sum(piece.len(), |i| piece[i] * piece[i])
        },
        &|a, b| a + b,
    )?;
    Ok(Value::Number(sum))
}

/// `dot(a, b)`: the dot product of two arrays of the same length, split over the pool.
pub fn dot(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (a, b) = (args.floats(0), args.floats(1));
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
        &|_, range| {
            let (a, b) = (&a[range.clone()], &b[range]);
            lanes_sum(a.len(), |i| a[i] * b[i])
        },
        &|x, y| x + y,
    )?;
    Ok(Value::Number(sum))
}

/// The tile of `b` a piece works through at a time: `K_TILE` rows by `J_TILE` columns, 512 KiB,
/// which every output row of the piece reuses from the core's L2 cache.
const K_TILE: usize = 256;
const J_TILE: usize = 256;

/// Output rows updated together: each element of `b` loaded once serves four rows.
const ROWS: usize = 4;

/// `outs[r][j] += a[row + r][k] * b[k][j]` for k in `ks`, j in `js`, for four consecutive rows
/// from `row`. Every output element adds the same products in the same order as one row at a
/// time would, so results do not depend on how rows are grouped.
fn add_products4(
    outs: [&mut [f64]; ROWS],
    a: &[f64],
    n: usize,
    row: usize,
    b: &[f64],
    js: std::ops::Range<usize>,
    ks: std::ops::Range<usize>,
) {
    let [o0, o1, o2, o3] = outs;
    for k in ks {
        let f = [0, 1, 2, 3].map(|r| a[(row + r) * n + k]);
        let b_part = &b[k * n + js.start..k * n + js.end];
        let lanes = o0
            .iter_mut()
            .zip(o1.iter_mut())
            .zip(o2.iter_mut())
            .zip(o3.iter_mut());
        for ((((x0, x1), x2), x3), x) in lanes.zip(b_part) {
            *x0 += f[0] * x;
            *x1 += f[1] * x;
            *x2 += f[2] * x;
            *x3 += f[3] * x;
        }
    }
}

/// Multiply-adds below which a matmul piece is not split further (~20 us).
const MIN_MATMUL_WORK: usize = 1 << 16;

/// Fewest output rows in a matmul piece: enough for [`MIN_MATMUL_WORK`], at n * n
/// multiply-adds per row.
fn min_matmul_rows(n: usize) -> usize {
    MIN_MATMUL_WORK.div_ceil(n.saturating_mul(n).max(1)).max(1)
}

/// `matmul(a, b, n)`: the product of two n x n row-major matrices, as a new Float64Array.
/// Output rows are split over the pool; each piece walks `b` in tiles (see [`K_TILE`]) and
/// adds `a[i][k] * b[k][j..]` into row i (the i-k-j order, whose inner loop vectorises).
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
    let mut out = vec![0.0f64; len];
    let grain_rows = parallel::grain(ctx, n, min_matmul_rows(n));
    parallel::for_rows(ctx, &mut out, n, grain_rows, &|ctx, first, rows| {
        // Written before the products add into it: `out` is often fresh memory (a result handed
        // to JavaScript is freed only when collected, so the allocator cannot reuse it), and a
        // page read first is mapped to the shared zero page, then copied on the first write.
        // That copy changes a mapping other threads may have cached, so it sends a TLB flush to
        // every core running this process: one per page, which slowed a matmul 256 split over
        // two workers of a VM 2.3x (pieces of 16 rows took 520-660 us instead of 220-260 us).
        // A page written first is mapped once, by the worker that owns its rows.
        rows.fill(0.0);
        for j0 in (0..n).step_by(J_TILE) {
            let j_end = (j0 + J_TILE).min(n);
            for k0 in (0..n).step_by(K_TILE) {
                let k_end = (k0 + K_TILE).min(n);
                for (g, group) in rows.chunks_mut(ROWS * n).enumerate() {
                    if ctx.is_cancelled() {
                        return;
                    }
                    let first_row = first + g * ROWS;
                    if group.len() == ROWS * n {
                        let (r0, rest) = group.split_at_mut(n);
                        let (r1, rest) = rest.split_at_mut(n);
                        let (r2, r3) = rest.split_at_mut(n);
                        let outs = [
                            &mut r0[j0..j_end],
                            &mut r1[j0..j_end],
                            &mut r2[j0..j_end],
                            &mut r3[j0..j_end],
                        ];
                        add_products4(outs, a, n, first_row, b, j0..j_end, k0..k_end);
                    } else {
                        for (r, row) in group.chunks_exact_mut(n).enumerate() {
                            let a_row = &a[(first_row + r) * n..][..n];
                            let out = &mut row[j0..j_end];
                            for k in k0..k_end {
                                let factor = a_row[k];
                                let b_part = &b[k * n + j0..k * n + j_end];
                                for (o, x) in out.iter_mut().zip(b_part) {
                                    *o += factor * x;
                                }
                            }
                        }
                    }
                }
            }
        }
    })?;
    Ok(Value::Float64Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
