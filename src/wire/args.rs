//! JavaScript arguments of kernel calls, converted by each kernel's parameter list.
//!
//! `lib/kernels.ts` checks arguments at submission and throws `TypeError`/`RangeError` with a
//! clear message; the checks here only keep a caller that bypasses it from reaching a kernel
//! with the wrong types.
use std::time::Duration;

use crate::array_copy::ArrayCopy;
use ferris_kernels::abi::RawArg;
use ferris_kernels::{Arg, Kernel, Param};
use napi::bindgen_prelude::{Float64Array, Uint8Array, Unknown};
use napi::{Error, JsValue, Result, Status, ValueType};

/// An argument owned by the task until its completion event is delivered.
pub(crate) enum OwnedArg {
    Number(f64),
    /// A reference to an array the kernel reads in place, never copied: one over a
    /// `SharedArrayBuffer`, which cannot be detached or shrunk, or one over an `ArrayBuffer`
    /// moved to the task by `submit`'s `transfer` list. Its address is read here, at
    /// submission; on the main thread the JS layer then detaches a moved buffer from the
    /// caller and keeps its memory in a message it never delivers until the task has settled,
    /// and in a worker thread it passes a clone only the task holds
    /// (`lib/runners/moved-buffers.ts`): either way only the task can reach the memory. A
    /// shared array's memory stays valid while the reference keeps it alive. Boxed to keep the
    /// common argument small.
    InPlaceFloats(Box<Float64Array>),
    /// A copy of the caller's array over an ordinary `ArrayBuffer`, taken at submission: that
    /// buffer could be transferred or detached while the task runs, freeing the memory under
    /// a kernel that read it in place.
    Floats(ArrayCopy<f64>),
    /// As `InPlaceFloats`, for a Uint8Array.
    InPlaceBytes(Box<Uint8Array>),
    /// As `Floats`, for a Uint8Array.
    Bytes(ArrayCopy<u8>),
    Text(String),
    /// An optional argument left out.
    Missing,
}

impl OwnedArg {
    /// The argument as the kernel ABI passes it, borrowing this memory.
    pub fn raw(&self) -> RawArg {
        self.borrow().raw()
    }

    fn borrow(&self) -> Arg<'_> {
        match self {
            OwnedArg::Number(n) => Arg::Number(*n),
            OwnedArg::InPlaceFloats(data) => Arg::Floats(data),
            OwnedArg::Floats(data) => Arg::Floats(data),
            OwnedArg::InPlaceBytes(data) => Arg::Bytes(data),
            OwnedArg::Bytes(data) => Arg::Bytes(data),
            OwnedArg::Text(text) => Arg::Text(text),
            OwnedArg::Missing => Arg::Missing,
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

/// Converts a non-numeric argument; `in_place` says a typed array may be read in place: it
/// lives in a `SharedArrayBuffer` (the JS layer knows; N-API on Node 20 cannot tell) or in a
/// buffer moved to the task (`transfer`).
fn convert_object(
    kernel: &Kernel,
    index: usize,
    param: Param,
    value: &Unknown,
    in_place: bool,
) -> Result<OwnedArg> {
    let bad = || invalid(kernel, index, param);
    let value_type = value.get_type()?;
    match param {
        Param::Float64Array if value_type == ValueType::Object && value.is_typedarray()? => {
            // SAFETY: the value is a typed array; `cast` itself checks that it is a Float64Array.
            let data: Float64Array = unsafe { value.cast() }.map_err(|_| bad())?;
            Ok(if in_place {
                OwnedArg::InPlaceFloats(Box::new(data))
            } else {
                OwnedArg::Floats(ArrayCopy::of(&data))
            })
        }
        Param::Uint8Array if value_type == ValueType::Object && value.is_typedarray()? => {
            // SAFETY: the value is a typed array; `cast` itself checks that it is a Uint8Array.
            let data: Uint8Array = unsafe { value.cast() }.map_err(|_| bad())?;
            Ok(if in_place {
                OwnedArg::InPlaceBytes(Box::new(data))
            } else {
                OwnedArg::Bytes(ArrayCopy::of(&data))
            })
        }
        Param::String if value_type == ValueType::String => {
            // SAFETY: the value was just checked to be a JS string.
            Ok(OwnedArg::Text(unsafe { value.cast()? }))
        }
        _ => Err(bad()),
    }
}

/// Whether a parameter travels in a batch's `numbers` array rather than its `objects`.
pub(crate) fn is_numeric(param: Param) -> bool {
    matches!(param, Param::Count | Param::Number)
}

/// The arguments of one submission batch, read in order: numeric ones from a typed array
/// (no N-API call per value), the others from a JS array. The JS layer writes them in the
/// same order (`lib/runners/kernel.ts`).
pub(crate) struct BatchArgs<'a> {
    numbers: std::slice::Iter<'a, f64>,
    objects: std::vec::IntoIter<Unknown<'a>>,
}

fn short() -> Error {
    Error::new(Status::InvalidArg, "the batch has too few arguments")
}

impl<'a> BatchArgs<'a> {
    pub fn new(numbers: &'a [f64], objects: Vec<Unknown<'a>>) -> Self {
        BatchArgs {
            numbers: numbers.iter(),
            objects: objects.into_iter(),
        }
    }

    /// A run-time limit in milliseconds; one too large to represent is no limit.
    pub fn time_limit_ms(&mut self) -> Result<Option<Duration>> {
        let ms = *self.numbers.next().ok_or_else(short)?;
        if ms.is_nan() || ms < 0.0 {
            return Err(Error::new(
                Status::InvalidArg,
                format!("bad time limit {ms} ms"),
            ));
        }
        Ok(Duration::try_from_secs_f64(ms / 1e3).ok())
    }

    /// The number of calls in a chunk.
    pub fn count(&mut self) -> Result<usize> {
        let n = *self.numbers.next().ok_or_else(short)?;
        if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 {
            Ok(n as usize)
        } else {
            Err(Error::new(Status::InvalidArg, "bad chunk length"))
        }
    }

    /// The next `n` numbers.
    pub fn take_numbers(&mut self, n: usize) -> Result<Vec<f64>> {
        let rest = self.numbers.as_slice();
        let taken = rest.get(..n).ok_or_else(short)?;
        self.numbers = rest[n..].iter();
        Ok(taken.to_vec())
    }

    /// A copy of the next object, a Uint8Array (serialized arguments).
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let value = self.objects.next().ok_or_else(short)?;
        let not_bytes = || {
            Error::new(
                Status::InvalidArg,
                "expected a Uint8Array of serialized arguments",
            )
        };
        if value.get_type()? != ValueType::Object || !value.is_typedarray()? {
            return Err(not_bytes());
        }
        // SAFETY: the value is a typed array; `cast` itself checks that it is a Uint8Array.
        let data: Uint8Array = unsafe { value.cast() }.map_err(|_| not_bytes())?;
        Ok(data.to_vec())
    }

    /// Reads the arguments of one call of `kernel`, appending them to `out` (the calls of a
    /// task share one flat list). Every parameter has a slot; NaN in an optional numeric
    /// parameter's slot means it was left out.
    pub fn read_call(&mut self, kernel: &Kernel, out: &mut Vec<OwnedArg>) -> Result<()> {
        for (index, &param) in kernel.params.iter().enumerate() {
            let arg = if is_numeric(param) {
                let n = *self.numbers.next().ok_or_else(short)?;
                if n.is_nan() && index >= kernel.required() {
                    out.push(OwnedArg::Missing);
                    continue;
                }
                let ok = match param {
                    Param::Count => n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0,
                    _ => n.is_finite(),
                };
                ok.then_some(OwnedArg::Number(n))
                    .ok_or_else(|| invalid(kernel, index, param))?
            } else {
                // A typed array is preceded in `numbers` by 1 if it may be read in place.
                let typed = matches!(param, Param::Float64Array | Param::Uint8Array);
                let in_place = typed && *self.numbers.next().ok_or_else(short)? == 1.0;
                let value = self.objects.next().ok_or_else(short)?;
                convert_object(kernel, index, param, &value, in_place)?
            };
            out.push(arg);
        }
        Ok(())
    }
}
