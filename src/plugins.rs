//! `registerKernels(path)`: a kernel plugin's kernels into the process-wide registry.
use std::path::Path;

use napi::{Error, Result, Status};
use napi_derive::napi;

use crate::kernels::{kernel_info, KernelInfo};

/// Loads the plugin library at `path` and registers its kernels (once per file: the same
/// file again returns the same kernels). Throws with the reason as the message, which
/// `lib/plugins.ts` turns into a `PluginError` naming the path.
#[napi(catch_unwind)]
pub fn register_kernels(path: String) -> Result<Vec<KernelInfo>> {
    let indices = ferris_kernels::register_plugin(Path::new(&path))
        .map_err(|error| Error::new(Status::GenericFailure, error.reason))?;
    indices
        .into_iter()
        .map(|index| {
            ferris_kernels::get(index)
                .map(|kernel| kernel_info(index, kernel))
                .ok_or_else(|| {
                    Error::new(Status::GenericFailure, format!("kernel #{index} vanished"))
                })
        })
        .collect()
}
