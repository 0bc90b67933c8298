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
//! Memory, as OpenBLAS does it: the packing buffers are kept per worker thread and reused by
//! the next product ([`Spare`]), so packing writes memory that is already mapped and cached
//! rather than faulting in fresh pages (a fresh 2 MiB `PackedB` cost about 0.2 ms of page
//! faults and zeroing per matmul 512, 3 % of the product). The first block of depth stores
//! its tiles of C rather than adding to them, so C needs no zeroing first, and a fresh page
//! of C is first written, never read (see `linalg::matmul` for why that matters).
//!
//! Why our own rather than `matrixmultiply`'s: on one core of the benchmark machine (AMD EPYC,
//! Zen 3, FMA peak 51 GFLOPS) its AVX2 kernel reached 35-37 GFLOPS at 256, 512 and 1024, this
//! one 41-43 (measured side by side, quiet machine), numpy's OpenBLAS about 43 at 512. The
//! `gemm` crate measured 28-30 at 512. The products differ from matrixmultiply's only in
//! rounding.
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

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

/// Largest packing buffer a worker keeps for the next product: a `PackedB` of a 724 x 724
/// matrix. Packing a larger one costs a smaller share of its product (O(n²) against O(n³)),
/// and an idle pool should not hold much memory.
const SPARE_BYTES: usize = 4 << 20;

/// A buffer kept by each worker thread between products (see the module's doc). Taken, not
/// borrowed, while in use: a product that starts on a thread whose spare is out (none does
/// today: a worker waiting on a fork-join never starts another task) allocates its own.
struct Spare<T: 'static>(&'static std::thread::LocalKey<std::cell::Cell<Vec<T>>>);

impl<T: Clone> Spare<T> {
    /// This thread's spare (or a new buffer), as the last user left it, with room for `len`
    /// elements.
    fn take(&self, len: usize) -> Vec<T> {
        let mut buffer = self.0.take();
        buffer.reserve(len.saturating_sub(buffer.len()));
        buffer
    }

    /// Gives `buffer` back to this thread, unless it is larger than [`SPARE_BYTES`].
    fn keep(&self, buffer: Vec<T>) {
        if buffer.capacity() * size_of::<T>() <= SPARE_BYTES {
            self.0.set(buffer);
        }
    }
}

thread_local! {
    static SPARE_B: std::cell::Cell<Vec<Line>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_A: std::cell::Cell<Vec<f64>> = const { std::cell::Cell::new(Vec::new()) };
}

/// `B` (k x n) packed for the micro-kernel: for each block of [`KC`] rows of B (the last may be
/// shorter), its panels of [`NR`] columns in order, each `depth` [`Line`]s, the columns past `n`
/// zero. Its buffer is the creating thread's spare, given back when it is dropped.
pub(crate) struct PackedB {
    data: Vec<Line>,
    k: usize,
    n: usize,
}

impl PackedB {
    /// Room for the k x n matrix `b` packed, to fill with [`PackedB::blocks_mut`] and
    /// [`pack_panels`], which write every line. Its lines hold whatever the last product
    /// packed into this thread's spare (only a growing buffer is zeroed).
    pub fn for_packing(k: usize, n: usize) -> Self {
        let len = k * n.div_ceil(NR);
        let mut data = Spare(&SPARE_B).take(len);
        // Writes only the lines past the spare's length (`truncate` writes nothing).
        data.truncate(len);
        data.resize(len, Line([0.0; NR]));
        PackedB { data, k, n }
    }

    /// Packs the k x n row-major matrix `b` (row stride `n`) on this thread.
    #[cfg(test)]
    pub fn new(b: &[f64], k: usize, n: usize) -> Self {
        let mut packed = PackedB::for_packing(k, n);
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

impl Drop for PackedB {
    fn drop(&mut self) {
        Spare(&SPARE_B).keep(std::mem::take(&mut self.data));
    }
}

/// Packs the panels of B (k x n, row-major, row stride `n`) that `out` holds, the first being
/// panel `first_panel` of the block of `depth` rows from row `first` (see [`PackedB`]).
///
/// Row by row: each row of B is read along its length, the panels' lines of it in turn, so
/// the hardware prefetcher streams it. Panel by panel (down one column of lines, a page apart
/// for n = 512) every read missed the cache, and packing took 0.35-0.6 ms of a 7 ms matmul 512.
pub(crate) fn pack_panels(
    b: &[f64],
    n: usize,
    first: usize,
    depth: usize,
    first_panel: usize,
    out: &mut [Line],
) {
    let panels = out.len() / depth.max(1);
    for p in 0..depth {
        let row = &b[(first + p) * n..(first + p + 1) * n];
        for panel in 0..panels {
            let col = (first_panel + panel) * NR;
            let Line(line) = &mut out[panel * depth + p];
            match row[col..].first_chunk::<NR>() {
                // A whole line: a copy of constant size, two vector moves rather than a call.
                Some(values) => *line = *values,
                None => {
                    let width = n - col;
                    line[..width].copy_from_slice(&row[col..]);
                    line[width..].fill(0.0);
                }
            }
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

/// `c = a * b` for `c`, `c.len() / n` rows of the m x n product whose first row is row
/// `first` of `a` (m x k, row-major, row stride k), with B packed. Writes every element of
/// `c`, which may be uninitialised: the first block of depth stores its tiles, the others add
/// to them.
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn gemm_rows(a: &[f64], b: &PackedB, first: usize, c: &mut [MaybeUninit<f64>]) {
    let (k, n) = (b.k, b.n);
    if n == 0 {
        return;
    }
    let m = c.len() / n;
    assert!(
        c.len() == m * n && a.len() >= (first + m) * k,
        "a or c is too short"
    );
    if k == 0 {
        return c.fill(MaybeUninit::new(0.0));
    }
    let panels = n.div_ceil(NR);
    let spare = Spare(&SPARE_A);
    let mut packed_a = spare.take(MC * KC);
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
                        add: kb > 0,
                    };
                    // SAFETY: the caller guarantees AVX2 and FMA; both panels are `depth` deep.
                    unsafe { micro_kernel(depth, a_panel, b_panel, tile) };
                }
            }
        }
    }
    spare.keep(packed_a);
}

/// Where a micro-tile goes: `rows` x `cols` (at most MR x NR) of `c`, row stride `ldc`; `add`
/// says whether it is added to what `c` holds (written by an earlier block) or stored over it.
struct TileOut<'a> {
    c: &'a mut [MaybeUninit<f64>],
    ldc: usize,
    rows: usize,
    cols: usize,
    add: bool,
}

/// `tile (+)= a_panel * b_panel`, both `depth` deep and packed (see [`pack_a`], [`PackedB`]).
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn micro_kernel(depth: usize, a_panel: &[f64], b_panel: &[Line], tile: TileOut<'_>) {
    assert!(a_panel.len() == depth * MR && b_panel.len() == depth);
    let TileOut {
        c,
        ldc,
        rows,
        cols,
        add,
    } = tile;
    for i in 0..rows {
        // A hint only: the tile's rows of C, written at the end, start coming into cache now
        // (a prefetch of an unmapped page is dropped, not a fault).
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
            let p = out.as_mut_ptr().cast::<f64>();
            // SAFETY: `out` holds NR = 8 values: two vectors; with `add`, an earlier block of
            // depth wrote them.
            unsafe {
                let (lo, hi) = if add {
                    (
                        _mm256_add_pd(_mm256_loadu_pd(p), row[0]),
                        _mm256_add_pd(_mm256_loadu_pd(p.add(4)), row[1]),
                    )
                } else {
                    (row[0], row[1])
                };
                _mm256_storeu_pd(p, lo);
                _mm256_storeu_pd(p.add(4), hi);
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
                // SAFETY: with `add`, an earlier block of depth wrote `out`.
                let sum = if add {
                    x + unsafe { out.assume_init() }
                } else {
                    x
                };
                out.write(sum);
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
    /// start mid-panel) against the textbook product. The sizes go up, then down: each
    /// product on the way down packs B into this thread's spare buffer as a larger one left
    /// it, whose stale values must not show through (in the zero columns past n, say).
    #[test]
    fn matches_the_textbook_product() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            return;
        }
        let sizes = [1, 5, 6, 7, 8, 9, 13, 97, 255, 257, 300];
        for n in sizes.into_iter().chain(sizes.into_iter().rev()) {
            let (a, b) = (noise(n * n, 1), noise(n * n, 2));
            let packed = PackedB::new(&b, n, n);
            // Garbage in C, which the product must overwrite, not add to.
            let mut c = vec![MaybeUninit::new(f64::NAN); n * n];
            let piece = 7.max(n / 3);
            for (p, rows) in c.chunks_mut(piece * n).enumerate() {
                // SAFETY: checked above that the CPU has AVX2 and FMA.
                unsafe { gemm_rows(&a, &packed, p * piece, rows) };
            }
            for i in 0..n {
                for j in 0..n {
                    let e: f64 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
                    // SAFETY: initialised (NaN) before the product.
                    let g = unsafe { c[i * n + j].assume_init() };
                    assert!(
                        (g - e).abs() <= 1e-9 * e.abs().max(1.0),
                        "n {n} ({i}, {j}): {g} vs {e}"
                    );
                }
            }
        }
    }
}
