//! `ferrotrace._native`: the glue between the Python package and the Rust core. It converts
//! values and calls the core; the Python package holds the context (contextvars).

// The native @trace wrapper: needs the contextvar C API, outside the limited API.
mod args;
#[cfg(not(feature = "abi3"))]
mod call;
mod errors;
mod fnspec;
mod guard;
mod llm;
mod span;
mod span_convert;
// The callable `@trace` returns for a sync function (uses `call`).
#[cfg(not(feature = "abi3"))]
mod traced;
mod ui;
mod value;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use ferrotrace_core::api::MlflowApi;
use ferrotrace_core::model::{RawJson, TraceDict, TraceParent};
use ferrotrace_core::tracer::RootOptions;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use errors::{enter, ConfigError, TracingError};
use fnspec::FnSpec;
use span::PySpan;

fn timeout(seconds: f64) -> Duration {
    Duration::from_secs_f64(if seconds.is_finite() {
        seconds.clamp(0.0, 3600.0)
    } else {
        0.0
    })
}

/// Starts a span: a child of `parent`, else a root (continuing `traceparent` if given).
/// `from_context`: `parent` is the active-span contextvar's value (a closed root is then no
/// parent); else it is the caller's explicit parent.
#[pyfunction]
#[pyo3(signature = (name, parent=None, span_type=None, attributes=None, inputs=None, start_time_ns=None, traceparent=None, sampling_ratio=None, from_context=false))]
#[allow(clippy::too_many_arguments)]
fn start_span(
    py: Python<'_>,
    name: &str,
    parent: Option<&Bound<'_, PySpan>>,
    span_type: Option<&str>,
    attributes: Option<&Bound<'_, PyDict>>,
    inputs: Option<&Bound<'_, PyAny>>,
    start_time_ns: Option<u64>,
    traceparent: Option<&str>,
    sampling_ratio: Option<f64>,
    from_context: bool,
) -> PyResult<Option<Py<PySpan>>> {
    let tracer = ferrotrace_core::global();
    if !tracer.enabled() {
        return Ok(None);
    }
    if let Some(ratio) = sampling_ratio {
        tracer.note_ratio_override(ratio);
    }
    let (parent, last) = if from_context {
        span::context_parent(parent)
    } else {
        (parent.and_then(|p| p.try_borrow().ok()), None)
    };
    let mut span = match parent {
        Some(p) => tracer.start_child(name.to_owned(), &p.ctx, start_time_ns),
        None => tracer.start_root(
            name.to_owned(),
            RootOptions {
                remote_parent: traceparent.and_then(TraceParent::parse),
                sampling_ratio,
                start_ns: start_time_ns,
            },
        ),
    };
    if span.context().sampled() {
        use ferrotrace_core::model::keys::attr;
        span.set_attribute(
            attr::SPAN_TYPE,
            RawJson::string(span_type.unwrap_or("UNKNOWN")),
        );
        if let Some(a) = attributes {
            for (k, v) in value::dict_items(a) {
                span.set_attribute(value::display_text(&k), value::to_json(&v));
            }
        }
        if let Some(i) = inputs {
            span.set_attribute(attr::INPUTS, value::to_json(i));
        }
    }
    Ok(Some(Py::new(py, PySpan::new(span, last))?))
}

/// Waits (GIL released) until queued traces are delivered; False on timeout.
#[pyfunction]
#[pyo3(signature = (timeout_seconds=30.0))]
fn flush(py: Python<'_>, timeout_seconds: f64) -> bool {
    py.detach(|| ferrotrace_core::global().flush(timeout(timeout_seconds)))
}

/// The exit hook: delivers what is queued (GIL released, bounded), reports losses on stderr.
#[pyfunction]
#[pyo3(signature = (timeout_seconds=5.0))]
fn exit(py: Python<'_>, timeout_seconds: f64) -> bool {
    py.detach(|| ferrotrace_core::global().exit(timeout(timeout_seconds)))
}

/// Installs the core's SIGTERM handler when SIGTERM still has its default action (so a process
/// stopped by SIGTERM delivers what is queued, then still ends with SIGTERM's status).
#[pyfunction]
fn install_sigterm() -> bool {
    ferrotrace_core::pipeline::sigterm::install()
}

/// The tracer's counters as JSON text.
#[pyfunction]
fn stats_json() -> String {
    serde_json::to_string(&ferrotrace_core::global().stats()).unwrap_or_else(|_| "{}".into())
}

/// The OTLP settings of `configure(otlp=...)`: a dict with all of `endpoint`, `headers` (list of
/// pairs), `compression`, `timeout` (seconds), `service_name`, `dual_export`, and optionally
/// `semconv` (`None`: unchanged).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct OtlpArgs {
    endpoint: Option<String>,
    headers: Option<Vec<(String, String)>>,
    compression: Option<String>,
    timeout: Option<f64>,
    service_name: Option<String>,
    dual_export: Option<bool>,
    #[pyo3(default)]
    semconv: Option<String>,
}

impl OtlpArgs {
    fn into_update(self) -> ferrotrace_core::config::OtlpUpdate {
        ferrotrace_core::config::OtlpUpdate {
            endpoint: self.endpoint,
            headers: self.headers,
            compression: self.compression,
            timeout: self.timeout,
            service_name: self.service_name,
            dual_export: self.dual_export,
            semconv: self.semconv,
            ..Default::default()
        }
    }
}

/// Changes where traces go. Invalid values raise `ConfigError` naming the setting.
#[pyfunction]
#[pyo3(signature = (*, local_dir=None, destination=None, tracking_uri=None, sampling_ratio=None, experiment_id=None, experiment_name=None, exit_timeout=None, sdk_language=None, otlp=None, redact=None, redact_patterns=None, sampling_keep_errors=None, sampling_keep_slower_than_ms=None))]
#[allow(clippy::too_many_arguments)]
fn configure(
    py: Python<'_>,
    local_dir: Option<PathBuf>,
    destination: Option<String>,
    tracking_uri: Option<String>,
    sampling_ratio: Option<f64>,
    experiment_id: Option<String>,
    experiment_name: Option<String>,
    exit_timeout: Option<f64>,
    sdk_language: Option<String>,
    otlp: Option<OtlpArgs>,
    redact: Option<String>,
    redact_patterns: Option<Vec<(String, String)>>,
    sampling_keep_errors: Option<bool>,
    sampling_keep_slower_than_ms: Option<f64>,
) -> PyResult<()> {
    use ferrotrace_core::config::{ConfigUpdate, NameStyle, ProcessUpdate};
    let update = ConfigUpdate {
        destination,
        local_dir,
        tracking_uri,
        sampling_ratio,
        experiment_id,
        experiment_name,
        exit_timeout,
        sdk_language,
        otlp: otlp.map(OtlpArgs::into_update).unwrap_or_default(),
        process: ProcessUpdate {
            redact,
            redact_patterns,
            keep_errors: sampling_keep_errors,
            keep_slower_than_ms: sampling_keep_slower_than_ms,
        },
        ..Default::default()
    };
    // A changed destination first delivers what the old one still holds (bounded): no GIL then.
    enter(py, "configure", || {
        ferrotrace_core::global().configure(|c| c.apply(update, NameStyle::Snake))
    })
}

/// Resolves (creating if needed) the configured experiment, waiting at most `timeout_seconds`.
#[pyfunction]
fn resolve_experiment(py: Python<'_>, timeout_seconds: f64) -> PyResult<String> {
    enter(py, "resolve_experiment", || {
        ferrotrace_core::global().resolve_experiment(timeout(timeout_seconds))
    })
}

/// One trace-level call (`set_trace_tag`, assessments, `get_trace`, `search_traces`,
/// `delete_traces`, ...) on the configured backend, the MLflow server or the local store:
/// JSON arguments in, JSON text out (see `ferrotrace_core::api::call_text`).
#[pyfunction]
fn trace_api(py: Python<'_>, op: &str, args_json: &str) -> PyResult<String> {
    let args: serde_json::Value = serde_json::from_str(args_json)
        .map_err(|e| TracingError::new_err(format!("invalid arguments: {e}")))?;
    enter(py, op, || {
        ferrotrace_core::api::call_text(ferrotrace_core::global(), op, &args)
    })
}

/// Rewrites the segments of a store folder without superseded records; the report as JSON.
#[pyfunction]
fn store_compact(py: Python<'_>, dir: PathBuf) -> PyResult<String> {
    enter(py, "store_compact", || {
        ferrotrace_core::store::compact::compact(&dir)
    })
    .map(|r| serde_json::to_string(&r).unwrap_or_default())
}

/// The settings in force, as a dict: the core's configuration view (the same keys as Node's
/// `getConfig()`, see `ferrotrace_core::api::config_view`; never a credential).
#[pyfunction]
fn config(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let view = ferrotrace_core::api::config_view::config_view(&ferrotrace_core::global().config());
    // Cold path: Python's own JSON reader builds the dict.
    py.import("json")?
        .call_method1("loads", (view.to_string(),))
}

/// Traces delivered to the memory destination, each as `Trace.to_dict()` JSON text.
#[pyfunction]
fn memory_traces() -> Vec<String> {
    ferrotrace_core::global()
        .memory_traces()
        .iter()
        .filter_map(|t| serde_json::to_string(&TraceDict::from(t)).ok())
        .collect()
}

#[pyfunction]
fn clear_memory() {
    ferrotrace_core::global().clear_memory();
}

#[pyfunction]
fn last_trace_id() -> Option<String> {
    ferrotrace_core::global()
        .last_trace_id()
        .map(|t| t.to_mlflow())
}

#[pyfunction]
fn set_enabled(on: bool) {
    ferrotrace_core::global().set_enabled(on);
}

#[pyfunction]
fn is_enabled() -> bool {
    ferrotrace_core::global().enabled()
}

/// Metadata added to every trace (source file, user, ...).
#[pyfunction]
fn set_process_metadata(metadata: BTreeMap<String, String>) {
    ferrotrace_core::global().set_process_metadata(metadata);
}

/// Any Python value as the JSON text ferrotrace would store.
#[pyfunction]
fn to_json(value: &Bound<'_, PyAny>) -> String {
    value::to_json(value).as_str().to_owned()
}

/// Size caps in force, as JSON text.
#[pyfunction]
fn caps_json() -> String {
    ferrotrace_core::model::caps::caps_json()
}

#[pyfunction]
fn recent_warnings() -> Vec<String> {
    ferrotrace_core::diag::recent_warnings()
}

#[pyfunction]
fn set_quiet(quiet: bool) {
    ferrotrace_core::diag::set_quiet(quiet);
}

fn read_store(dir: &std::path::Path) -> PyResult<ferrotrace_core::store::StoreRead> {
    ferrotrace_core::store::read_folded(dir)
        .map_err(|e| TracingError::new_err(format!("cannot read {}: {e}", dir.display())))
}

/// The local store's traces as a table, plus warnings about damaged records.
#[pyfunction]
fn store_list(dir: PathBuf) -> PyResult<(String, Vec<String>)> {
    Ok(ferrotrace_core::store::list_text(&dir).map_err(errors::CoreErr)?)
}

/// One trace of the local store (by id, or a unique start or end of it) as an indented tree.
#[pyfunction]
fn store_show(dir: PathBuf, trace_id: &str) -> PyResult<(Option<String>, Vec<String>)> {
    Ok(ferrotrace_core::store::show_text(&dir, trace_id).map_err(errors::CoreErr)?)
}

/// The local store's traces as `Trace.to_dict()` JSON texts.
#[pyfunction]
fn store_read(dir: PathBuf) -> PyResult<(Vec<String>, Vec<String>)> {
    let read = read_store(&dir)?;
    Ok((
        read.traces
            .iter()
            .filter_map(|t| serde_json::to_string(t).ok())
            .collect(),
        read.warnings,
    ))
}

/// Sends a store folder's traces to an MLflow server (`ferrotrace push`); the report as JSON.
/// Credentials and TLS settings come from the environment, as for tracing.
#[pyfunction]
#[pyo3(signature = (dir, tracking_uri, experiment_id=None))]
fn push_store(
    py: Python<'_>,
    dir: PathBuf,
    tracking_uri: String,
    experiment_id: Option<String>,
) -> PyResult<String> {
    let mut config = ferrotrace_core::global().config();
    config
        .apply(
            ferrotrace_core::config::ConfigUpdate {
                tracking_uri: Some(tracking_uri),
                ..Default::default()
            },
            ferrotrace_core::config::NameStyle::Snake,
        )
        .map_err(errors::CoreErr)?;
    let report = enter(py, "push_store", || {
        ferrotrace_core::export::push_store(&dir, &config, experiment_id.as_deref())
    })?;
    Ok(serde_json::to_string(&report).unwrap_or_else(|_| "{}".into()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySpan>()?;
    m.add_class::<FnSpec>()?;
    #[cfg(not(feature = "abi3"))]
    {
        m.add_class::<traced::TracedFunction>()?;
        traced::install_vectorcall(m.py())?;
        m.add_function(wrap_pyfunction!(call::install_context, m)?)?;
        m.add_function(wrap_pyfunction!(call::set_processors_present, m)?)?;
    }
    m.add("TracingError", m.py().get_type::<TracingError>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("RestError", errors::rest_error_type(m.py())?)?;
    m.add_function(wrap_pyfunction!(start_span, m)?)?;
    m.add_function(wrap_pyfunction!(llm::llm_start, m)?)?;
    m.add_function(wrap_pyfunction!(llm::llm_end, m)?)?;
    m.add_function(wrap_pyfunction!(llm::llm_fail, m)?)?;
    m.add_function(wrap_pyfunction!(llm::llm_attributes, m)?)?;
    m.add_function(wrap_pyfunction!(flush, m)?)?;
    m.add_function(wrap_pyfunction!(exit, m)?)?;
    m.add_function(wrap_pyfunction!(install_sigterm, m)?)?;
    m.add_function(wrap_pyfunction!(stats_json, m)?)?;
    m.add_function(wrap_pyfunction!(configure, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_experiment, m)?)?;
    m.add_function(wrap_pyfunction!(trace_api, m)?)?;
    m.add_function(wrap_pyfunction!(store_compact, m)?)?;
    m.add_function(wrap_pyfunction!(config, m)?)?;
    m.add_function(wrap_pyfunction!(memory_traces, m)?)?;
    m.add_function(wrap_pyfunction!(clear_memory, m)?)?;
    m.add_function(wrap_pyfunction!(last_trace_id, m)?)?;
    m.add_function(wrap_pyfunction!(set_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(set_process_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(to_json, m)?)?;
    m.add_function(wrap_pyfunction!(caps_json, m)?)?;
    m.add_function(wrap_pyfunction!(recent_warnings, m)?)?;
    m.add_function(wrap_pyfunction!(set_quiet, m)?)?;
    m.add_function(wrap_pyfunction!(guard::_inject_panic, m)?)?;
    m.add_function(wrap_pyfunction!(store_list, m)?)?;
    m.add_function(wrap_pyfunction!(store_show, m)?)?;
    m.add_function(wrap_pyfunction!(store_read, m)?)?;
    m.add_function(wrap_pyfunction!(push_store, m)?)?;
    m.add_function(wrap_pyfunction!(ui::ui_start, m)?)?;
    m.add_class::<ui::UiServer>()?;
    Ok(())
}
