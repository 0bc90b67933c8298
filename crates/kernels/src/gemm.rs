//! A packed, cache-blocked product of row-major double matrices with an AVX2/FMA micro-kernel:
//! `matmul`'s engine on CPUs that have both (elsewhere, and with `FERRIS_KERNELS_SCALAR=1`,
//! matmul uses the `matrixmultiply` crate).
//!
//! The blocking is Goto's (as in BLIS and OpenBLAS). `B` is packed once, whole, into panels
//! [`NR`] columns wide and at most [`KC`] deep ([`PackedB`]); the workers then share it. Each
//! piece of output rows packs its own rows of `A`, [`MC`] at a time, into panels [`MR`] rows
//! tall, and the micro-kernel multiplies an MR x KC panel of A by a KC x NR panel of B into an
//! MR x NR tile of C held in twelve of the sixteen vector registers. The B panel (16 KiB) stays
//! in L1 while the micro-kernel walks down the A block (MC x KC, 192 KiB: L2), and a KC-deep
//! slice of packed B stays in L3.
//!
//! Why our own rather than `matrixmultiply`'s: on one core of the benchmark machine (AMD EPYC,
//! Zen 3, FMA peak 51 GFLOPS) its AVX2 kernel reached 35-37 GFLOPS at 256, 512 and 1024, this
//! one 41-43 (measured side by side, quiet machine), numpy's OpenBLAS about 43 at 512. The
//! `gemm` crate measured 28-30 at 512. The products differ from matrixmultiply's only in
//! rounding.
use std::arch::x86_64::*;

/// Rows of a micro-tile (and of a packed A panel).
const MR: usize = 6;
/// Columns of a micro-tile (and of a packed B panel): two AVX2 vectors.
const NR: usize = 8;
/// Depth of a packed block: a KC x NR panel of B is 16 KiB, half of L1.
const KC: usize = 256;
/// Rows of A packed at once: MC x KC is 192 KiB, within the 512 KiB L2 of the benchmark
/// machine's cores (and the 256 KiB of older ones, with some to spare for C).
const MC: usize = 96;

/// One row of a packed B panel: [`NR`] values, a whole cache line, aligned to one (a row that
/// straddled two lines would make one of its two vector loads a split load, every step).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line([f64; NR]);

/// `B` (k x n) packed for the micro-kernel: for each block of [`KC`] rows of B (the last may be
/// shorter), its panels of [`NR`] columns in order, each `depth` [`Line`]s, the columns past `n`
/// zero.
pub(crate) struct PackedB {
    data: Vec<Line>,
    k: usize,
    n: usize,
}

impl PackedB {
    /// Room for the k x n matrix `b` packed, to fill with [`PackedB::blocks_mut`] and
    /// [`pack_panels`].
    pub fn zeroed(k: usize, n: usize) -> Self {
        PackedB {
            data: vec![Line([0.0; NR]); k * n.div_ceil(NR)],
            k,
            n,
        }
    }

    /// Packs the k x n row-major matrix `b` (row stride `n`) on this thread.
    #[cfg(test)]
    pub fn new(b: &[f64], k: usize, n: usize) -> Self {
        let mut packed = PackedB::zeroed(k, n);
        for (first, depth, panels) in packed.blocks_mut() {
            pack_panels(b, n, first, depth, 0, panels);
        }
        packed
    }

    /// Each block of B as `(its first row, its depth, its panels)`: the panels are `depth`
    /// lines each, for [`pack_panels`] to fill, in parallel if need be.
    pub fn blocks_mut(&mut self) -> impl Iterator<Item = (usize, usize, &mut [Line])> {
        let (k, panels) = (self.k, self.n.div_ceil(NR));
        let mut rest = &mut self.data[..];
        (0..k).step_by(KC).map(move |first| {
            let depth = KC.min(k - first);
            let (block, tail) = std::mem::take(&mut rest).split_at_mut(depth * panels);
            rest = tail;
            (first, depth, block)
        })
    }

    /// Panel `panel` of the block starting at row `first` of B, `depth` deep.
    fn panel(&self, first: usize, depth: usize, panel: usize) -> &[Line] {
        let panels = self.n.div_ceil(NR);
        let start = first * panels + panel * depth;
        &self.data[start..start + depth]
    }
}

/// Packs the panels of B (k x n, row-major, row stride `n`) that `out` holds, the first being
/// panel `first_panel` of the block of `depth` rows from row `first` (see [`PackedB`]).
pub(crate) fn pack_panels(
    b: &[f64],
    n: usize,
    first: usize,
    depth: usize,
    first_panel: usize,
    out: &mut [Line],
) {
    for (panel, out) in out.chunks_exact_mut(depth).enumerate() {
        let col = (first_panel + panel) * NR;
        let width = NR.min(n - col);
        for (p, Line(row)) in out.iter_mut().enumerate() {
            let from = (first + p) * n + col;
            row[..width].copy_from_slice(&b[from..from + width]);
        }
    }
}

/// Packs rows `rows` x columns `[first, first + depth)` of the row-major `a` (row stride `lda`)
/// into `out`: panels of [`MR`] rows, each `depth` x MR column-major (the MR values of one
/// column of A together), rows past the end zero.
fn pack_a(
    a: &[f64],
    lda: usize,
    rows: std::ops::Range<usize>,
    first: usize,
    depth: usize,
    out: &mut Vec<f64>,
) {
    let panels = rows.len().div_ceil(MR);
    out.clear();
    out.resize(panels * depth * MR, 0.0);
    for (panel, dst) in out.chunks_exact_mut(depth * MR).enumerate() {
        let top = rows.start + panel * MR;
        for i in 0..MR.min(rows.end - top) {
            let src = &a[(top + i) * lda + first..][..depth];
            for (p, &x) in src.iter().enumerate() {
                dst[p * MR + i] = x;
            }
        }
    }
}

/// `c += a * b` for `c`, `out.len() / n` rows of the m x n product whose first row is row
/// `first` of `a` (m x k, row-major, row stride k), with B packed. Adds into `c`: the caller
/// zeroes it first.
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn gemm_rows(a: &[f64], b: &PackedB, first: usize, c: &mut [f64]) {
    let (k, n) = (b.k, b.n);
    if n == 0 {
        return;
    }
    let m = c.len() / n;
    assert!(
        c.len() == m * n && a.len() >= (first + m) * k,
        "a or c is too short"
    );
    let panels = n.div_ceil(NR);
    let mut packed_a = Vec::with_capacity(MC * KC);
    for kb in (0..k).step_by(KC) {
        let depth = KC.min(k - kb);
        for top in (0..m).step_by(MC) {
            let rows = MC.min(m - top);
            pack_a(
                a,
                k,
                first + top..first + top + rows,
                kb,
                depth,
                &mut packed_a,
            );
            for panel in 0..panels {
                let (col, b_panel) = (panel * NR, b.panel(kb, depth, panel));
                let cols = NR.min(n - col);
                for (t, a_panel) in packed_a.chunks_exact(depth * MR).enumerate() {
                    let row = top + t * MR;
                    let tile = TileOut {
                        c: &mut c[row * n + col..],
                        ldc: n,
                        rows: MR.min(m - row),
                        cols,
                    };
                    // SAFETY: the caller guarantees AVX2 and FMA; both panels are `depth` deep.
                    unsafe { micro_kernel(depth, a_panel, b_panel, tile) };
                }
            }
        }
    }
}

/// Where a micro-tile goes: `rows` x `cols` (at most MR x NR) of `c`, row stride `ldc`.
struct TileOut<'a> {
    c: &'a mut [f64],
    ldc: usize,
    rows: usize,
    cols: usize,
}

/// `tile += a_panel * b_panel`, both `depth` deep and packed (see [`pack_a`], [`PackedB`]).
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn micro_kernel(depth: usize, a_panel: &[f64], b_panel: &[Line], tile: TileOut<'_>) {
    assert!(a_panel.len() == depth * MR && b_panel.len() == depth);
    let TileOut { c, ldc, rows, cols } = tile;
    for i in 0..rows {
        // A hint only: the tile's rows of C, read at the end, start coming into cache now.
        _mm_prefetch::<_MM_HINT_T0>(c[i * ldc..].as_ptr().cast());
    }
    let mut acc = [[_mm256_setzero_pd(); 2]; MR];
    let (a, b) = (a_panel.as_ptr(), b_panel.as_ptr().cast::<f64>());
    let step = |acc: &mut [[__m256d; 2]; MR], p: usize| {
        // SAFETY: p < depth, so the NR values of B at p * NR (line p, aligned to 64 bytes as
        // the aligned loads need) and the MR values of A at p * MR are within the panels,
        // whose lengths were checked above.
        unsafe {
            let b0 = _mm256_load_pd(b.add(p * NR));
            let b1 = _mm256_load_pd(b.add(p * NR + 4));
            for (i, row) in acc.iter_mut().enumerate() {
                let x = _mm256_broadcast_sd(&*a.add(p * MR + i));
                row[0] = _mm256_fmadd_pd(x, b0, row[0]);
                row[1] = _mm256_fmadd_pd(x, b1, row[1]);
            }
        }
    };
    // Four steps per iteration: fewer loop instructions among the loads and FMAs.
    let mut p = 0;
    while p + 4 <= depth {
        step(&mut acc, p);
        step(&mut acc, p + 1);
        step(&mut acc, p + 2);
        step(&mut acc, p + 3);
        p += 4;
    }
    for p in p..depth {
        step(&mut acc, p);
    }
    if cols == NR {
        for (i, row) in acc.iter().enumerate().take(rows) {
            let out = &mut c[i * ldc..i * ldc + NR];
            let p = out.as_mut_ptr();
            // SAFETY: `out` holds NR = 8 values: two vectors.
            unsafe {
                _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), row[0]));
                _mm256_storeu_pd(p.add(4), _mm256_add_pd(_mm256_loadu_pd(p.add(4)), row[1]));
            }
        }
    } else {
        let mut spill = [0.0f64; NR];
        for (i, row) in acc.iter().enumerate().take(rows) {
            // SAFETY: `spill` holds NR = 8 values: two vectors.
            unsafe {
                _mm256_storeu_pd(spill.as_mut_ptr(), row[0]);
                _mm256_storeu_pd(spill.as_mut_ptr().add(4), row[1]);
            }
            for (out, x) in c[i * ldc..i * ldc + cols].iter_mut().zip(spill) {
                *out += x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7919 + seed * 104_729) % 1009) as f64 / 10.09 - 50.0)
            .collect()
    }

    /// Every edge case of the blocking (sizes around MR, NR, KC and MC, pieces of rows that
    /// start mid-panel) against the textbook product.
    #[test]
    fn matches_the_textbook_product() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            return;
        }
        for n in [1, 5, 6, 7, 8, 9, 13, 97, 255, 257, 300] {
            let (a, b) = (noise(n * n, 1), noise(n * n, 2));
            let packed = PackedB::new(&b, n, n);
            let mut c = vec![0.0; n * n];
            let piece = 7.max(n / 3);
            for (p, rows) in c.chunks_mut(piece * n).enumerate() {
                // SAFETY: checked above that the CPU has AVX2 and FMA.
                unsafe { gemm_rows(&a, &packed, p * piece, rows) };
            }
            for i in 0..n {
                for j in 0..n {
                    let e: f64 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
                    let g = c[i * n + j];
                    assert!(
                        (g - e).abs() <= 1e-9 * e.abs().max(1.0),
                        "n {n} ({i}, {j}): {g} vs {e}"
                    );
                }
            }
        }
    }
}
