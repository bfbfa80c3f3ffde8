//! Node glue for ferrotrace: converts values and calls the core. All logic lives in
//! `ferrotrace-core`; the TypeScript facade (`ts/`) holds the current span in AsyncLocalStorage
//! and passes parents explicitly.
//!
//! Values arrive as JSON text already captured (and capped) by the facade, so the hot path here
//! is a string copy into the span record. Every export uses `catch_unwind`: a panic becomes a JS
//! error (which the facade swallows on hot paths) instead of aborting the process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{
    Attributes, RawJson, SpanEvent, SpanRecord, StatusCode, TraceDict, TraceState,
};
use ferrotrace_core::tracer::{now_ns, RootOptions, TraceDraft};
use ferrotrace_core::{global, LiveSpan, SpanContext};
use napi::bindgen_prelude::{AsyncTask, BigInt};
use napi::{Env, Error, Result, Task};
use napi_derive::napi;
use serde_json::{Map, Value};

/// A span owned by JavaScript. Setters after `end` are ignored (never thrown), as in MLflow.
#[napi]
pub struct NativeSpan {
    /// Kept separately so children can start even after this span ended.
    ctx: SpanContext,
    live: Option<LiveSpan>,
    /// Kept after `end` so getters keep working.
    ended: Option<Arc<SpanRecord>>,
}

fn ns(v: Option<BigInt>) -> Option<u64> {
    v.map(|b| b.get_u64().1)
}

fn big(v: u64) -> BigInt {
    BigInt::from(v)
}

/// Parses a JSON object text; anything else is an empty map (values come from our own capture).
fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
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

fn new_span(mut live: LiveSpan, span_type: Option<String>, inputs: Option<String>) -> NativeSpan {
    if let Some(t) = span_type {
        live.set_attribute(attr::SPAN_TYPE, RawJson::string(&t));
    }
    if let Some(i) = inputs {
        live.set_attribute(attr::INPUTS, RawJson::from_trusted(i));
    }
    NativeSpan {
        ctx: live.context().clone(),
        live: Some(live),
        ended: None,
    }
}

/// Starts the root span of a new trace.
#[napi(catch_unwind)]
pub fn start_root(
    name: String,
    span_type: Option<String>,
    inputs_json: Option<String>,
    start_ns: Option<BigInt>,
) -> NativeSpan {
    let opts = RootOptions {
        start_ns: ns(start_ns),
        ..RootOptions::default()
    };
    new_span(global().start_root(name, opts), span_type, inputs_json)
}

/// Starts a child of `parent` (which may already have ended).
#[napi(catch_unwind)]
pub fn start_child(
    name: String,
    parent: &NativeSpan,
    span_type: Option<String>,
    inputs_json: Option<String>,
    start_ns: Option<BigInt>,
) -> NativeSpan {
    let live = global().start_child(name, &parent.ctx, ns(start_ns));
    new_span(live, span_type, inputs_json)
}

#[napi(object)]
pub struct NativeStatus {
    pub code: String,
    pub description: String,
}

#[napi]
impl NativeSpan {
    /// Always `Some` (exactly one of `live`/`ended` is set); `Option` keeps getters panic-free.
    fn record(&self) -> Option<&SpanRecord> {
        match (&self.live, &self.ended) {
            (Some(l), _) => Some(l.record()),
            (None, Some(r)) => Some(r),
            (None, None) => None,
        }
    }

    fn live(&mut self) -> Option<&mut LiveSpan> {
        self.live.as_mut()
    }

    fn set(&mut self, key: &'static str, value: RawJson) {
        if let Some(l) = self.live() {
            l.set_attribute(key, value);
        }
    }

    /// `json` is the captured value's JSON text.
    #[napi(catch_unwind)]
    pub fn set_inputs(&mut self, json: String) {
        self.set(attr::INPUTS, RawJson::from_trusted(json));
    }

    #[napi(catch_unwind)]
    pub fn set_outputs(&mut self, json: String) {
        self.set(attr::OUTPUTS, RawJson::from_trusted(json));
    }

    #[napi(catch_unwind)]
    pub fn set_attribute(&mut self, key: String, json: String) {
        if let Some(l) = self.live() {
            l.set_attribute(key, RawJson::from_trusted(json));
        }
    }

    #[napi(catch_unwind)]
    pub fn set_span_type(&mut self, span_type: String) {
        self.set(attr::SPAN_TYPE, RawJson::string(&span_type));
    }

    #[napi(catch_unwind)]
    pub fn set_name(&mut self, name: String) {
        if let Some(l) = self.live() {
            l.set_name(name);
        }
    }

    /// `code` is `OK`, `ERROR` or `UNSET` (any case, `STATUS_CODE_` prefix allowed). Returns
    /// `false` for an unknown code or an ended span.
    #[napi(catch_unwind)]
    pub fn set_status(&mut self, code: String, description: Option<String>) -> bool {
        let (Some(code), Some(l)) = (StatusCode::parse(&code), self.live()) else {
            return false;
        };
        l.set_status(code, description.unwrap_or_default());
        true
    }

    /// `attributes_json` is a JSON object; its values are stored as plain JSON values.
    #[napi(catch_unwind)]
    pub fn add_event(
        &mut self,
        name: String,
        time_ns: Option<BigInt>,
        attributes_json: Option<String>,
    ) {
        let Some(l) = self.live() else { return };
        let map = attributes_json.as_deref().map(object).unwrap_or_default();
        let mut attributes = Attributes::with_capacity(map.len());
        for (k, v) in &map {
            attributes.set(k.clone(), RawJson::from_value(v));
        }
        l.add_event(SpanEvent {
            name,
            time_ns: ns(time_ns).unwrap_or_else(now_ns),
            attributes,
        });
    }

    /// An `exception` event plus status ERROR `"<type>: <message>"`.
    #[napi(catch_unwind)]
    pub fn record_exception(&mut self, type_name: String, message: String, stacktrace: String) {
        if let Some(l) = self.live() {
            l.record_exception(&type_name, &message, &stacktrace);
        }
    }

    /// Ends the span (now, or at `end_ns`). Ending twice is a no-op returning `false`.
    #[napi(catch_unwind)]
    pub fn end(&mut self, end_ns: Option<BigInt>) -> bool {
        self.finish_at(None, ns(end_ns))
    }

    /// Sets the outputs (if given) and ends the span now: one call on the hot path.
    #[napi(catch_unwind)]
    pub fn finish(&mut self, outputs_json: Option<String>) -> bool {
        self.finish_at(outputs_json, None)
    }

    fn finish_at(&mut self, outputs: Option<String>, end_ns: Option<u64>) -> bool {
        let Some(mut live) = self.live.take() else {
            return false;
        };
        if let Some(o) = outputs {
            live.set_attribute(attr::OUTPUTS, RawJson::from_trusted(o));
        }
        self.ended = Some(live.end(end_ns));
        true
    }

    /// Changes trace-level data: `{tags, metadata, clientRequestId, requestPreview,
    /// responsePreview, state}`. Returns `false` once the trace has been sealed.
    #[napi(catch_unwind)]
    pub fn update_trace(&self, json: String) -> bool {
        let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let state = text("state").and_then(|s| TraceState::parse(&s));
        self.ctx.update_trace(|d: &mut TraceDraft| {
            d.tags.extend(string_map(v.get("tags")));
            d.metadata.extend(string_map(v.get("metadata")));
            if let Some(s) = text("clientRequestId") {
                d.client_request_id = Some(s);
            }
            if let Some(s) = text("requestPreview") {
                d.request_preview = Some(s);
            }
            if let Some(s) = text("responsePreview") {
                d.response_preview = Some(s);
            }
            if state.is_some() {
                d.state = state;
            }
        })
    }

    /// `tr-` + 32 hex digits.
    #[napi(getter, catch_unwind)]
    pub fn trace_id(&self) -> String {
        self.ctx.trace_id().to_mlflow()
    }

    /// 16 hex digits.
    #[napi(getter, catch_unwind)]
    pub fn span_id(&self) -> String {
        self.ctx.span_id().to_hex()
    }

    #[napi(getter, catch_unwind)]
    pub fn parent_id(&self) -> Option<String> {
        self.record()?.parent_id.map(|p| p.to_hex())
    }

    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.record().map(|r| r.name.clone()).unwrap_or_default()
    }

    #[napi(getter, catch_unwind)]
    pub fn is_root(&self) -> bool {
        match (&self.live, &self.ended) {
            (Some(l), _) => l.is_root(),
            (None, r) => r.as_ref().is_some_and(|r| r.parent_id.is_none()),
        }
    }

    #[napi(getter, catch_unwind)]
    pub fn ended(&self) -> bool {
        self.live.is_none()
    }

    #[napi(getter, catch_unwind)]
    pub fn sampled(&self) -> bool {
        self.ctx.sampled()
    }

    /// JSON text of the inputs, or `null` when unset.
    #[napi(getter, catch_unwind)]
    pub fn inputs(&self) -> Option<String> {
        self.get_attribute(attr::INPUTS.to_owned())
    }

    #[napi(getter, catch_unwind)]
    pub fn outputs(&self) -> Option<String> {
        self.get_attribute(attr::OUTPUTS.to_owned())
    }

    /// JSON text of one attribute, or `null`.
    #[napi(catch_unwind)]
    pub fn get_attribute(&self, key: String) -> Option<String> {
        self.record()?
            .attributes
            .get(&key)
            .map(|v| v.as_str().to_owned())
    }

    /// All attributes as one JSON object text (values decoded).
    #[napi(getter, catch_unwind)]
    pub fn attributes(&self) -> String {
        let Some(rec) = self.record() else {
            return "{}".to_owned();
        };
        let m: Map<String, Value> = rec
            .attributes
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect();
        Value::Object(m).to_string()
    }

    /// `[{name, timestamp (ns, as string), attributes}]` as JSON text.
    #[napi(getter, catch_unwind)]
    pub fn events(&self) -> String {
        let Some(rec) = self.record() else {
            return "[]".to_owned();
        };
        let events: Vec<Value> = rec
            .events
            .iter()
            .map(|e| {
                let attrs: Map<String, Value> = e
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect();
                serde_json::json!({"name": e.name, "timestamp": e.time_ns.to_string(), "attributes": attrs})
            })
            .collect();
        Value::Array(events).to_string()
    }

    #[napi(getter, catch_unwind)]
    pub fn status(&self) -> NativeStatus {
        let s = self.record().map(|r| r.status.clone()).unwrap_or_default();
        NativeStatus {
            code: s.code.short_name().to_owned(),
            description: s.message,
        }
    }

    #[napi(getter, catch_unwind)]
    pub fn start_time_ns(&self) -> BigInt {
        big(self.record().map_or(0, |r| r.start_ns))
    }

    /// `null` while the span is open.
    #[napi(getter, catch_unwind)]
    pub fn end_time_ns(&self) -> Option<BigInt> {
        let end = self.record().map_or(0, |r| r.end_ns);
        (end != 0).then(|| big(end))
    }
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

/// Blocking, bounded flush and stop of the export worker: only for the process `exit` hook,
/// where no asynchronous work can run any more.
#[napi(catch_unwind)]
pub fn shutdown_sync(timeout_ms: f64) -> bool {
    global().shutdown(millis(timeout_ms))
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

/// Changes the configuration from a JSON object: `destination` (`"local"` | `"memory"`),
/// `localDir`, `samplingRatio`, `exitTimeout` (seconds). Throws on an invalid value.
#[napi(catch_unwind)]
pub fn configure(json: String) -> Result<()> {
    let v = object(&json);
    global()
        .configure(|c| {
            if let Some(d) = v.get("destination").and_then(Value::as_str) {
                c.memory = match d.to_ascii_lowercase().as_str() {
                    "memory" => true,
                    "local" => false,
                    other => {
                        return Err(ferrotrace_core::Error::config(
                            "destination",
                            format!("{other:?} (use \"local\" or \"memory\")"),
                        ))
                    }
                };
            }
            if let Some(dir) = v.get("localDir").and_then(Value::as_str) {
                c.local_dir = dir.into();
            }
            if let Some(r) = v.get("samplingRatio") {
                let r = r.as_f64().unwrap_or(f64::NAN);
                c.sampling_ratio = ferrotrace_core::config::validate_ratio(r, "samplingRatio")?;
            }
            if let Some(t) = v.get("exitTimeout") {
                match t.as_f64() {
                    Some(s) if s.is_finite() && s >= 0.0 => {
                        c.exit_timeout = Duration::from_secs_f64(s)
                    }
                    _ => {
                        return Err(ferrotrace_core::Error::config(
                            "exitTimeout",
                            format!("{t} (must be seconds >= 0)"),
                        ))
                    }
                }
            }
            Ok(())
        })
        .map_err(|e| Error::from_reason(e.to_string()))
}

/// The configuration in force: `{destination, localDir, samplingRatio, exitTimeout}`.
#[napi(catch_unwind)]
pub fn config() -> String {
    let c = global().config();
    let destination = match c.destination() {
        ferrotrace_core::config::Destination::Memory => "memory",
        ferrotrace_core::config::Destination::Local(_) => "local",
        ferrotrace_core::config::Destination::Mlflow(_) => "mlflow",
    };
    serde_json::json!({
        "destination": destination,
        "localDir": c.local_dir.to_string_lossy(),
        "samplingRatio": c.sampling_ratio,
        "exitTimeout": c.exit_timeout.as_secs_f64(),
    })
    .to_string()
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
