//! The instruction set the kernels run with, chosen once at run time.
//!
//! The release binary targets baseline x86-64 (SSE2), so that one build runs on any x86-64
//! CPU. Kernels whose inner loops are arithmetic carry a second version compiled with
//! `#[target_feature(enable = "avx2,fma")]`, used when the CPU has both. Every such version
//! gives the same results as its scalar twin (the same operations in the same order: no fused
//! multiply-add where the scalar path rounds twice), and each module's tests compare the two.
//!
//! `FERRIS_KERNELS_SCALAR=1` in the environment, read once at the first kernel call, forces
//! the scalar versions (to compare, or to rule SIMD out when chasing a problem).

use std::sync::OnceLock;

/// An instruction set a kernel has a version for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Baseline: what the build targets (SSE2 on x86-64), on any CPU.
    Scalar,
    /// AVX2 with FMA (x86-64 CPUs from 2013-2015 on).
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

/// The environment variable that forces [`Isa::Scalar`] when set to `1`.
pub const FORCE_SCALAR_VAR: &str = "FERRIS_KERNELS_SCALAR";

/// The instruction set kernels use in this process.
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        if std::env::var_os(FORCE_SCALAR_VAR).is_some_and(|v| v == "1") {
            Isa::Scalar
        } else {
            best()
        }
    })
}

/// The best instruction set this CPU offers, whatever the environment says.
pub fn best() -> Isa {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        return Isa::Avx2;
    }
    Isa::Scalar
}

/// The name of [`isa()`], as benchmarks and logs print it.
pub fn isa_name() -> &'static str {
    match isa() {
        Isa::Scalar => "scalar",
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => "avx2+fma",
    }
}
