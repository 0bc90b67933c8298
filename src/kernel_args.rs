//! JavaScript arguments of a kernel call, converted by the kernel's parameter list.
//!
//! `index.ts` checks arguments and throws `TypeError`/`RangeError` with a clear message before
//! calling in; the checks here only keep a caller that bypasses it from reaching a kernel with
//! the wrong types.
use ferris_kernels::{Arg, Kernel, Param};
use napi::bindgen_prelude::{Float64Array, Unknown};
use napi::{Error, JsValue, Result, Status, ValueType};

/// An argument owned by the task until its completion event is delivered.
pub(crate) enum OwnedArg {
    Number(f64),
    /// A reference to the caller's array: read in place by the kernel, never copied.
    Floats(Float64Array),
    Text(String),
}

impl OwnedArg {
    pub fn borrow(&self) -> Arg<'_> {
        match self {
            OwnedArg::Number(n) => Arg::Number(*n),
            OwnedArg::Floats(data) => Arg::Floats(data),
            OwnedArg::Text(text) => Arg::Text(text),
        }
    }
}

fn invalid(kernel: &Kernel, index: usize, param: Param) -> Error {
    Error::new(
        Status::InvalidArg,
        format!(
            "{}: argument {} must be {}",
            kernel.name,
            index + 1,
            param.describe()
        ),
    )
}

fn convert_one(kernel: &Kernel, index: usize, param: Param, value: &Unknown) -> Result<OwnedArg> {
    let bad = || invalid(kernel, index, param);
    let value_type = value.get_type()?;
    match param {
        Param::Count | Param::Number if value_type == ValueType::Number => {
            // SAFETY: the value was just checked to be a JS number.
            let n: f64 = unsafe { value.cast()? };
            let ok = match param {
                Param::Count => n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0,
                _ => n.is_finite(),
            };
            ok.then_some(OwnedArg::Number(n)).ok_or_else(bad)
        }
        Param::Float64Array if value_type == ValueType::Object && value.is_typedarray()? => {
            // SAFETY: the value is a typed array; `cast` itself checks that it is a Float64Array.
            let data: Float64Array = unsafe { value.cast() }.map_err(|_| bad())?;
            Ok(OwnedArg::Floats(data))
        }
        Param::String if value_type == ValueType::String => {
            // SAFETY: the value was just checked to be a JS string.
            Ok(OwnedArg::Text(unsafe { value.cast()? }))
        }
        _ => Err(bad()),
    }
}

/// Converts one call's arguments; exactly as many as the kernel declares.
pub(crate) fn convert(kernel: &Kernel, values: &[Unknown]) -> Result<Vec<OwnedArg>> {
    if values.len() != kernel.params.len() {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "{} takes {} argument(s), got {}",
                kernel.name,
                kernel.params.len(),
                values.len()
            ),
        ));
    }
    kernel
        .params
        .iter()
        .zip(values)
        .enumerate()
        .map(|(index, (&param, value))| convert_one(kernel, index, param, value))
        .collect()
}
