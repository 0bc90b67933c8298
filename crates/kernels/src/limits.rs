//! The machine's own limits, which `npm run bench` holds the kernels against: the rate memory
//! is read at, and the peak rate of fused multiply-adds, both on the workers the task runs on
//! (one worker, or every worker through fork-join). Each returns the best of a few rounds,
//! timed inside the kernel.
use std::hint::black_box;
use std::time::Instant;

use crate::linalg;
use crate::parallel;
use crate::simd::{self, Isa};
use ferris_kernel_sdk::{Args, Context, KernelError, Value};

/// Rounds each limit is measured over; the best counts (the machine is shared, so the slower
/// rounds measure the neighbours).
const ROUNDS: usize = 5;

/// Pieces of a read round: 1 MiB each, so every worker streams long stretches.
const READ_GRAIN: usize = 1 << 17;

/// `limits.memoryRead(megabytes)`: GB/s at which the workers read a buffer of `megabytes`
/// (1 to 4096; far above the caches, 256 is plenty) with a plain summing loop.
pub fn memory_read(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let megabytes = args.count(0);
    if !(1..=4096).contains(&megabytes) {
        return Err(KernelError::new(format!(
            "megabytes must be from 1 to 4096, got {megabytes}"
        )));
    }
    let data = vec![1.0f64; (megabytes as usize) << 17];
    let isa = simd::isa();
    let mut best: f64 = 0.0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let sum = parallel::reduce(
            ctx,
            0..data.len(),
            READ_GRAIN,
            &|_, range| linalg::sum(isa, &data[range]),
            &|a, b| a + b,
        )?;
        black_box(sum);
        best = best.max((data.len() * 8) as f64 / start.elapsed().as_secs_f64() / 1e9);
    }
    Ok(Value::Number(best))
}

/// Independent accumulators of the FMA loop: enough to cover an FMA's latency (4-5 cycles) on
/// two pipes.
const CHAINS: usize = 12;

/// Steps of one piece of the FMA loop: about 10 ms of work.
const FMA_STEPS: usize = 1 << 21;

/// `CHAINS` chains of `x = x * m + a` for `FMA_STEPS` steps, two floating-point operations
/// each, per lane of the widest vector the instruction set has; returns the flops done.
fn fma_piece(isa: Isa) -> f64 {
    match isa {
        Isa::Scalar => {
            let mut acc = [1.0f64; CHAINS];
            let (m, a) = (black_box(0.999_999), black_box(1e-7));
            for _ in 0..FMA_STEPS {
                for x in &mut acc {
                    *x = *x * m + a;
                }
            }
            black_box(acc);
            (FMA_STEPS * CHAINS * 2) as f64
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2` is only chosen on a CPU that has AVX2 and FMA (see `simd`).
        Isa::Avx2 => unsafe { fma_piece_avx2() },
    }
}

/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_piece_avx2() -> f64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_set1_pd(1.0); CHAINS];
    let (m, a) = (
        _mm256_set1_pd(black_box(0.999_999)),
        _mm256_set1_pd(black_box(1e-7)),
    );
    for _ in 0..FMA_STEPS {
        for x in &mut acc {
            *x = _mm256_fmadd_pd(*x, m, a);
        }
    }
    black_box(acc);
    (FMA_STEPS * CHAINS * 4 * 2) as f64
}

/// `limits.peakFma(pieces)`: GFLOPS of `pieces` (1 to 1024) pieces of a register-only
/// multiply-add loop spread over the workers; give each worker several pieces.
pub fn peak_fma(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let pieces = args.count(0);
    if !(1..=1024).contains(&pieces) {
        return Err(KernelError::new(format!(
            "pieces must be from 1 to 1024, got {pieces}"
        )));
    }
    let isa = simd::isa();
    let mut best: f64 = 0.0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let flops = parallel::reduce(
            ctx,
            0..pieces as usize,
            1,
            &|_, range| range.map(|_| fma_piece(isa)).sum::<f64>(),
            &|a, b| a + b,
        )?;
        best = best.max(flops / start.elapsed().as_secs_f64() / 1e9);
    }
    Ok(Value::Number(best))
}
