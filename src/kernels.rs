//! The kernel registry as JavaScript sees it: the list `lib/kernels.ts` builds its handles
//! from, and the lookup of a submitted kernel index.
use ferris_kernels::{Kernel, REGISTRY};
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

#[napi(catch_unwind)]
pub fn list_kernels() -> Vec<KernelInfo> {
    REGISTRY
        .iter()
        .enumerate()
        .map(|(index, kernel)| KernelInfo {
            name: kernel.name.to_string(),
            index: index as u32,
            params: kernel.params.iter().map(|p| p.name().to_string()).collect(),
            required: kernel.required() as u32,
        })
        .collect()
}

/// The kernel a batch names by its index.
pub(crate) fn kernel(index: u32) -> Result<&'static Kernel> {
    REGISTRY
        .get(index as usize)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown kernel #{index}")))
}
