//! `monteCarloPi`: estimates pi from random points, deterministically for a seed.

use crate::parallel;
use crate::simd::{self, Isa};
use ferris_kernel_sdk::{Args, Context, KernelError, Value};

/// Samples per block. Each block draws from its own generator, seeded from the seed and the
/// block's index, so the result does not depend on how blocks are spread over workers.
pub const BLOCK: u64 = 1 << 16;

/// Most samples: 2^40 (about an hour on one core).
const MAX_SAMPLES: u64 = 1 << 40;

/// The "lowbias32" integer hash (Chris Wellons' hash-prospector), used to derive block seeds.
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Mulberry32 (Tommy Ettinger): a 32-bit generator that JavaScript computes exactly with
/// `Math.imul`, so the JS twin reproduces every sample.
struct Mulberry32(u32);

impl Mulberry32 {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x6d2b_79f5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        t ^ (t >> 14)
    }

    /// A double in [0, 1) from one draw: the draw times 2^-32, which is exact and so equal to
    /// the twin's division by 2^32 (a multiplication is several times cheaper).
    fn unit(&mut self) -> f64 {
        f64::from(self.next()) * (1.0 / 4_294_967_296.0)
    }
}

/// Seed of block `block` for the user's `seed` (below 2^53): both are cut into 32-bit halves.
fn block_seed(seed: u64, block: u64) -> u32 {
    let (seed_lo, seed_hi) = (seed as u32, (seed >> 32) as u32);
    let (block_lo, block_hi) = (block as u32, (block >> 32) as u32);
    mix32(seed_lo ^ mix32(seed_hi ^ mix32(block_lo ^ mix32(block_hi ^ 0x9e37_79b9))))
}

/// Points of `samples` draws in block `block` that fall inside the quarter circle.
fn hits_in_block(seed: u64, block: u64, samples: u64) -> u64 {
    let mut rng = Mulberry32(block_seed(seed, block));
    let mut hits = 0;
    for _ in 0..samples {
        let (x, y) = (rng.unit(), rng.unit());
        hits += u64::from(x * x + y * y < 1.0);
    }
    hits
}

/// Full blocks drawn side by side by the scalar path: each generator is one long dependency
/// chain, and interleaving several lets a core work on all of them at once.
const LANES: u64 = 4;

/// Hits in the full blocks `block..block + LANES`.
fn hits_in_lanes(seed: u64, block: u64) -> u64 {
    let mut rngs: [Mulberry32; LANES as usize] =
        std::array::from_fn(|k| Mulberry32(block_seed(seed, block + k as u64)));
    let mut hits = 0;
    for _ in 0..BLOCK {
        for rng in &mut rngs {
            let (x, y) = (rng.unit(), rng.unit());
            hits += u64::from(x * x + y * y < 1.0);
        }
    }
    hits
}

/// The AVX2 version: eight blocks side by side, one per 32-bit lane, each drawing exactly the
/// scalar generator's numbers and testing them with the same operations (no fused
/// multiply-add), so the hits are the same.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{block_seed, BLOCK};
    use std::arch::x86_64::*;

    /// Blocks per group: the lanes of a 256-bit vector of u32.
    pub const BLOCKS: u64 = 8;

    /// Hits in the full blocks `block..block + BLOCKS`.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn hits(seed: u64, block: u64) -> u64 {
        let seeds: [u32; BLOCKS as usize] =
            std::array::from_fn(|k| block_seed(seed, block + k as u64));
        // SAFETY: `seeds` holds eight u32, the vector's width; unaligned loads are allowed.
        let mut state = unsafe { _mm256_loadu_si256(seeds.as_ptr().cast()) };
        let step = _mm256_set1_epi32(0x6d2b_79f5);
        let (one, sixty_one) = (_mm256_set1_epi32(1), _mm256_set1_epi32(61));
        // Mulberry32's step (see `Mulberry32::next`) on eight lanes.
        let mut next = || {
            state = _mm256_add_epi32(state, step);
            let t = state;
            let t = _mm256_mullo_epi32(
                _mm256_xor_si256(t, _mm256_srli_epi32::<15>(t)),
                _mm256_or_si256(t, one),
            );
            let u = _mm256_mullo_epi32(
                _mm256_xor_si256(t, _mm256_srli_epi32::<7>(t)),
                _mm256_or_si256(t, sixty_one),
            );
            let t = _mm256_xor_si256(t, _mm256_add_epi32(t, u));
            _mm256_xor_si256(t, _mm256_srli_epi32::<14>(t))
        };
        // u32 to f64 exactly: flip the top bit to read it as i32 (which converts exactly), add
        // 2^31 back (exact: every u32 is a double), then times 2^-32 as `Mulberry32::unit` does.
        let flip = _mm256_set1_epi32(i32::MIN);
        let (half, scale) = (
            _mm256_set1_pd(2_147_483_648.0),
            _mm256_set1_pd(1.0 / 4_294_967_296.0),
        );
        let unit = |draws: __m128i| {
            let signed = _mm_xor_si128(draws, _mm256_castsi256_si128(flip));
            _mm256_mul_pd(_mm256_add_pd(_mm256_cvtepi32_pd(signed), half), scale)
        };
        let unit_one = _mm256_set1_pd(1.0);
        // Lanes 0-3 and 4-7 count separately: all ones (-1) in a lane that hit, subtracted.
        let (mut low, mut high) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        for _ in 0..BLOCK {
            let (xs, ys) = (next(), next());
            for (half_index, hits) in [(0, &mut low), (1, &mut high)] {
                let (x, y) = if half_index == 0 {
                    (
                        unit(_mm256_castsi256_si128(xs)),
                        unit(_mm256_castsi256_si128(ys)),
                    )
                } else {
                    (
                        unit(_mm256_extracti128_si256::<1>(xs)),
                        unit(_mm256_extracti128_si256::<1>(ys)),
                    )
                };
                let norm = _mm256_add_pd(_mm256_mul_pd(x, x), _mm256_mul_pd(y, y));
                let inside = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_LT_OQ>(norm, unit_one));
                *hits = _mm256_sub_epi64(*hits, inside);
            }
        }
        let mut lanes = [0u64; 4];
        // SAFETY: `lanes` holds four u64, the vector's width; unaligned stores are allowed.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), _mm256_add_epi64(low, high)) };
        lanes.iter().sum()
    }
}

/// Hits in the blocks of `blocks`, of `samples` draws in all, with the instruction set `isa`.
fn hits_in_blocks(isa: Isa, seed: u64, blocks: std::ops::Range<u64>, samples: u64) -> u64 {
    let full_blocks = samples / BLOCK;
    let full_end = blocks.end.min(full_blocks);
    let mut hits = 0;
    let mut block = blocks.start;
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2 {
        while block + avx2::BLOCKS <= full_end {
            // SAFETY: `Isa::Avx2` is only chosen on a CPU that has it (see `simd`).
            hits += unsafe { avx2::hits(seed, block) };
            block += avx2::BLOCKS;
        }
    }
    let _ = isa;
    while block + LANES <= full_end {
        hits += hits_in_lanes(seed, block);
        block += LANES;
    }
    for block in block..blocks.end {
        hits += hits_in_block(seed, block, BLOCK.min(samples - block * BLOCK));
    }
    hits
}

/// Blocks in the smallest piece of the split: two groups of the widest version.
const GRAIN_BLOCKS: usize = 16;

/// `monteCarloPi(samples, seed)`: 4 x the share of `samples` random points of the unit square
/// that fall inside the quarter circle. Samples are drawn in blocks of [`BLOCK`] spread over
/// the pool; the estimate depends only on `samples` and `seed`.
pub fn monte_carlo_pi(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (samples, seed) = (args.count(0), args.count(1));
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(KernelError::new(format!(
            "samples must be from 1 to 2^40, got {samples}"
        )));
    }
    let (blocks, isa) = (samples.div_ceil(BLOCK) as usize, simd::isa());
    let hits = parallel::reduce(
        ctx,
        0..blocks,
        // Leaves of 8 to 16 blocks, so that most blocks are drawn side by side.
        GRAIN_BLOCKS,
        &|_, range| hits_in_blocks(isa, seed, range.start as u64..range.end as u64, samples),
        &|a, b| a + b,
    )?;
    Ok(Value::Number(4.0 * hits as f64 / samples as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hits are the same on both paths, over ranges that start and end anywhere, with a
    /// partial last block.
    #[test]
    fn hits_are_the_same_on_every_instruction_set() {
        let samples = 21 * BLOCK + 1234;
        for (seed, blocks) in [(42, 0..22), (7, 3..14), (1 << 40, 9..22), (0, 0..8)] {
            let scalar = hits_in_blocks(Isa::Scalar, seed, blocks.clone(), samples);
            let best = hits_in_blocks(simd::best(), seed, blocks.clone(), samples);
            assert_eq!(scalar, best, "seed {seed}, blocks {blocks:?}");
        }
    }
}
