//! Loading a plugin library and finding its kernel table, with an error naming the path and
//! the reason for each way it can go wrong.
//!
//! Order of the checks (ABI.md): the file exists, it loads as a shared library, it exports
//! `ferris_kernel_abi_version`, that returns this host's version, and only then is
//! `ferris_kernel_plugin` looked up and called. A loaded library is never unloaded.
use std::fmt;
use std::path::{Path, PathBuf};

use ferris_kernel_sdk::abi::{PluginDesc, ABI_VERSION, PLUGIN_SYMBOL, VERSION_SYMBOL};
use libloading::Library;

/// Why a plugin could not be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// The path as the caller gave it.
    pub path: String,
    pub reason: String,
}

impl PluginError {
    pub(crate) fn new(path: &Path, reason: impl Into<String>) -> Self {
        PluginError {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot register the kernels of {}: {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for PluginError {}

/// The absolute path of the file `path` names, the registry's key for it.
pub(crate) fn canonical(path: &Path) -> Result<PathBuf, PluginError> {
    let canonical = path.canonicalize().map_err(|e| {
        PluginError::new(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => format!("cannot resolve the path: {e}"),
            },
        )
    })?;
    if !canonical.is_file() {
        return Err(PluginError::new(path, "not a file"));
    }
    Ok(canonical)
}

/// Opens the library, resolving every symbol now so that a missing one fails here rather
/// than in a kernel call later.
fn open(canonical: &Path) -> Result<Library, libloading::Error> {
    #[cfg(unix)]
    {
        use libloading::os::unix::{Library as UnixLibrary, RTLD_LOCAL, RTLD_NOW};
        // SAFETY: loading runs the library's initialisers; loading a plugin means trusting its
        // code, which is what `registerKernels` asks for.
        unsafe { UnixLibrary::open(Some(canonical), RTLD_NOW | RTLD_LOCAL) }.map(Library::from)
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above.
        unsafe { Library::new(canonical) }
    }
}

/// Loads the library at `canonical`, checks its ABI version and returns its kernel table,
/// which stays valid for the life of the process (the library is leaked).
pub(crate) fn load(path: &Path, canonical: &Path) -> Result<&'static PluginDesc, PluginError> {
    let fail = |reason: String| PluginError::new(path, reason);
    let library =
        open(canonical).map_err(|e| fail(format!("not a loadable shared library ({e})")))?;
    // SAFETY: the symbol's type is the ABI's `uint32_t ferris_kernel_abi_version(void)`.
    let version =
        unsafe { library.get::<unsafe extern "C" fn() -> u32>(VERSION_SYMBOL.as_bytes()) }
            .map_err(|_| {
                fail(format!(
                    "it does not export {VERSION_SYMBOL}: not a ferris-executor kernel plugin"
                ))
            })?;
    // SAFETY: the ABI's version function takes nothing and only returns a number.
    let version = unsafe { version() };
    if version != ABI_VERSION {
        return Err(fail(format!(
            "it was built for kernel ABI version {version}, this ferris-executor supports version {ABI_VERSION}; rebuild it against a matching ferris-kernel-sdk"
        )));
    }
    // SAFETY: the symbol's type is the ABI's `const FerrisPlugin *ferris_kernel_plugin(void)`.
    let plugin = unsafe {
        library.get::<unsafe extern "C" fn() -> *const PluginDesc>(PLUGIN_SYMBOL.as_bytes())
    }
    .map_err(|_| fail(format!("it does not export {PLUGIN_SYMBOL}")))?;
    // SAFETY: a plugin of this ABI version returns its table, in static memory, or null.
    let table = unsafe { plugin() };
    // Kernels run the library's code for the rest of the process: never unload it.
    std::mem::forget(library);
    // SAFETY: not null, and static in a library that is never unloaded.
    unsafe { table.as_ref() }.ok_or_else(|| fail(format!("{PLUGIN_SYMBOL} returned null")))
}
