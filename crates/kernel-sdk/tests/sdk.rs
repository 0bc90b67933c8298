//! The plugin side of the ABI as the SDK implements it, driven by a minimal host written
//! here (serial join and range, a cancellation flag): the table a macro builds, arguments,
//! results and their free function, and errors and panics that must come back as results,
//! never as an unwind.
use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};

use ferris_kernel_sdk::abi::{self, PluginDesc, RangeFn, RawArg, RawContext, RawResult, TaskFn};
use ferris_kernel_sdk::{kernel_table, Arg, Args, Context, KernelError, Param, Value};

/// The test host's state behind `RawContext::host`.
struct Host {
    cancelled: AtomicBool,
}

/// Pieces the test host cuts a range into when the kernel leaves the grain to it.
const HOST_GRAIN: usize = 7;

unsafe fn host<'a>(ctx: *const RawContext) -> &'a Host {
    unsafe { &*(*ctx).host.cast::<Host>() }
}

unsafe extern "C" fn is_cancelled(ctx: *const RawContext) -> bool {
    unsafe { host(ctx) }.cancelled.load(Ordering::Relaxed)
}

unsafe extern "C" fn workers(_ctx: *const RawContext) -> usize {
    3
}

unsafe extern "C" fn join(
    ctx: *const RawContext,
    a: TaskFn,
    a_data: *mut c_void,
    b: TaskFn,
    b_data: *mut c_void,
) {
    unsafe {
        a(ctx, a_data);
        b(ctx, b_data);
    }
}

unsafe extern "C" fn for_range(
    ctx: *const RawContext,
    start: usize,
    end: usize,
    grain: usize,
    body: RangeFn,
    data: *mut c_void,
) {
    let grain = if grain == 0 { HOST_GRAIN } else { grain };
    let mut at = start;
    while at < end && !unsafe { is_cancelled(ctx) } {
        let to = (at + grain).min(end);
        unsafe { body(ctx, data, at, to) };
        at = to;
    }
}

/// Calls entry `index` of `table` with `args` and returns its raw result.
fn call(table: &PluginDesc, index: usize, args: &[Arg<'_>], cancelled: bool) -> RawResult {
    let state = Host {
        cancelled: AtomicBool::new(cancelled),
    };
    let ctx = RawContext {
        host: (&state as *const Host).cast(),
        is_cancelled,
        workers,
        join,
        for_range,
    };
    let raw: Vec<RawArg> = args.iter().map(|a| a.raw()).collect();
    let desc = unsafe { &*table.kernels.add(index) };
    let mut out = RawResult::null();
    unsafe { (desc.run.unwrap())(&ctx, raw.as_ptr(), raw.len(), &mut out) };
    out
}

/// Copies a result out as a `Value` or an error message, and frees it.
fn take(result: RawResult) -> Result<Value, (u32, String)> {
    let bytes = |r: &RawResult| unsafe { std::slice::from_raw_parts(r.data.cast::<u8>(), r.len) };
    let value = match result.tag {
        abi::RESULT_NULL => Ok(Value::Null),
        abi::RESULT_NUMBER => Ok(Value::Number(result.number)),
        abi::RESULT_FLOAT64ARRAY => Ok(Value::Float64Array(
            unsafe { std::slice::from_raw_parts(result.data.cast::<f64>(), result.len) }.to_vec(),
        )),
        abi::RESULT_UINT32ARRAY => Ok(Value::Uint32Array(
            unsafe { std::slice::from_raw_parts(result.data.cast::<u32>(), result.len) }.to_vec(),
        )),
        abi::RESULT_UINT8ARRAY => Ok(Value::Uint8Array(bytes(&result).to_vec())),
        tag => Err((tag, String::from_utf8(bytes(&result).to_vec()).unwrap())),
    };
    if let Some(free) = result.free {
        unsafe { free(result.tag, result.data, result.len) };
    }
    value
}

fn echo(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Ok(match args.get(0) {
        Arg::Number(n) => Value::Number(n),
        Arg::Floats(data) => Value::Float64Array(data.to_vec()),
        Arg::Bytes(data) => Value::Uint8Array(data.to_vec()),
        Arg::Text(text) => Value::Uint32Array(text.chars().map(u32::from).collect()),
        Arg::Missing => Value::Null,
    })
}

fn count_or_seven(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Ok(Value::Number(args.count_or(1, 7) as f64 + args.number(0)))
}

fn fail(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Err(KernelError::new(args.text(0)))
}

fn panics(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    panic!("kernel says {}", args.text(0))
}

fn panics_in_a_half(_args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let (a, ()) = ctx.join(|_| 1, |_| panic!("the right half"));
    Ok(Value::Number(a as f64))
}

fn wrong_kind(args: &Args<'_>, _ctx: &Context<'_>) -> Result<Value, KernelError> {
    Ok(Value::Number(args.number(0)))
}

/// Squares of 0..n written piece by piece, plus the number of pieces.
fn squares(args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    let mut out = vec![0.0; args.count(0) as usize];
    let pieces = std::sync::atomic::AtomicUsize::new(0);
    ctx.for_each_chunk_mut(&mut out, args.count(1) as usize, &|_, first, chunk| {
        pieces.fetch_add(1, Ordering::Relaxed);
        for (i, y) in chunk.iter_mut().enumerate() {
            *y = ((first + i) * (first + i)) as f64;
        }
    })?;
    out.push(pieces.into_inner() as f64);
    Ok(Value::Float64Array(out))
}

fn panics_in_a_piece(_args: &Args<'_>, ctx: &Context<'_>) -> Result<Value, KernelError> {
    ctx.for_range(0..100, 10, &|_, piece| {
        assert!(piece.start != 50, "piece 50")
    })?;
    Ok(Value::Null)
}

kernel_table! {
    static TABLE = {
        "echo"(Float64Array) => echo,
        "countOr"(Number; Count) => count_or_seven,
        "fail"(String) => fail,
        "panics"(String) => panics,
        "halfPanics"() => panics_in_a_half,
        "wrongKind"(String) => wrong_kind,
        "squares"(Count, Count) => squares,
        "piecePanics"() => panics_in_a_piece,
    }
}

#[test]
fn the_table_lists_names_parameter_codes_and_optional_counts() {
    assert_eq!(TABLE.n_kernels, 8);
    let descs = unsafe { std::slice::from_raw_parts(TABLE.kernels, TABLE.n_kernels) };
    let name = |i: usize| unsafe { CStr::from_ptr(descs[i].name) }.to_str().unwrap();
    let params =
        |i: usize| unsafe { std::slice::from_raw_parts(descs[i].params, descs[i].n_params) };
    assert_eq!(name(0), "echo");
    assert_eq!(params(0), [abi::PARAM_FLOAT64ARRAY]);
    assert_eq!(name(1), "countOr");
    assert_eq!(params(1), [abi::PARAM_NUMBER, abi::PARAM_COUNT]);
    assert_eq!((descs[0].optional, descs[1].optional), (0, 1));
    assert_eq!((name(4), descs[4].n_params), ("halfPanics", 0));
    assert_eq!(Param::from_code(abi::PARAM_STRING), Some(Param::String));
    assert_eq!(Param::from_code(0), None);
}

#[test]
fn every_argument_kind_comes_through_and_results_are_freed_by_the_sdk() {
    let floats = [1.5, -2.0];
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Floats(&floats)], false)),
        Ok(Value::Float64Array(floats.to_vec()))
    );
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Bytes(b"ab")], false)),
        Ok(Value::Uint8Array(b"ab".to_vec()))
    );
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Text("hé")], false)),
        Ok(Value::Uint32Array(vec![104, 233]))
    );
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Number(4.0)], false)),
        Ok(Value::Number(4.0))
    );
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Missing], false)),
        Ok(Value::Null)
    );
    assert_eq!(
        take(call(&TABLE, 0, &[Arg::Floats(&[])], false)),
        Ok(Value::Float64Array(vec![]))
    );
}

#[test]
fn an_optional_argument_left_out_takes_its_default() {
    let given = call(&TABLE, 1, &[Arg::Number(0.5), Arg::Number(2.0)], false);
    assert_eq!(take(given), Ok(Value::Number(2.5)));
    let missing = call(&TABLE, 1, &[Arg::Number(0.5), Arg::Missing], false);
    assert_eq!(take(missing), Ok(Value::Number(7.5)));
}

#[test]
fn a_kernel_error_becomes_an_error_result_with_its_message() {
    let result = call(&TABLE, 2, &[Arg::Text("bad input")], false);
    assert!(result.free.is_some());
    assert_eq!(
        take(result),
        Err((abi::RESULT_ERROR, "bad input".to_string()))
    );
}

#[test]
fn panics_become_panic_results_instead_of_unwinding() {
    // Each message is the panic's, then where it happened (this file), also for the panic of
    // a forked half or piece, resumed on the calling thread.
    for (index, message) in [
        (3, "kernel says oops"),
        (4, "the right half"),
        (7, "piece 50"),
    ] {
        let args: &[Arg] = if index == 3 {
            &[Arg::Text("oops")]
        } else {
            &[]
        };
        let (tag, text) = take(call(&TABLE, index, args, false)).unwrap_err();
        assert_eq!(tag, abi::RESULT_PANIC);
        assert!(
            text.starts_with(&format!("{message} (at crates/kernel-sdk/tests/sdk.rs:")),
            "{text}"
        );
    }
    // An argument read as the wrong kind is a kernel bug: a panic, not a crash.
    let (tag, message) = take(call(&TABLE, 5, &[Arg::Text("x")], false)).unwrap_err();
    assert_eq!(tag, abi::RESULT_PANIC);
    assert!(message.contains("not a number"), "{message}");
}

#[test]
fn for_each_chunk_mut_writes_every_element_once_in_pieces_of_the_grain() {
    let mut expected: Vec<f64> = (0..100).map(|i| (i * i) as f64).collect();
    expected.push(10.0); // 100 elements in pieces of 10
    let chosen = call(&TABLE, 6, &[Arg::Number(100.0), Arg::Number(10.0)], false);
    assert_eq!(take(chosen), Ok(Value::Float64Array(expected)));
    // Grain 0 leaves it to the host: 100 elements in pieces of 7.
    let Ok(Value::Float64Array(by_host)) = take(call(
        &TABLE,
        6,
        &[Arg::Number(100.0), Arg::Number(0.0)],
        false,
    )) else {
        panic!("squares failed")
    };
    assert_eq!(by_host[100], 15.0);
}

#[test]
fn a_cancelled_range_reports_cancelled_as_a_kernel_error() {
    let result = call(&TABLE, 6, &[Arg::Number(100.0), Arg::Number(10.0)], true);
    assert_eq!(
        take(result),
        Err((abi::RESULT_ERROR, "the task was cancelled".to_string()))
    );
}
