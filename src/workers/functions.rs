//! The functions worker tasks call, by id, for every isolate of the process.
//!
//! `workerTask()` defines one on the JS thread; a worker isolate looks it up the first time it
//! meets the id and compiles or imports it once. The list lives in a static, which every
//! isolate that loads this addon from the same path shares (one `dlopen` per path), so tasks
//! carry only the id. Definitions are never removed (like kernels); the same definition twice
//! gets the same id, so a `workerTask(fn)` made in a loop does not grow the list.
use std::sync::{Mutex, PoisonError};

use napi::{Error, Result, Status};
use napi_derive::napi;
use rustc_hash::FxHashMap;

/// What a worker task calls: a function's source text, or a module's export.
#[napi(object)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WorkerFunction {
    /// Source text of a self-contained function (`String(fn)`).
    pub source: Option<String>,
    /// URL of the module (a `file:` URL), with `export` the name of its export.
    pub module: Option<String>,
    pub export: Option<String>,
}

#[derive(Default)]
struct Definitions {
    list: Vec<WorkerFunction>,
    ids: FxHashMap<WorkerFunction, u32>,
}

static DEFINITIONS: Mutex<Option<Definitions>> = Mutex::new(None);

/// Registers `definition` (or finds it) and returns its id.
#[napi(catch_unwind)]
pub fn define_worker_function(definition: WorkerFunction) -> Result<u32> {
    let valid = matches!(
        (&definition.source, &definition.module, &definition.export),
        (Some(_), None, None) | (None, Some(_), Some(_))
    );
    if !valid {
        return Err(Error::new(
            Status::InvalidArg,
            "a worker function is a source text, or a module and an export",
        ));
    }
    let mut definitions = DEFINITIONS.lock().unwrap_or_else(PoisonError::into_inner);
    let definitions = definitions.get_or_insert_with(Definitions::default);
    if let Some(&id) = definitions.ids.get(&definition) {
        return Ok(id);
    }
    let id = definitions.list.len() as u32;
    definitions.list.push(definition.clone());
    definitions.ids.insert(definition, id);
    Ok(id)
}

/// The function of id `id`, if one was defined.
#[napi(catch_unwind)]
pub fn worker_function(id: u32) -> Option<WorkerFunction> {
    let definitions = DEFINITIONS.lock().unwrap_or_else(PoisonError::into_inner);
    definitions.as_ref()?.list.get(id as usize).cloned()
}
