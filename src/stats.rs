//! The pool's statistics as JavaScript objects (`lib/engine/stats.ts` shapes them for users).
use ferris_pool::{PoolStats, Summary};
use napi_derive::napi;

#[napi(object)]
pub struct NativeSummary {
    pub count: f64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub total: f64,
}

#[napi(object)]
pub struct NativeStats {
    pub workers: u32,
    /// Native tasks running on pool threads now.
    pub native_running: u32,
    /// External tasks holding a slot (handed out and not yet reported finished).
    pub external_running: u32,
    /// Worker tasks a worker isolate runs now (set by the executor, from its hub).
    pub worker_running: u32,
    /// Worker tasks handed out (each holding a slot) that no worker has taken yet.
    pub worker_waiting: u32,
    /// Milliseconds the longest-running of them has been running (0: none).
    pub oldest_worker_running_ms: f64,
    pub sleeping: u32,
    pub queued: f64,
    pub queued_high: f64,
    pub queued_normal: f64,
    pub queued_low: f64,
    pub started: f64,
    pub stolen: f64,
    pub panicked: f64,
    /// Milliseconds from enqueue to start.
    pub wait: NativeSummary,
    /// Milliseconds from start to finish.
    pub run: NativeSummary,
    /// Milliseconds the longest-running native task running now has been running (0: none).
    pub oldest_native_running_ms: f64,
    pub uptime_ms: f64,
}

fn ms(ns: f64) -> f64 {
    ns / 1e6
}

impl From<Summary> for NativeSummary {
    fn from(s: Summary) -> Self {
        NativeSummary {
            count: s.count as f64,
            min: ms(s.min as f64),
            mean: ms(s.mean),
            p50: ms(s.p50 as f64),
            p90: ms(s.p90 as f64),
            p99: ms(s.p99 as f64),
            max: ms(s.max as f64),
            total: ms(s.total as f64),
        }
    }
}

impl From<PoolStats> for NativeStats {
    fn from(s: PoolStats) -> Self {
        let [high, normal, low] = s.queued_by_priority.map(|n| n as f64);
        NativeStats {
            workers: s.workers as u32,
            native_running: s.native_running as u32,
            external_running: s.external_running as u32,
            worker_running: 0,
            worker_waiting: 0,
            oldest_worker_running_ms: 0.0,
            sleeping: s.sleeping as u32,
            queued: s.queued as f64,
            queued_high: high,
            queued_normal: normal,
            queued_low: low,
            started: s.started as f64,
            stolen: s.stolen as f64,
            panicked: s.panicked as f64,
            wait: s.wait.into(),
            run: s.run.into(),
            oldest_native_running_ms: s.oldest_native_running.as_secs_f64() * 1e3,
            uptime_ms: s.uptime.as_secs_f64() * 1e3,
        }
    }
}
