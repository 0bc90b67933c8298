//! An example kernel plugin for ferris-executor. Build it with `cargo build --release` and
//! load `target/release/libferris_kernel_plugin_example.so` (`.dylib` on macOS,
//! `ferris_kernel_plugin_example.dll` on Windows) with `registerKernels(path)`.
use std::time::{Duration, Instant};

use ferris_kernel_sdk::{cancelled, export_kernels, Args, Context, KernelError, Value};

mod scale;

/// The 32-bit FNV-1a offset basis and prime (Fowler, Noll, Vo; IETF draft-eastlake-fnv).
const FNV_OFFSET: u32 = 2_166_136_261;
const FNV_PRIME: u32 = 16_777_619;

/// Bytes hashed between two looks at the cancellation flag (~1 ms at ~1 byte per ns).
const CHECK_EVERY: usize = 1 << 20;

/// `fnv1a(bytes)`: the 32-bit FNV-1a hash of the bytes, as an unsigned integer.
fn fnv1a(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let mut hash = FNV_OFFSET;
    for piece in args.bytes(0).chunks(CHECK_EVERY) {
        if ctx.is_cancelled() {
            return Err(cancelled());
        }
        for &byte in piece {
            hash = (hash ^ u32::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }
    Ok(Value::Number(f64::from(hash)))
}

/// `busy(ms)`: spins until `ms` milliseconds have passed or the task is cancelled (time limit,
/// executor torn down), and returns the milliseconds it ran, either way. A timed-out task's
/// result is dropped by the host, which rejects it with `TimeoutError`.
fn busy(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let ms = args.number(0);
    if ms < 0.0 {
        return Err(KernelError::new(format!("ms must be >= 0, got {ms}")));
    }
    let start = Instant::now();
    let until = Duration::try_from_secs_f64(ms / 1e3).unwrap_or(Duration::MAX);
    while start.elapsed() < until && !ctx.is_cancelled() {
        std::hint::spin_loop();
    }
    Ok(Value::Number(start.elapsed().as_secs_f64() * 1e3))
}

export_kernels! {
    "scale"(Float64Array, Number) => scale::scale,
    "fnv1a"(Uint8Array) => fnv1a,
    "busy"(Number) => busy,
}
