//! Delivery settings: async or sync export, the queue's byte bound, retries, the spill store.
//! MLflow's variable names where MLflow has one (`MLFLOW_ENABLE_ASYNC_TRACE_LOGGING`,
//! `MLFLOW_ASYNC_TRACE_LOGGING_*`), `FERROTRACE_*` otherwise.

use std::path::PathBuf;
use std::time::Duration;

/// How traces travel from the queue to their destinations.
/// The local store's size cap when `FERROTRACE_LOCAL_MAX_BYTES` is not set: 1 GiB.
pub const DEFAULT_LOCAL_MAX_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq)]
pub struct DeliverySettings {
    /// `MLFLOW_ENABLE_ASYNC_TRACE_LOGGING` (default true). `false`: ending a root span waits
    /// until its trace is delivered (or spilled), at most [`DeliverySettings::sync_timeout`].
    pub async_logging: bool,
    /// `FERROTRACE_SYNC_EXPORT_TIMEOUT` seconds (default 10): the longest a root span's end
    /// waits in sync mode.
    pub sync_timeout: Duration,
    /// `FERROTRACE_MAX_QUEUE_BYTES` (default 64 MiB): estimated bytes of queued traces; beyond
    /// it (or beyond the trace count) traces go to the overflow spill.
    pub max_queue_bytes: u64,
    /// `MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT` seconds (default 30): how long a batch is
    /// retried before it is spilled.
    pub retry_timeout: Duration,
    /// `MLFLOW_ASYNC_TRACE_LOGGING_MAX_WORKERS` (default 4): trace-info requests in flight at
    /// once per MLflow destination.
    pub max_workers: usize,
    /// `FERROTRACE_SPILL` (default true): keep undeliverable traces on disk instead of dropping.
    pub spill: bool,
    /// `FERROTRACE_SPILL_DIR`: the spill root; each destination spills into its own sub-folder.
    pub spill_dir: PathBuf,
    /// `FERROTRACE_SPILL_MAX_BYTES` (default 1 GiB): the spill folder of one destination is
    /// kept under this; the oldest traces go first (counted as `spill_full`).
    pub spill_max_bytes: u64,
    /// `FERROTRACE_LOCAL_MAX_BYTES` (default 1 GiB): the local store folder is kept under this;
    /// the oldest segments go first (counted as `local_store_rotated`).
    pub local_max_bytes: u64,
    /// `FERROTRACE_PROBE_MAX_INTERVAL` seconds (default 30): while a destination is down it is
    /// probed with doubling waits from 0.5 s up to this.
    pub probe_max_interval: Duration,
    /// `FERROTRACE_EXPORT_NICE` (default 10, 0 to 19; Linux): how much lower than the
    /// application's the scheduling priority of the export and spill threads is. When the
    /// machine's cores are all busy, the application's threads run first and delivery waits
    /// (queued, then spilled, never lost); with a core to spare, delivery runs as fast as ever.
    pub export_nice: i32,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            async_logging: true,
            sync_timeout: Duration::from_secs(10),
            max_queue_bytes: 64 << 20,
            retry_timeout: Duration::from_secs(30),
            max_workers: 4,
            spill: true,
            spill_dir: default_spill_dir(|k| std::env::var(k).ok()),
            spill_max_bytes: 1 << 30,
            local_max_bytes: DEFAULT_LOCAL_MAX_BYTES,
            probe_max_interval: Duration::from_secs(30),
            export_nice: 10,
        }
    }
}

/// `$XDG_CACHE_HOME/ferrotrace/spill`, else `~/.cache/ferrotrace/spill`, else the temp folder:
/// stable across processes of one user, so a later process finds what an earlier one left.
fn default_spill_dir(get: impl Fn(&str) -> Option<String>) -> PathBuf {
    let cache = get("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            get("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        });
    match cache {
        Some(c) => c.join("ferrotrace").join("spill"),
        None => std::env::temp_dir().join("ferrotrace-spill"),
    }
}

impl DeliverySettings {
    pub(crate) fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Self {
        let mut d = DeliverySettings {
            spill_dir: default_spill_dir(get),
            ..DeliverySettings::default()
        };
        let mut flag = |var: &str, slot: &mut bool| {
            if let Some(v) = get(var) {
                match v.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => *slot = true,
                    "false" | "0" | "no" | "off" => *slot = false,
                    _ => warnings.push(format!(
                        "invalid value for {var}: {v:?} (use true or false); using {slot}"
                    )),
                }
            }
        };
        flag("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", &mut d.async_logging);
        flag("FERROTRACE_SPILL", &mut d.spill);
        let mut seconds = |var: &str, slot: &mut Duration| {
            if let Some(v) = get(var) {
                match v.parse::<f64>() {
                    Ok(s) if s.is_finite() && s >= 0.0 => *slot = crate::config::duration_secs(s),
                    _ => warnings.push(format!(
                        "invalid value for {var}: {v:?} (must be seconds >= 0); using {}",
                        slot.as_secs_f64()
                    )),
                }
            }
        };
        seconds("FERROTRACE_SYNC_EXPORT_TIMEOUT", &mut d.sync_timeout);
        seconds(
            "MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT",
            &mut d.retry_timeout,
        );
        seconds("FERROTRACE_PROBE_MAX_INTERVAL", &mut d.probe_max_interval);
        let mut count = |var: &str, slot: &mut u64| {
            if let Some(v) = get(var) {
                match v.parse::<u64>() {
                    Ok(n) if n > 0 => *slot = n,
                    _ => warnings.push(format!(
                        "invalid value for {var}: {v:?} (must be a positive integer); using {slot}"
                    )),
                }
            }
        };
        count("FERROTRACE_MAX_QUEUE_BYTES", &mut d.max_queue_bytes);
        count("FERROTRACE_SPILL_MAX_BYTES", &mut d.spill_max_bytes);
        count("FERROTRACE_LOCAL_MAX_BYTES", &mut d.local_max_bytes);
        let mut workers = d.max_workers as u64;
        count("MLFLOW_ASYNC_TRACE_LOGGING_MAX_WORKERS", &mut workers);
        d.max_workers = workers.clamp(1, 64) as usize;
        if let Some(v) = get("FERROTRACE_EXPORT_NICE") {
            match v.trim().parse::<i32>() {
                Ok(n) if (0..=19).contains(&n) => d.export_nice = n,
                _ => warnings.push(format!(
                    "invalid value for FERROTRACE_EXPORT_NICE: {v:?} (must be 0 to 19); using {}",
                    d.export_nice
                )),
            }
        }
        if let Some(dir) = get("FERROTRACE_SPILL_DIR").filter(|v| !v.is_empty()) {
            d.spill_dir = PathBuf::from(dir);
        }
        d
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod local_cap_tests {
    use super::*;

    fn from(v: &str) -> (DeliverySettings, Vec<String>) {
        let mut w = Vec::new();
        let get = |k: &str| (k == "FERROTRACE_LOCAL_MAX_BYTES").then(|| v.to_owned());
        (DeliverySettings::from_lookup(&get, &mut w), w)
    }

    #[test]
    fn the_local_store_cap_is_read_and_checked() {
        assert_eq!(DeliverySettings::default().local_max_bytes, 1 << 30);
        assert_eq!(from("5000000").0.local_max_bytes, 5_000_000);
        for bad in ["0", "-1", "1GB", "lots"] {
            let (d, w) = from(bad);
            assert_eq!(d.local_max_bytes, 1 << 30, "{bad}");
            assert!(w[0].contains("FERROTRACE_LOCAL_MAX_BYTES"), "{w:?}");
        }
    }
}
