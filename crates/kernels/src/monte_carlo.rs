//! `monteCarloPi`: estimates pi from random points, deterministically for a seed.

use crate::parallel;
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

/// Full blocks drawn side by side: each generator is one long dependency chain, and
/// interleaving several lets a core work on all of them at once.
const LANES: u64 = 4;

/// Hits in the blocks of `blocks`, of `samples` draws in all.
fn hits_in_blocks(seed: u64, blocks: std::ops::Range<u64>, samples: u64) -> u64 {
    let full_blocks = samples / BLOCK;
    let mut hits = 0;
    let mut block = blocks.start;
    while block + LANES <= blocks.end.min(full_blocks) {
        let mut rngs: [Mulberry32; LANES as usize] =
            std::array::from_fn(|k| Mulberry32(block_seed(seed, block + k as u64)));
        for _ in 0..BLOCK {
            for rng in &mut rngs {
                let (x, y) = (rng.unit(), rng.unit());
                hits += u64::from(x * x + y * y < 1.0);
            }
        }
        block += LANES;
    }
    for block in block..blocks.end {
        hits += hits_in_block(seed, block, BLOCK.min(samples - block * BLOCK));
    }
    hits
}

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
    let blocks = samples.div_ceil(BLOCK) as usize;
    let hits = parallel::reduce(
        ctx,
        0..blocks,
        // Leaves of 4 to 8 blocks, so that most blocks are drawn side by side.
        2 * LANES as usize,
        &|_, range| hits_in_blocks(seed, range.start as u64..range.end as u64, samples),
        &|a, b| a + b,
    )?;
    Ok(Value::Number(4.0 * hits as f64 / samples as f64))
}
