//! Process CPU and memory usage, read through sysinfo for this process only.
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use napi_derive::napi;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, MINIMUM_CPU_UPDATE_INTERVAL};

struct CpuMeter {
    system: System,
    pid: Pid,
    refreshed_at: Option<Instant>,
    percent: f64,
}

/// Process-wide, like the figure it measures; sysinfo computes CPU usage as a difference
/// between two refreshes, so the meter keeps the previous one.
static CPU: Mutex<Option<CpuMeter>> = Mutex::new(None);

fn refresh(meter: &mut CpuMeter) {
    meter.system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[meter.pid]),
        true,
        ProcessRefreshKind::nothing().with_cpu().with_memory(),
    );
    meter.refreshed_at = Some(Instant::now());
}

/// CPU used by this process since the previous reading, in percent of one core (so up to
/// 100 x cores). Readings closer together than sysinfo's minimum interval (200 ms) return the
/// previous figure; the first reading in a process starts the measurement and returns 0.
#[napi(catch_unwind)]
pub fn cpu_usage() -> f64 {
    let mut guard = CPU.lock().unwrap_or_else(PoisonError::into_inner);
    let meter = guard.get_or_insert_with(|| CpuMeter {
        system: System::new(),
        pid: sysinfo::get_current_pid().unwrap_or(Pid::from_u32(std::process::id())),
        refreshed_at: None,
        percent: 0.0,
    });
    match meter.refreshed_at {
        Some(at) if at.elapsed() < MINIMUM_CPU_UPDATE_INTERVAL => {}
        Some(_) => {
            refresh(meter);
            meter.percent = meter
                .system
                .process(meter.pid)
                .map_or(0.0, |p| f64::from(p.cpu_usage()));
        }
        None => refresh(meter),
    }
    meter.percent
}

/// Resident set size of this process in bytes.
#[napi(catch_unwind)]
pub fn memory_usage() -> f64 {
    let pid = Pid::from_u32(std::process::id());
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system.process(pid).map_or(0.0, |p| p.memory() as f64)
}
