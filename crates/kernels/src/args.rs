//! What kernels take and return.
use std::fmt;

/// The kind of one kernel parameter; the binding converts and checks JS values by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A non-negative integer no larger than 2^53 - 1 (a JS safe integer).
    Count,
    /// Any finite number.
    Number,
    /// A `Float64Array`.
    Float64Array,
    /// A `Uint8Array` (or a Node.js `Buffer`).
    Uint8Array,
    String,
}

impl Param {
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

/// One converted argument. Slices borrow the caller's memory for the duration of the call.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Number(f64),
    Floats(&'a [f64]),
    Bytes(&'a [u8]),
    Text(&'a str),
    /// An optional argument the caller left out.
    Missing,
}

/// A kernel's arguments, already checked against its [`Param`] list.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a>(pub &'a [Arg<'a>]);

impl<'a> Args<'a> {
    /// Number at `index`. Panics if the kernel's params say otherwise: a registry bug, and the
    /// pool turns that panic into a failed task.
    pub fn number(&self, index: usize) -> f64 {
        match self.0[index] {
            Arg::Number(n) => n,
            other => panic!("argument {index} is {other:?}, not a number"),
        }
    }

    /// A `Count` argument as an integer (the binding guarantees it fits).
    pub fn count(&self, index: usize) -> u64 {
        self.number(index) as u64
    }

    /// An optional `Count` argument, or `default` when it was left out.
    pub fn count_or(&self, index: usize, default: u64) -> u64 {
        match self.0.get(index) {
            None | Some(Arg::Missing) => default,
            Some(_) => self.count(index),
        }
    }

    pub fn floats(&self, index: usize) -> &'a [f64] {
        match self.0[index] {
            Arg::Floats(data) => data,
            other => panic!("argument {index} is {other:?}, not a Float64Array"),
        }
    }

    pub fn bytes(&self, index: usize) -> &'a [u8] {
        match self.0[index] {
            Arg::Bytes(data) => data,
            other => panic!("argument {index} is {other:?}, not a Uint8Array"),
        }
    }

    pub fn text(&self, index: usize) -> &'a str {
        match self.0[index] {
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
