//! What kernels take and return.
use std::fmt;

use crate::abi::{self, RawArg};

/// The kind of one kernel parameter; the host converts and checks JS values by it. The
/// discriminants are the ABI's `FERRIS_PARAM_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Param {
    /// A non-negative integer no larger than 2^53 - 1 (a JS safe integer).
    Count = abi::PARAM_COUNT,
    /// Any finite number.
    Number = abi::PARAM_NUMBER,
    /// A `Float64Array`.
    Float64Array = abi::PARAM_FLOAT64ARRAY,
    /// A `Uint8Array` (or a Node.js `Buffer`).
    Uint8Array = abi::PARAM_UINT8ARRAY,
    String = abi::PARAM_STRING,
}

impl Param {
    /// The kind with ABI code `code`, if the code is known.
    pub fn from_code(code: u32) -> Option<Param> {
        [
            Param::Count,
            Param::Number,
            Param::Float64Array,
            Param::Uint8Array,
            Param::String,
        ]
        .into_iter()
        .find(|p| *p as u32 == code)
    }

    /// Short name of the kind, as listed by `listKernels()`.
    pub fn name(self) -> &'static str {
        match self {
            Param::Count => "count",
            Param::Number => "number",
            Param::Float64Array => "Float64Array",
            Param::Uint8Array => "Uint8Array",
            Param::String => "string",
        }
    }

    /// How the parameter is described in error messages and type listings.
    pub fn describe(self) -> &'static str {
        match self {
            Param::Count => "a non-negative safe integer",
            Param::Number => "a finite number",
            Param::Float64Array => "a Float64Array",
            Param::Uint8Array => "a Uint8Array",
            Param::String => "a string",
        }
    }
}

/// One argument, as the host hands it over. Slices borrow the caller's memory for the
/// duration of the call.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Number(f64),
    Floats(&'a [f64]),
    Bytes(&'a [u8]),
    Text(&'a str),
    /// An optional argument the caller left out.
    Missing,
}

impl<'a> Arg<'a> {
    /// The ABI form of the argument, borrowing the same memory.
    pub fn raw(self) -> RawArg {
        let (tag, number, data, len) = match self {
            Arg::Number(n) => (abi::ARG_NUMBER, n, std::ptr::null(), 0),
            Arg::Floats(d) => (abi::ARG_FLOAT64ARRAY, 0.0, d.as_ptr().cast(), d.len()),
            Arg::Bytes(d) => (abi::ARG_UINT8ARRAY, 0.0, d.as_ptr().cast(), d.len()),
            Arg::Text(t) => (abi::ARG_STRING, 0.0, t.as_ptr().cast(), t.len()),
            Arg::Missing => (abi::ARG_MISSING, 0.0, std::ptr::null(), 0),
        };
        RawArg {
            tag,
            number,
            data,
            len,
        }
    }
}

/// A kernel's arguments, already checked by the host against its [`Param`] list.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a>(&'a [RawArg]);

/// A pointer and length from the host as a slice; an empty slice for a null pointer.
///
/// # Safety
/// Unless null, `data` points at `len` initialised values of `T` that stay valid and unchanged
/// for `'a`.
unsafe fn slice<'a, T>(data: *const std::ffi::c_void, len: usize) -> &'a [T] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: see the function's contract.
        unsafe { std::slice::from_raw_parts(data.cast(), len) }
    }
}

impl<'a> Args<'a> {
    /// Wraps the host's argument array.
    ///
    /// # Safety
    /// Each array or string argument points at `len` valid elements (UTF-8 bytes for a string)
    /// that stay valid and unchanged for `'a`: what the host guarantees during a call.
    pub unsafe fn from_raw(args: &'a [RawArg]) -> Self {
        Args(args)
    }

    /// How many arguments there are (every declared parameter has one, perhaps missing).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Argument `index`. Panics if there is none, or if its tag is not one of the ABI's: a
    /// kernel-table bug, which the call turns into a `KernelPanicError`.
    pub fn get(&self, index: usize) -> Arg<'a> {
        let raw = &self.0[index];
        // SAFETY: `from_raw`'s contract covers every argument's memory for `'a`.
        unsafe {
            match raw.tag {
                abi::ARG_NUMBER => Arg::Number(raw.number),
                abi::ARG_FLOAT64ARRAY => Arg::Floats(slice(raw.data, raw.len)),
                abi::ARG_UINT8ARRAY => Arg::Bytes(slice(raw.data, raw.len)),
                abi::ARG_STRING => match std::str::from_utf8(slice(raw.data, raw.len)) {
                    Ok(text) => Arg::Text(text),
                    Err(_) => panic!("argument {index} is not UTF-8"),
                },
                abi::ARG_MISSING => Arg::Missing,
                tag => panic!("argument {index} has the unknown tag {tag}"),
            }
        }
    }

    /// Number at `index`. Panics if the kernel's params say otherwise: a kernel-table bug,
    /// which the call turns into a `KernelPanicError`.
    pub fn number(&self, index: usize) -> f64 {
        match self.get(index) {
            Arg::Number(n) => n,
            other => panic!("argument {index} is {other:?}, not a number"),
        }
    }

    /// A `Count` argument as an integer (the host guarantees it fits).
    pub fn count(&self, index: usize) -> u64 {
        self.number(index) as u64
    }

    /// An optional `Count` argument, or `default` when it was left out.
    pub fn count_or(&self, index: usize, default: u64) -> u64 {
        match self.0.get(index).map(|_| self.get(index)) {
            None | Some(Arg::Missing) => default,
            Some(_) => self.count(index),
        }
    }

    pub fn floats(&self, index: usize) -> &'a [f64] {
        match self.get(index) {
            Arg::Floats(data) => data,
            other => panic!("argument {index} is {other:?}, not a Float64Array"),
        }
    }

    pub fn bytes(&self, index: usize) -> &'a [u8] {
        match self.get(index) {
            Arg::Bytes(data) => data,
            other => panic!("argument {index} is {other:?}, not a Uint8Array"),
        }
    }

    pub fn text(&self, index: usize) -> &'a str {
        match self.get(index) {
            Arg::Text(text) => text,
            other => panic!("argument {index} is {other:?}, not a string"),
        }
    }
}

/// What a kernel returns. Arrays become typed arrays over the same memory (no copy).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Number(f64),
    Float64Array(Vec<f64>),
    Uint32Array(Vec<u32>),
    Uint8Array(Vec<u8>),
}

/// A kernel's own failure (bad argument values, or a failure of the computation).
///
/// The message does not name the kernel: whoever reports the failure knows which kernel ran
/// and adds the name once (the binding's TypeScript `KernelError` reads
/// `dot: the arrays differ in length (3 and 4)`). Named here too, it would appear twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError {
    pub message: String,
}

impl KernelError {
    pub fn new(message: impl Into<String>) -> Self {
        KernelError {
            message: message.into(),
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KernelError {}

/// Largest array a kernel allocates, in elements: 2^28 (2 GiB of doubles). Bigger requests
/// are refused with a [`KernelError`] instead of exhausting memory.
pub const MAX_ELEMENTS: u64 = 1 << 28;

/// `Ok(n)` if an output of `n` elements is allowed (see [`MAX_ELEMENTS`]).
pub fn output_len(n: Option<u64>) -> Result<usize, KernelError> {
    match n {
        Some(n) if n <= MAX_ELEMENTS => Ok(n as usize),
        _ => Err(KernelError::new(format!(
            "the result would have more than {MAX_ELEMENTS} elements"
        ))),
    }
}

/// The error a kernel returns when its task is cancelled or runs out of time.
pub fn cancelled() -> KernelError {
    KernelError::new("the task was cancelled")
}
