//! The trace-level API both bindings call (`set_trace_tag`, assessments, `get_trace`,
//! `search_traces`, `delete_traces`), on whichever backend is configured: the MLflow server of
//! the tracking URI, else the local store folder. One entry point, [`call`], takes an operation
//! name and JSON arguments and returns JSON, so a binding only converts values.
//!
//! ```
//! use ferrotrace_core::{api, config::Config, Tracer};
//! use serde_json::json;
//! let dir = tempfile::tempdir().unwrap();
//! let tracer = Tracer::new(Config { local_dir: dir.path().to_owned(), ..Config::default() });
//! let root = tracer.start_root("answer", Default::default());
//! let id = root.context().trace_id().to_mlflow();
//! root.end(None);
//! api::call(&tracer, "set_trace_tag", &json!({"trace_id": id, "key": "k", "value": "v"})).unwrap();
//! let t = api::call(&tracer, "get_trace", &json!({"trace_id": id})).unwrap();
//! assert_eq!(t["info"]["tags"]["k"], "v");
//! ```

mod assessments;
pub mod config_view;
mod experiments;
mod mlflow;
mod server;

pub use mlflow::MlflowApi;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::store::local;
use crate::store::search::Query;
use crate::Tracer;

/// Where trace-level calls go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The MLflow server of the tracking URI.
    Server,
    /// The local store folder.
    Local(PathBuf),
    /// The in-memory destination (tests): reads from this process's recent traces only.
    Memory,
}

/// The backend `tracer`'s configuration selects.
pub fn backend(tracer: &Tracer) -> Backend {
    let cfg = tracer.config();
    if cfg.tracking_uri.is_some() {
        Backend::Server
    } else if cfg.memory {
        Backend::Memory
    } else {
        Backend::Local(cfg.local_dir)
    }
}

/// Trace ids annotated (tagged, assessed) by this process: their copy in the recent-traces
/// cache is stale, so `get_trace` asks the backend.
fn annotated() -> &'static Mutex<HashSet<String>> {
    static SET: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SET.get_or_init(Default::default)
}

fn mark_annotated(trace_id: &str) {
    let mut set = annotated().lock().unwrap_or_else(|e| e.into_inner());
    // Bounded: past this, every get_trace of an annotated trace asks the backend anyway.
    if set.len() >= 100_000 {
        set.clear();
    }
    set.insert(trace_id.to_owned());
}

fn is_annotated(trace_id: &str) -> bool {
    annotated()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(trace_id)
}

/// How long a call waits for queued traces to be written before it looks for them.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

fn arg<'a>(args: &'a Value, key: &str) -> Result<&'a str> {
    args[key]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::InvalidArgument(format!("`{key}` is required")))
}

fn opt_u64(args: &Value, key: &str) -> Option<u64> {
    args[key]
        .as_u64()
        .or_else(|| args[key].as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// Runs one operation. `op` and its arguments (`args`, a JSON object):
///
/// - `set_trace_tag` `{trace_id, key, value}`, `delete_trace_tag` `{trace_id, key}` → `null`
/// - `log_assessment` `{trace_id, assessment}` (MLflow's REST JSON) → the stored assessment
/// - `get_assessment` / `delete_assessment` `{trace_id, assessment_id}`
/// - `update_assessment` `{trace_id, assessment_id, assessment}`: the fields to change
///   (`assessment_name`, `feedback` / `expectation`, `rationale`, `metadata`; or a bare `value` /
///   `error` for the kind the assessment is) → the assessment as stored
/// - `override_feedback` `{trace_id, assessment_id, assessment}`: a new feedback (value,
///   rationale, source, metadata) that overrides the old one → the new assessment
/// - `get_trace` `{trace_id, timeout_ms?}` → `Trace.to_dict()` JSON or `null`
/// - `search_traces` `{experiment_ids?, filter?, max_results?, order_by?, page_token?,
///   include_spans?}` → `{traces, next_page_token}`
/// - `delete_traces` `{experiment_id?, max_timestamp_millis?, max_traces?, trace_ids?}` →
///   `{deleted}`
/// - `create_experiment` `{name, artifact_location?, tags?}` → `{experiment_id}`;
///   `get_experiment` `{experiment_id}` / `get_experiment_by_name` `{name}` → the experiment or
///   `null`; `delete_experiment` `{experiment_id}`; `search_experiments` `{filter?,
///   max_results?, order_by?, view_type?}` → `{experiments, next_page_token}`
/// - `create_trace` `{trace_info}` (server only) → the stored trace info
///
/// Traces still queued in this process are written first, so a call right after a traced
/// function finds its trace.
pub fn call(tracer: &Tracer, op: &str, args: &Value) -> Result<Value> {
    let be = backend(tracer);
    if let Some(r) = experiments::call(tracer, &be, op, args) {
        return r;
    }
    if let Some(r) = assessments::call(tracer, &be, op, args) {
        return r;
    }
    if be == Backend::Server {
        return server::call(tracer, op, args);
    }
    let dir = match &be {
        Backend::Local(dir) => dir.clone(),
        _ => {
            if op == "get_trace" {
                let id = arg(args, "trace_id")?;
                let t = tracer.get_trace(id, timeout(args))?;
                return Ok(t.map(|t| json!(t)).unwrap_or(Value::Null));
            }
            return Err(Error::InvalidArgument(format!(
                "{op} needs a trace store: the memory destination keeps none (use the local store or an MLflow server)"
            )));
        }
    };
    tracer.flush(timeout(args));
    match op {
        "set_trace_tag" => {
            let id = arg(args, "trace_id")?;
            let key = arg(args, "key")?;
            let mut value = args["value"].as_str().unwrap_or_default().to_owned();
            tracer.redact_tag_value(key, &mut value);
            local::set_tag(&dir, id, key, &value)?;
            mark_annotated(id);
            Ok(Value::Null)
        }
        "delete_trace_tag" => {
            let id = arg(args, "trace_id")?;
            local::delete_tag(&dir, id, arg(args, "key")?)?;
            mark_annotated(id);
            Ok(Value::Null)
        }
        "get_trace" => {
            let id = arg(args, "trace_id")?;
            match local::get_trace(&dir, id)? {
                Some(t) => Ok(json!(t)),
                // Not written yet (a full queue): this process may still hold it.
                None if !is_annotated(id) => Ok(tracer
                    .get_trace(id, Duration::ZERO)?
                    .map(|t| json!(t))
                    .unwrap_or(Value::Null)),
                None => Ok(Value::Null),
            }
        }
        "search_traces" => {
            let page = local::search_traces(&dir, &query(args))?;
            Ok(local::page_json(&page))
        }
        "delete_traces" => {
            let ids: Option<Vec<String>> = args["trace_ids"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            });
            let n = local::delete_traces(
                &dir,
                opt_u64(args, "max_timestamp_millis"),
                opt_u64(args, "max_traces").map(|n| n as usize),
                ids.as_deref(),
            )?;
            Ok(json!({ "deleted": n }))
        }
        other => Err(Error::InvalidArgument(format!(
            "unknown operation {other:?}"
        ))),
    }
}

/// [`call`], answered as JSON text. A local search's page is written straight from the traces
/// read (no JSON value tree built in between: the same text, for less work).
pub fn call_text(tracer: &Tracer, op: &str, args: &Value) -> Result<String> {
    if op == "search_traces" {
        if let Backend::Local(dir) = backend(tracer) {
            tracer.flush(timeout(args));
            let page = local::search_traces(&dir, &query(args))?;
            return Ok(local::page_text(&page));
        }
    }
    call(tracer, op, args).map(|v| v.to_string())
}

fn timeout(args: &Value) -> Duration {
    opt_u64(args, "timeout_ms")
        .map(|ms| Duration::from_millis(ms.min(600_000)))
        .unwrap_or(FLUSH_TIMEOUT)
}

/// The search arguments (MLflow's names; `max_results` absent or null is "all").
fn query(args: &Value) -> Query {
    Query {
        filter: args["filter"]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        order_by: args["order_by"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        max_results: opt_u64(args, "max_results")
            .map(|n| n as usize)
            .unwrap_or(usize::MAX),
        page_token: args["page_token"].as_str().map(str::to_owned),
        include_spans: args["include_spans"].as_bool().unwrap_or(true),
    }
}
