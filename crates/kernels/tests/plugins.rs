//! The host side of the plugin ABI against a plugin written in C with only the header
//! (`tests/c/raw_plugin.c`), compiled here by the system C compiler (`$CC`, else `cc`):
//! loading, every refusal, arguments and results of each kind, fork-join and parallel ranges
//! through the host pool, cancellation, and errors and panics reported by the plugin.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::{pool, Outcome, PATIENCE};
use ferris_kernels::{find, get, register_plugin, Arg, KernelError, Param, Value};
use ferris_pool::{Job, Priority};

/// A fresh directory for this test process's libraries.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ferris-plugin-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// File name of a shared library called `name` on this platform.
fn library_name(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Compiles `source` (a path under `tests/c`, or C text) into the shared library `name`, with
/// `defines`; each name is built once per process.
fn compile(name: &str, source: &str, defines: &[&str]) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap();
    let out = scratch().join(library_name(name));
    if built.iter().any(|b| b == name) {
        return out;
    }
    let source = if source.ends_with(".c") {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/c")
            .join(source)
    } else {
        let file = scratch().join(format!("{name}.c"));
        std::fs::write(&file, source).unwrap();
        file
    };
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&compiler)
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&out)
        .arg(&source)
        .args(defines.iter().map(|d| format!("-D{d}")))
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {compiler:?}: {e}"));
    assert!(
        status.success(),
        "{compiler} failed on {}",
        source.display()
    );
    built.push(name.to_string());
    out
}

/// The C plugin with its kernels named `c.*`, registered once.
fn c_plugin() -> PathBuf {
    let path = compile("raw_plugin", "raw_plugin.c", &[]);
    register_plugin(&path).expect("the C plugin registers");
    path
}

/// Calls registered kernel `name` on a pool of `workers`, with a time limit if given.
fn call(workers: usize, name: &str, args: Vec<Arg<'static>>, limit: Option<Duration>) -> Outcome {
    let (pool, rx) = pool(workers);
    let (_, kernel) = find(name).unwrap_or_else(|| panic!("{name} is registered"));
    let job = Job::Native(Box::new(move |ctx| {
        let raw: Vec<_> = args.iter().map(|a| a.raw()).collect();
        kernel.call(&raw, ctx).map(|output| output.to_value())
    }));
    pool.submit_with_limit(Priority::Normal, 0, job, limit)
        .unwrap();
    rx.recv_timeout(PATIENCE).unwrap()
}

fn leak<T>(data: Vec<T>) -> &'static [T] {
    Vec::leak(data)
}

#[test]
fn a_c_plugin_registers_its_kernels_with_their_parameters() {
    let path = c_plugin();
    let indices = register_plugin(&path).unwrap();
    let names: Vec<_> = indices
        .iter()
        .map(|&i| get(i).unwrap().name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "c.add",
            "c.sum",
            "c.double",
            "c.bytes",
            "c.wait",
            "c.static",
            "c.meet",
            "c.counted",
            "c.frees"
        ]
    );
    let (_, add) = find("c.add").unwrap();
    assert_eq!(add.params, [Param::Number, Param::Number]);
    assert_eq!(add.required(), 1);
    assert_eq!(find("c.wait").unwrap().1.params, []);
}

#[test]
fn the_same_library_again_by_another_path_gives_the_same_kernels_without_reloading() {
    let path = c_plugin();
    let first = register_plugin(&path).unwrap();
    let dotted = path
        .parent()
        .unwrap()
        .join(".")
        .join(path.file_name().unwrap());
    assert_eq!(register_plugin(&dotted).unwrap(), first);
}

#[test]
fn numbers_and_optional_arguments_cross_the_boundary() {
    c_plugin();
    let two = call(1, "c.add", vec![Arg::Number(1.5), Arg::Number(0.5)], None);
    assert_eq!(two, Ok(Ok(Value::Number(2.0))));
    let one = call(1, "c.add", vec![Arg::Number(1.5), Arg::Missing], None);
    assert_eq!(one, Ok(Ok(Value::Number(2.5))));
}

#[test]
fn join_runs_both_halves_on_the_host_pool() {
    c_plugin();
    let data: Vec<f64> = (1..=100_001).map(f64::from).collect();
    let sum = call(2, "c.sum", vec![Arg::Floats(leak(data))], None);
    assert_eq!(sum, Ok(Ok(Value::Number(5_000_150_001.0))));
}

#[test]
fn the_halves_of_a_join_run_at_the_same_time_on_two_workers() {
    c_plugin();
    // Each half waits for the other; on a serial join the first would wait until the limit.
    let met = call(2, "c.meet", vec![], Some(PATIENCE));
    assert_eq!(met, Ok(Ok(Value::Number(2.0))));
}

#[test]
fn for_range_covers_the_range_once_and_the_array_comes_back_through_the_plugins_free() {
    c_plugin();
    for workers in [1, 2] {
        let data: Vec<f64> = (0..50_000).map(f64::from).collect();
        let expected: Vec<f64> = data.iter().map(|x| 2.0 * x).collect();
        let doubled = call(workers, "c.double", vec![Arg::Floats(leak(data))], None);
        assert_eq!(doubled, Ok(Ok(Value::Float64Array(expected))));
    }
    let empty = call(1, "c.double", vec![Arg::Floats(&[])], None);
    assert_eq!(empty, Ok(Ok(Value::Float64Array(vec![]))));
}

#[test]
fn every_returned_array_is_given_back_to_the_plugin_once() {
    c_plugin();
    for _ in 0..5 {
        let bytes = call(1, "c.counted", vec![], None);
        assert_eq!(bytes, Ok(Ok(Value::Uint8Array(b"abc".to_vec()))));
    }
    // `call` copies each result and drops it: the plugin's free function ran once for each.
    assert_eq!(call(1, "c.frees", vec![], None), Ok(Ok(Value::Number(5.0))));
}

#[test]
fn strings_bytes_and_kernel_errors_cross_the_boundary() {
    c_plugin();
    let bytes = call(1, "c.bytes", vec![Arg::Text("héllo")], None);
    assert_eq!(
        bytes,
        Ok(Ok(Value::Uint8Array("héllo".as_bytes().to_vec())))
    );
    let error = call(1, "c.bytes", vec![Arg::Text("")], None);
    assert_eq!(error, Ok(Err(KernelError::new("empty text"))));
}

#[test]
fn a_panic_the_plugin_reports_reaches_the_pool_as_a_panic() {
    c_plugin();
    let outcome = call(1, "c.static", vec![], None);
    assert_eq!(outcome, Err("reported from C".to_string()));
}

#[test]
fn the_cancellation_flag_and_the_worker_count_reach_the_plugin() {
    c_plugin();
    // c.wait only returns once it sees the flag: a time limit must raise it.
    let outcome = call(3, "c.wait", vec![], Some(Duration::from_millis(20)));
    assert_eq!(outcome, Ok(Ok(Value::Number(3.0))));
}

fn refusal(path: &Path) -> String {
    let error = register_plugin(path).expect_err("the library is refused");
    assert_eq!(error.path, path.display().to_string());
    error.reason
}

#[test]
fn a_missing_file_is_refused() {
    let reason = refusal(&scratch().join("no-such-plugin.so"));
    assert_eq!(reason, "no such file");
}

#[test]
fn a_file_that_is_not_a_shared_library_is_refused() {
    let path = scratch().join(library_name("text"));
    std::fs::write(&path, "not a library").unwrap();
    assert!(refusal(&path).starts_with("not a loadable shared library"));
}

#[test]
fn a_library_without_the_entry_point_is_refused() {
    let path = compile("no_entry", "int something(void) { return 1; }\n", &[]);
    let reason = refusal(&path);
    assert!(
        reason.contains("does not export ferris_kernel_abi_version"),
        "{reason}"
    );
}

#[test]
fn a_library_of_another_abi_version_is_refused_before_its_table_is_read() {
    // Its table would also fail (an unknown parameter kind): the version must be seen first.
    let path = compile(
        "wrong_version",
        "raw_plugin.c",
        &["WRONG_VERSION", "UNKNOWN_PARAM", "PREFIX=\"v2.\""],
    );
    let reason = refusal(&path);
    assert!(
        reason.contains("built for kernel ABI version 2"),
        "{reason}"
    );
    assert!(find("v2.add").is_none());
}

#[test]
fn an_unknown_parameter_kind_is_refused_and_registers_nothing() {
    let path = compile(
        "unknown_param",
        "raw_plugin.c",
        &["UNKNOWN_PARAM", "PREFIX=\"bad.\""],
    );
    let reason = refusal(&path);
    assert!(reason.contains("parameter 2 of kind 99"), "{reason}");
    assert!(
        find("bad.sum").is_none(),
        "a kernel of a refused plugin was registered"
    );
}

#[test]
fn an_optional_parameter_that_is_not_numeric_is_refused() {
    let path = compile(
        "optional_text",
        "raw_plugin.c",
        &["OPTIONAL_TEXT", "PREFIX=\"opt.\""],
    );
    let reason = refusal(&path);
    assert!(
        reason.contains("\"opt.bytes\" makes parameter 1 (string) optional"),
        "{reason}"
    );
    assert!(find("opt.add").is_none());
}

#[test]
fn a_name_already_registered_is_refused() {
    let path = c_plugin();
    let copy = scratch().join(library_name("copy_of_raw_plugin"));
    std::fs::copy(&path, &copy).unwrap();
    let reason = refusal(&copy);
    assert!(
        reason.contains("\"c.add\" is already registered"),
        "{reason}"
    );
}
