//! The process-wide kernel registry: the built-in table, then each plugin's, read by the same
//! code, under one name space.
//!
//! Rules: the registry only grows. An entry is never removed or moved, so its index (what the
//! binding passes in a task) and the `&'static Kernel` handed out stay valid for the life of
//! the process; a plugin library is never unloaded for the same reason (a task may be running
//! its code). Registering takes the write lock; lookups (one per submitted task) the read lock.
use std::collections::HashMap;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, PoisonError, RwLock};

use ferris_kernel_sdk::abi::{KernelDesc, PluginDesc, RawArg};
use ferris_kernel_sdk::{KernelError, Param};
use ferris_pool::TaskContext;

use crate::host::{self, Output};
use crate::plugin::{self, PluginError};
use crate::BUILTINS;

/// Most kernels the registry holds: a kernel's index travels in the 27 bits of a task's `meta`
/// word above its kind and flags (`src/executor.rs`).
pub const MAX_KERNELS: usize = 1 << 27;

/// Most parameters a kernel may declare: far more than any real kernel, small enough that a
/// corrupt count is caught before it is read.
const MAX_PARAMS: usize = 64;

/// A registered kernel: its name, parameters and entry point.
#[derive(Debug)]
pub struct Kernel {
    pub name: String,
    pub params: Vec<Param>,
    /// How many of the last `params` may be left out (the kernel then sees a missing argument).
    pub optional: usize,
    run: ferris_kernel_sdk::abi::KernelFn,
}

impl Kernel {
    /// Fewest arguments a call passes.
    pub fn required(&self) -> usize {
        self.params.len() - self.optional
    }

    /// Calls the kernel on the worker running `ctx`. `args` has one entry per parameter,
    /// checked against `params`. A panic the kernel reports is resumed here, for the pool to
    /// report as a panicking task.
    pub fn call(&self, args: &[RawArg], ctx: &TaskContext<'_>) -> Result<Output, KernelError> {
        host::call(self.run, args, ctx)
    }
}

/// Reads one descriptor, checking everything the host relies on.
///
/// # Safety
/// `desc` is valid to read, and its pointers, where not null, point at what the ABI says.
unsafe fn read_kernel(desc: &KernelDesc, position: usize) -> Result<Kernel, String> {
    if desc.name.is_null() {
        return Err(format!("kernel #{position} has no name"));
    }
    // SAFETY: a non-null name is NUL-terminated (the function's contract).
    let name = unsafe { CStr::from_ptr(desc.name) }
        .to_str()
        .map_err(|_| format!("the name of kernel #{position} is not UTF-8"))?;
    if name.is_empty() {
        return Err(format!("kernel #{position} has an empty name"));
    }
    let run = desc
        .run
        .ok_or_else(|| format!("kernel {name:?} has no entry point"))?;
    if desc.n_params > MAX_PARAMS {
        return Err(format!(
            "kernel {name:?} declares {} parameters (at most {MAX_PARAMS})",
            desc.n_params
        ));
    }
    let codes: &[u32] = match desc.n_params {
        0 => &[],
        _ if desc.params.is_null() => {
            return Err(format!("kernel {name:?} has no parameter list"));
        }
        // SAFETY: a non-null list holds `n_params` codes (the function's contract).
        n => unsafe { std::slice::from_raw_parts(desc.params, n) },
    };
    let params = codes
        .iter()
        .enumerate()
        .map(|(i, &code)| {
            Param::from_code(code).ok_or_else(|| {
                format!(
                    "kernel {name:?} declares parameter {} of kind {code}, which this host does not know",
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if desc.optional > params.len() {
        return Err(format!(
            "kernel {name:?} has {} optional parameters but only {} parameters",
            desc.optional,
            params.len()
        ));
    }
    // A left-out argument travels as NaN in the numbers of a batch (`src/wire/args.rs`):
    // there is no such mark for the other kinds.
    let first_optional = params.len() - desc.optional;
    if let Some((i, param)) = (params.iter().enumerate())
        .skip(first_optional)
        .find(|(_, p)| !matches!(p, Param::Count | Param::Number))
    {
        return Err(format!(
            "kernel {name:?} makes parameter {} ({}) optional: only numeric parameters can be",
            i + 1,
            param.name()
        ));
    }
    Ok(Kernel {
        name: name.to_string(),
        params,
        optional: desc.optional,
        run,
    })
}

/// Reads a kernel table (the built-in one or a plugin's).
///
/// # Safety
/// `table` is valid to read, and so is everything it points at, as the ABI says.
pub(crate) unsafe fn read_table(table: &PluginDesc) -> Result<Vec<Kernel>, String> {
    if table.n_kernels > 0 && table.kernels.is_null() {
        return Err("its kernel table is null".to_string());
    }
    if table.n_kernels > MAX_KERNELS {
        return Err(format!("it declares {} kernels", table.n_kernels));
    }
    let descs: &[KernelDesc] = match table.n_kernels {
        0 => &[],
        // SAFETY: the table holds `n_kernels` descriptors (the function's contract).
        n => unsafe { std::slice::from_raw_parts(table.kernels, n) },
    };
    descs
        .iter()
        .enumerate()
        // SAFETY: each descriptor is valid (the function's contract).
        .map(|(i, desc)| unsafe { read_kernel(desc, i) })
        .collect()
}

struct Registry {
    kernels: Vec<&'static Kernel>,
    by_name: HashMap<&'static str, usize>,
    /// Indices of each loaded plugin's kernels, by canonical path.
    plugins: HashMap<PathBuf, Vec<usize>>,
}

impl Registry {
    /// Adds `kernels` unless one of their names is taken (by a registered kernel or another of
    /// them); returns their indices.
    fn add(&mut self, kernels: Vec<Kernel>) -> Result<Vec<usize>, String> {
        let mut seen = HashMap::new();
        for kernel in &kernels {
            if self.by_name.contains_key(kernel.name.as_str()) {
                return Err(format!(
                    "a kernel named {:?} is already registered",
                    kernel.name
                ));
            }
            if seen.insert(kernel.name.as_str(), ()).is_some() {
                return Err(format!("it declares {:?} twice", kernel.name));
            }
        }
        if self.kernels.len() + kernels.len() > MAX_KERNELS {
            return Err(format!("the registry holds at most {MAX_KERNELS} kernels"));
        }
        Ok(kernels
            .into_iter()
            .map(|kernel| {
                // Leaked on purpose: entries live as long as the process (see the module doc).
                let kernel: &'static Kernel = Box::leak(Box::new(kernel));
                let index = self.kernels.len();
                self.kernels.push(kernel);
                self.by_name.insert(&kernel.name, index);
                index
            })
            .collect())
    }
}

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(|| {
    let mut registry = Registry {
        kernels: Vec::new(),
        by_name: HashMap::new(),
        plugins: HashMap::new(),
    };
    // SAFETY: the built-in table is a static made by `kernel_table!`, valid as the ABI says.
    let builtins = unsafe { read_table(&BUILTINS) }
        .and_then(|kernels| registry.add(kernels))
        .unwrap_or_else(|reason| panic!("the built-in kernel table is invalid: {reason}"));
    debug_assert_eq!(builtins.len(), BUILTINS.n_kernels);
    RwLock::new(registry)
});

fn read() -> std::sync::RwLockReadGuard<'static, Registry> {
    REGISTRY.read().unwrap_or_else(PoisonError::into_inner)
}

/// The kernel at `index`.
pub fn get(index: usize) -> Option<&'static Kernel> {
    read().kernels.get(index).copied()
}

/// The kernel called `name`, and its index.
pub fn find(name: &str) -> Option<(usize, &'static Kernel)> {
    let registry = read();
    let index = *registry.by_name.get(name)?;
    Some((index, registry.kernels[index]))
}

/// Every registered kernel with its index, in registration order (the built-ins first).
pub fn all() -> Vec<(usize, &'static Kernel)> {
    read().kernels.iter().copied().enumerate().collect()
}

/// Loads the plugin at `path` and registers its kernels; returns their indices, in the
/// plugin's order. The same file loaded again (by any path naming it) returns the same
/// indices without loading anything.
pub fn register_plugin(path: &Path) -> Result<Vec<usize>, PluginError> {
    let canonical = plugin::canonical(path)?;
    if let Some(indices) = read().plugins.get(&canonical) {
        return Ok(indices.clone());
    }
    // Loading runs the library's initialisers: do it outside the lock, then check again.
    let table = plugin::load(path, &canonical)?;
    let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(indices) = registry.plugins.get(&canonical) {
        return Ok(indices.clone());
    }
    // SAFETY: `table` came from a library that reported this ABI version, and stays loaded.
    let indices = unsafe { read_table(table) }
        .and_then(|kernels| registry.add(kernels))
        .map_err(|reason| PluginError::new(path, reason))?;
    registry.plugins.insert(canonical, indices.clone());
    Ok(indices)
}
