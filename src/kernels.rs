//! The kernel registry as JavaScript sees it: the list `lib/kernels.ts` builds its handles
//! from, and the lookup of a submitted kernel index.
use ferris_kernels::Kernel;
use napi::{Error, Result, Status};
use napi_derive::napi;

#[napi(object)]
pub struct KernelInfo {
    pub name: String,
    /// Index of the kernel in a batch's `meta` word.
    pub index: u32,
    /// One of "count", "number", "Float64Array", "Uint8Array", "string" per parameter.
    pub params: Vec<String>,
    /// How many arguments a call must pass; the rest of `params` are optional.
    pub required: u32,
}

/// What JavaScript learns of the kernel at `index`.
pub(crate) fn kernel_info(index: usize, kernel: &Kernel) -> KernelInfo {
    KernelInfo {
        name: kernel.name.clone(),
        index: index as u32,
        params: kernel.params.iter().map(|p| p.name().to_string()).collect(),
        required: kernel.required() as u32,
    }
}

/// Every registered kernel: the built-in ones, then those of the plugins registered so far.
#[napi(catch_unwind)]
pub fn list_kernels() -> Vec<KernelInfo> {
    ferris_kernels::all()
        .into_iter()
        .map(|(index, kernel)| kernel_info(index, kernel))
        .collect()
}

/// The kernel a batch names by its index.
pub(crate) fn kernel(index: u32) -> Result<&'static Kernel> {
    ferris_kernels::get(index as usize)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown kernel #{index}")))
}

/// The instruction set the built-in kernels run with: "avx2+fma" or "scalar" (forced by
/// `FERRIS_KERNELS_SCALAR=1`, or on a CPU without AVX2 and FMA). For benchmarks and tests.
#[napi(catch_unwind)]
pub fn kernel_isa() -> &'static str {
    ferris_kernels::isa_name()
}
