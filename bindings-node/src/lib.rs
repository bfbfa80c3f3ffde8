//! Node glue for ferrotrace: converts values and calls the core. All logic lives in
//! `ferrotrace-core`; the TypeScript facade (`ts/`) holds the current span in AsyncLocalStorage
//! and passes parents explicitly.
//!
//! Every export uses `catch_unwind`: a panic becomes a JS error (which the facade swallows on hot
//! paths) instead of aborting the process.

pub mod batch;
pub mod errors;
pub mod handle;
pub mod leaf;
pub mod llm;
pub mod mlflow;
pub mod raw;
pub mod recent;
pub mod slots;
pub mod span;
pub mod ui;

use std::collections::BTreeMap;
use std::time::Duration;

use ferrotrace_core::global;
use ferrotrace_core::model::TraceDict;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Error, Result, Task};
use napi_derive::napi;
use serde_json::{Map, Value};

/// Parses a JSON object text; anything else is an empty map (values come from our own capture).
pub(crate) fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A JSON object of strings as a map; non-string values keep their JSON text.
pub(crate) fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(m)) = v else {
        return BTreeMap::new();
    };
    m.iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

// ---- cold path: process-wide functions ------------------------------------------------------

pub struct FlushTask {
    timeout: Duration,
}

impl Task for FlushTask {
    type Output = bool;
    type JsValue = bool;

    // Runs on the libuv thread pool, so the JS thread never waits on the export worker.
    fn compute(&mut self) -> Result<bool> {
        Ok(global().flush(self.timeout))
    }

    fn resolve(&mut self, _env: Env, output: bool) -> Result<bool> {
        Ok(output)
    }
}

fn millis(ms: f64) -> Duration {
    if ms.is_finite() && ms > 0.0 {
        Duration::from_secs_f64(ms / 1000.0)
    } else {
        Duration::ZERO
    }
}

/// Resolves `true` once every trace ended so far reached its destination, `false` on timeout.
#[napi(catch_unwind, ts_return_type = "Promise<boolean>")]
pub fn flush(timeout_ms: f64) -> AsyncTask<FlushTask> {
    AsyncTask::new(FlushTask {
        timeout: millis(timeout_ms),
    })
}

/// The process `exit` hook, where no asynchronous work can run any more: a blocking, bounded
/// delivery of what is queued; the core reports on stderr whatever was not delivered.
/// `open_roots`: traced calls still running whose root span the facade started lazily (the core
/// has not seen them), counted as dropped (`open_at_exit`) with the core's own open traces.
#[napi(catch_unwind)]
pub fn exit_sync(timeout_ms: f64, open_roots: Option<f64>) -> bool {
    let open = open_roots
        .filter(|n| n.is_finite() && *n > 0.0)
        .unwrap_or(0.0) as u64;
    global().exit_with_open(millis(timeout_ms), open)
}

/// A blocking, bounded flush for the `exit` event of a worker thread: unlike [`exit_sync`] it
/// leaves the process-wide export worker running for the other threads.
#[napi(catch_unwind)]
pub fn flush_sync(timeout_ms: f64) -> bool {
    global().flush(millis(timeout_ms))
}

/// The tracer's counters (`StatsSnapshot`) as JSON text.
#[napi(catch_unwind)]
pub fn stats() -> String {
    serde_json::to_string(&global().stats()).unwrap_or_else(|_| "{}".to_owned())
}

#[napi(catch_unwind)]
pub fn last_trace_id() -> Option<String> {
    global().last_trace_id().map(|t| t.to_mlflow())
}

/// Traces kept by the memory destination, as a JSON array of MLflow trace dicts.
#[napi(catch_unwind)]
pub fn memory_traces() -> String {
    let dicts: Vec<TraceDict> = global()
        .memory_traces()
        .iter()
        .map(TraceDict::from)
        .collect();
    serde_json::to_string(&dicts).unwrap_or_else(|_| "[]".to_owned())
}

#[napi(catch_unwind)]
pub fn clear_memory() {
    global().clear_memory();
}

/// Reads a local store folder: `{"traces": [trace dicts], "warnings": [..]}` as JSON text.
#[napi(catch_unwind)]
pub fn read_local_store(dir: String) -> Result<String> {
    let read = ferrotrace_core::store::read_store(std::path::Path::new(&dir))
        .map_err(|e| Error::from_reason(format!("cannot read {dir}: {e}")))?;
    let v = serde_json::json!({"traces": read.traces, "warnings": read.warnings});
    Ok(v.to_string())
}

/// Changes the configuration from a JSON object of JS-named settings (see
/// [`mlflow::update_from`]): `destination` (`"local"` | `"memory"`), `localDir`, `samplingRatio`,
/// `exitTimeout` (seconds), and the MLflow server settings `init` takes. Throws on an invalid
/// value, naming it; nothing changes then.
#[napi(catch_unwind)]
pub fn configure(env: Env, json: String) -> Result<()> {
    let r = mlflow::update_from(&object(&json)).and_then(mlflow::apply);
    errors::with_code(&env, errors::CONFIG, r)
}

/// The configuration in force, the core's view (`ferrotrace_core::api::config_view`: the keys
/// Python's `config()` has) with camelCase keys: `{destination, localDir, samplingRatio,
/// exitTimeout, trackingUri, experimentId, experimentName, otlpEndpoint, otlpDualExport, otlpSemconv}` (never
/// a credential).
#[napi(catch_unwind)]
pub fn config() -> String {
    let view = ferrotrace_core::api::config_view::config_view(&global().config());
    let Value::Object(m) = view else {
        return "{}".to_owned();
    };
    let camel: Map<String, Value> = m
        .into_iter()
        .map(|(k, v)| (ferrotrace_core::config::NameStyle::Camel.name(&k), v))
        .collect();
    Value::Object(camel).to_string()
}

/// Value size caps shared with the other bindings, as JSON text.
#[napi(catch_unwind)]
pub fn caps() -> String {
    ferrotrace_core::model::caps::caps_json()
}

/// Sets metadata added to every trace (source name/type, user). Takes a JSON object of strings.
#[napi(catch_unwind)]
pub fn set_process_metadata(json: String) {
    let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    global().set_process_metadata(string_map(Some(&v)));
}

/// The most recent warnings the tracer printed about itself.
#[napi(catch_unwind)]
pub fn recent_warnings() -> Vec<String> {
    ferrotrace_core::diag::recent_warnings()
}
