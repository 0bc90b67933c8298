//! What kernels take and return.
use std::fmt;

/// The kind of one kernel parameter; the binding converts and checks JS values by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A non-negative integer no larger than 2^53 - 1 (a JS safe integer).
    Count,
    /// Any finite number.
    Number,
    /// A `Float64Array`, read in place.
    Float64Array,
    String,
}

impl Param {
    /// Short name of the kind, as listed by `listKernels()`.
    pub fn name(self) -> &'static str {
        match self {
            Param::Count => "count",
            Param::Number => "number",
            Param::Float64Array => "Float64Array",
            Param::String => "string",
        }
    }

    /// How the parameter is described in error messages and type listings.
    pub fn describe(self) -> &'static str {
        match self {
            Param::Count => "a non-negative safe integer",
            Param::Number => "a finite number",
            Param::Float64Array => "a Float64Array",
            Param::String => "a string",
        }
    }
}

/// One converted argument. Slices borrow the caller's memory for the duration of the call.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Number(f64),
    Floats(&'a [f64]),
    Text(&'a str),
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

    pub fn floats(&self, index: usize) -> &'a [f64] {
        match self.0[index] {
            Arg::Floats(data) => data,
            other => panic!("argument {index} is {other:?}, not a Float64Array"),
        }
    }

    pub fn text(&self, index: usize) -> &'a str {
        match self.0[index] {
            Arg::Text(text) => text,
            other => panic!("argument {index} is {other:?}, not a string"),
        }
    }
}

/// What a kernel returns.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Number(f64),
}

/// A kernel's own failure (bad argument values, or a failure of the computation).
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
