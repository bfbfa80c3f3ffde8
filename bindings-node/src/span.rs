//! Span functions. Values arrive as JSON text already captured (and capped) by the facade, so
//! a setter is a string copy into the record. Setters after `end` are ignored, never thrown.

use ferrotrace_core::global;
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{Attributes, RawJson, SpanEvent, StatusCode, TraceParent};
use ferrotrace_core::runtime::now_ns;
use ferrotrace_core::tracer::{RootOptions, TraceUpdate};
use ferrotrace_core::LiveSpan;
use napi::bindgen_prelude::BigInt;
use napi::{Error, Result};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::handle::{NewSpan, Span, SpanState};
use crate::{object, string_map};

fn ns(v: Option<BigInt>) -> Option<u64> {
    v.map(|b| b.get_u64().1)
}

/// `span_type` `None` is MLflow's default type, UNKNOWN (static text: no allocation).
fn new_span(mut live: LiveSpan, span_type: Option<String>, inputs: Option<String>) -> NewSpan {
    let span_type = match span_type {
        Some(t) => RawJson::string(&t),
        None => RawJson::from_static("\"UNKNOWN\""),
    };
    live.set_attribute(attr::SPAN_TYPE, span_type);
    if let Some(i) = inputs {
        live.set_attribute(attr::INPUTS, RawJson::compact(i));
    }
    NewSpan(SpanState::new(live))
}

/// Starts the root span of a new trace or, given a W3C `traceparent` (validated by the caller;
/// an invalid one is ignored), this process's part of that remote trace: same trace id, the
/// remote span as parent, its sampled flag honoured.
#[napi(catch_unwind, ts_return_type = "SpanHandle")]
pub fn start_root(
    name: String,
    span_type: Option<String>,
    inputs_json: Option<String>,
    start_ns: Option<BigInt>,
    traceparent: Option<String>,
) -> NewSpan {
    let opts = RootOptions {
        start_ns: ns(start_ns),
        remote_parent: traceparent.as_deref().and_then(TraceParent::parse),
        ..RootOptions::default()
    };
    new_span(global().start_root(name, opts), span_type, inputs_json)
}

/// Starts a child of `parent` (which may already have ended).
#[napi(catch_unwind, ts_return_type = "SpanHandle")]
pub fn start_child(
    parent: Span,
    name: String,
    span_type: Option<String>,
    inputs_json: Option<String>,
    start_ns: Option<BigInt>,
) -> NewSpan {
    let live = global().start_child(name, &parent.ctx, ns(start_ns));
    new_span(live, span_type, inputs_json)
}

fn set(span: &mut Span, key: &'static str, value: RawJson) {
    if let Some(l) = span.live.as_mut() {
        l.set_attribute(key, value);
    }
}

/// `json` is the captured value's JSON text.
#[napi(catch_unwind)]
pub fn span_set_inputs(mut span: Span, json: String) {
    set(&mut span, attr::INPUTS, RawJson::compact(json));
}

#[napi(catch_unwind)]
pub fn span_set_outputs(mut span: Span, json: String) {
    set(&mut span, attr::OUTPUTS, RawJson::compact(json));
}

#[napi(catch_unwind)]
pub fn span_set_attribute(mut span: Span, key: String, json: String) {
    if let Some(l) = span.live.as_mut() {
        l.set_attribute(key, RawJson::compact(json));
    }
}

#[napi(catch_unwind)]
pub fn span_set_span_type(mut span: Span, span_type: String) {
    set(&mut span, attr::SPAN_TYPE, RawJson::string(&span_type));
}

#[napi(catch_unwind)]
pub fn span_set_name(mut span: Span, name: String) {
    if let Some(l) = span.live.as_mut() {
        l.set_name(name);
    }
}

/// `code` is `OK`, `ERROR` or `UNSET` (any case, `STATUS_CODE_` prefix allowed). Returns `false`
/// for an unknown code or an ended span.
#[napi(catch_unwind)]
pub fn span_set_status(mut span: Span, code: String, description: Option<String>) -> bool {
    let (Some(code), Some(l)) = (StatusCode::parse(&code), span.live.as_mut()) else {
        return false;
    };
    l.set_status(code, description.unwrap_or_default());
    true
}

/// `attributes_json` is a JSON object; its values are stored as plain JSON values.
#[napi(catch_unwind)]
pub fn span_add_event(
    mut span: Span,
    name: String,
    time_ns: Option<BigInt>,
    attributes_json: Option<String>,
) {
    let Some(l) = span.live.as_mut() else { return };
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
pub fn span_record_exception(mut span: Span, type_name: String, message: String, stack: String) {
    if let Some(l) = span.live.as_mut() {
        l.record_exception(&type_name, &message, &stack);
    }
}

/// Ends the span with `outputs` (if given) at `end_ns` (now if `None`). Returns what the
/// facade reads from an end call: -1 when the span had already ended, else the span's number
/// in the recent ring when ending released its slot handle, else -2.
pub(crate) fn finish(mut span: Span, outputs: Option<String>, end_ns: Option<u64>) -> i64 {
    let Some(mut live) = span.live.take() else {
        return -1;
    };
    if let Some(o) = outputs {
        live.set_attribute(attr::OUTPUTS, RawJson::compact(o));
    }
    span.ended = Some(live.end(end_ns));
    crate::handle::release(span).map_or(-2, i64::from)
}

/// Ends the span (now, or at `end_ns`); see [`finish`] for the result.
#[napi(catch_unwind)]
pub fn span_end(span: Span, end_ns: Option<BigInt>) -> i64 {
    finish(span, None, ns(end_ns))
}

/// Hot path of a traced call that returned: outputs (if given) and end now, in one call.
#[napi(catch_unwind)]
pub fn span_finish(span: Span, outputs_json: Option<String>) -> i64 {
    finish(span, outputs_json, None)
}

/// Hot path of a traced call that threw: the exception, then end now, in one call.
#[napi(catch_unwind)]
pub fn span_fail(mut span: Span, type_name: String, message: String, stack: String) -> i64 {
    if let Some(l) = span.live.as_mut() {
        l.record_exception(&type_name, &message, &stack);
    }
    finish(span, None, None)
}

/// The span of number handle `id` as an external handle, for code that may keep it past its
/// end (the slot is freed); `null` if the number is no longer valid.
#[napi(catch_unwind, ts_return_type = "SpanHandle | null")]
pub fn span_detach(id: u32) -> Option<crate::handle::NewSpan> {
    crate::slots::remove(id).map(|state| crate::handle::NewSpan(*state))
}

/// Changes trace-level data: `{tags, metadata, clientRequestId, requestPreview,
/// responsePreview, state, sessionId, user, modelId}`. Returns `false` once the trace has been
/// sealed; throws for an invalid state.
#[napi(catch_unwind)]
pub fn span_update_trace(span: Span, json: String) -> Result<bool> {
    let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let pairs = |k: &str| string_map(v.get(k)).into_iter().collect();
    let update = TraceUpdate {
        tags: pairs("tags"),
        metadata: pairs("metadata"),
        client_request_id: text("clientRequestId"),
        request_preview: text("requestPreview"),
        response_preview: text("responsePreview"),
        state: text("state"),
        session_id: text("sessionId"),
        user: text("user"),
        model_id: text("modelId"),
        experiment_id: None,
    };
    span.ctx
        .apply_update(update)
        .map_err(|e| Error::from_reason(e.to_string()))
}

// ---- getters (work before and after `end`) ----------------------------------------------------

/// `tr-` + 32 hex digits.
#[napi(catch_unwind)]
pub fn span_trace_id(span: Span) -> String {
    span.ctx.trace_id().to_mlflow()
}

/// 16 hex digits.
#[napi(catch_unwind)]
pub fn span_span_id(span: Span) -> String {
    span.ctx.span_id().to_hex()
}

#[napi(catch_unwind)]
pub fn span_parent_id(span: Span) -> Option<String> {
    span.record()?.parent_id.map(|p| p.to_hex())
}

#[napi(catch_unwind)]
pub fn span_name(span: Span) -> String {
    span.record()
        .map(|r| r.name.to_string())
        .unwrap_or_default()
}

#[napi(catch_unwind)]
pub fn span_is_ended(span: Span) -> bool {
    span.live.is_none()
}

/// JSON text of one attribute, or `null`.
#[napi(catch_unwind)]
pub fn span_get_attribute(span: Span, key: String) -> Option<String> {
    span.record()?
        .attributes
        .get(&key)
        .map(|v| v.as_str().to_owned())
}

/// All attributes as one JSON object text (values decoded).
#[napi(catch_unwind)]
pub fn span_attributes(span: Span) -> String {
    let Some(rec) = span.record() else {
        return "{}".to_owned();
    };
    let m: Map<String, Value> = rec
        .attributes
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_value()))
        .collect();
    Value::Object(m).to_string()
}

/// `[{name, timestamp (ns, as a string), attributes}]` as JSON text.
#[napi(catch_unwind)]
pub fn span_events(span: Span) -> String {
    let Some(rec) = span.record() else {
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

#[napi(object)]
pub struct NativeStatus {
    pub code: String,
    pub description: String,
}

#[napi(catch_unwind)]
pub fn span_status(span: Span) -> NativeStatus {
    let s = span.record().map(|r| r.status.clone()).unwrap_or_default();
    NativeStatus {
        code: s.code.short_name().to_owned(),
        description: s.message,
    }
}

#[napi(catch_unwind)]
pub fn span_start_ns(span: Span) -> BigInt {
    BigInt::from(span.record().map_or(0, |r| r.start_ns))
}

/// `null` while the span is open.
#[napi(catch_unwind)]
pub fn span_end_ns(span: Span) -> Option<BigInt> {
    let end = span.record().map_or(0, |r| r.end_ns);
    (end != 0).then(|| BigInt::from(end))
}

// ---- streams, links, distributed context, serialization ---------------------------------------

/// Whether the span's trace is kept (sampling is decided at the root): a stream skips capturing
/// its chunks otherwise.
#[napi(catch_unwind)]
pub fn span_is_sampled(span: Span) -> bool {
    span.ctx.sampled()
}

/// A streamed item: event `mlflow.chunk.item.{index}` whose attribute `mlflow.chunk.value` is the
/// item's JSON text as a string, as MLflow (and the Python binding) record generator output.
/// Past the item cap no event is added (the outputs list says how many items were cut).
#[napi(catch_unwind)]
pub fn span_chunk(mut span: Span, index: u32, json: String) {
    if index as usize >= ferrotrace_core::model::caps::MAX_ITEMS || !span.ctx.sampled() {
        return;
    }
    let Some(l) = span.live.as_mut() else { return };
    let mut attributes = Attributes::with_capacity(1);
    attributes.set(attr::CHUNK_VALUE, RawJson::string(&json));
    l.add_event(SpanEvent {
        name: format!("mlflow.chunk.item.{index}"),
        time_ns: now_ns(),
        attributes,
    });
}

/// Adds a link to another span: `trace_id` as `tr-<32 hex>` or 32 hex, `span_id` 16 hex,
/// `attributes_json` a JSON object. Returns `false` (nothing added) for an invalid id or an
/// ended span.
#[napi(catch_unwind)]
pub fn span_add_link(
    mut span: Span,
    trace_id: String,
    span_id: String,
    attributes_json: Option<String>,
) -> bool {
    use ferrotrace_core::model::{SpanId, SpanLink, TraceId};
    let (Some(trace_id), Some(span_id), Some(l)) = (
        TraceId::parse(trace_id.trim()),
        SpanId::parse(span_id.trim()),
        span.live.as_mut(),
    ) else {
        return false;
    };
    let map = attributes_json.as_deref().map(object).unwrap_or_default();
    let mut attributes = Attributes::with_capacity(map.len());
    for (k, v) in &map {
        attributes.set(k.clone(), RawJson::from_value(v));
    }
    l.record_mut().links.push(SpanLink {
        trace_id,
        span_id,
        attributes,
    });
    true
}

/// `[{traceId: "tr-...", spanId, attributes}]` as JSON text.
#[napi(catch_unwind)]
pub fn span_links(span: Span) -> String {
    let Some(rec) = span.record() else {
        return "[]".to_owned();
    };
    let links: Vec<Value> = rec
        .links
        .iter()
        .map(|l| {
            let attrs: Map<String, Value> = l
                .attributes
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_value()))
                .collect();
            serde_json::json!({"traceId": l.trace_id.to_mlflow(), "spanId": l.span_id.to_hex(), "attributes": attrs})
        })
        .collect();
    Value::Array(links).to_string()
}

/// The W3C `traceparent` naming this span, for a downstream service.
#[napi(catch_unwind)]
pub fn span_traceparent(span: Span) -> String {
    span.ctx.traceparent().to_string()
}

/// A `traceparent` header value in its canonical form, or `null` if it is not a valid one.
#[napi(catch_unwind)]
pub fn normalize_traceparent(header: String) -> Option<String> {
    TraceParent::parse(&header).map(|t| t.to_string())
}

/// The span as MLflow's `Span.to_dict()` (the stored form: base64 ids, JSON-text attribute
/// values), as JSON text; `end_time_unix_nano` is `null` while the span is open.
#[napi(catch_unwind)]
pub fn span_to_json(span: Span) -> String {
    use ferrotrace_core::model::{Trace, TraceDict, TraceInfo};
    let Some(rec) = span.record() else {
        return "{}".to_owned();
    };
    let trace = Trace {
        info: TraceInfo {
            trace_id: rec.trace_id,
            ..TraceInfo::default()
        },
        spans: vec![std::sync::Arc::new(rec.clone())].into(),
    };
    let Some(mut dict) = TraceDict::from(&trace).data.spans.pop() else {
        return "{}".to_owned();
    };
    if rec.end_ns == 0 {
        dict.end_time_unix_nano = None;
    }
    serde_json::to_string(&dict).unwrap_or_else(|_| "{}".to_owned())
}
