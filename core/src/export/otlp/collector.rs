//! Spans for an OTLP collector that is not MLflow's server, in the form MLflow's own OTLP
//! exporter sends them (`OtelSpanProcessor` + OpenTelemetry's `OTLPSpanExporter`): every
//! `mlflow.*` and user attribute as its JSON text in a `stringValue` (what MLflow's spans hold),
//! span kind INTERNAL, the instrumentation scope `mlflow.tracing.provider`, and a resource
//! with a `service.name`.
//!
//! JSON strings, not typed values: backends such as Arize Phoenix flatten a `kvlistValue` into
//! dotted keys, where `{"a.b": 1, "a": {"b": 2}}` keeps one of the two, empty objects, `null`
//! and `NaN` vanish and a 2**70 integer becomes a double. A JSON string keeps every value.
//! MLflow's own `/v1/traces` gets the typed form instead ([`crate::export::mlflow::otlp`]):
//! its indexed span type column would keep the quotes of a JSON string.
//!
//! The attribute mappings of [`OtlpSemconv`] (GenAI, OpenInference) live in `semconv.rs`.

use crate::config::OtlpSemconv;
use crate::export::mlflow::anyvalue;
use crate::export::mlflow::otlp::{self, one_resource};
use crate::export::mlflow::proto::{
    AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Span,
};
use crate::model::keys::attr;
use crate::model::{Attributes, SpanRecord, Trace};

use super::semconv;

/// The instrumentation scope of MLflow's tracer (its module name), which MLflow's exporter
/// sends; no version.
pub const SCOPE_NAME: &str = "mlflow.tracing.provider";
/// `SPAN_KIND_INTERNAL`.
pub(crate) const KIND_INTERNAL: i32 = 1;
/// `SPAN_KIND_CLIENT`.
pub(crate) const KIND_CLIENT: i32 = 3;
/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: OpenTelemetry's SDK says whether the parent is
/// remote; `..._IS_REMOTE_MASK` is added when it is (a trace continued from a `traceparent`).
const FLAGS_HAS_IS_REMOTE: u32 = 0x100;
const FLAGS_IS_REMOTE: u32 = 0x200;

/// What goes around the spans, and which attributes they carry.
#[derive(Clone, Debug)]
pub struct CollectorOptions {
    /// Resource attributes (strings), `service.name` among them.
    pub resource: Vec<(String, String)>,
    pub semconv: OtlpSemconv,
}

/// One span's attributes on their way out: key and value, in order.
pub(crate) type Attrs = Vec<KeyValue>;

/// The request message for the spans of `traces`.
///
/// ```
/// use ferrotrace_core::config::OtlpSemconv;
/// use ferrotrace_core::export::otlp::{collector_request, CollectorOptions};
/// let opts = CollectorOptions { resource: vec![], semconv: OtlpSemconv::Mlflow };
/// let req = collector_request(&[Default::default()], &opts);
/// let scope = req.resource_spans[0].scope_spans[0].scope.as_ref().unwrap();
/// assert_eq!(scope.name, "mlflow.tracing.provider");
/// ```
pub fn build_request<'a>(
    traces: impl IntoIterator<Item = &'a Trace>,
    opts: &CollectorOptions,
) -> ExportTraceServiceRequest {
    let mut spans = Vec::new();
    for trace in traces {
        let request_id = json_string(&trace.info.trace_id.to_mlflow());
        for s in trace.spans.iter() {
            let remote_parent = s
                .parent_id
                .is_some_and(|p| !trace.spans.iter().any(|o| o.span_id == p));
            spans.push(span(s, trace, &request_id, remote_parent, opts.semconv));
        }
    }
    let scope = InstrumentationScope {
        name: SCOPE_NAME.to_owned(),
        version: String::new(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    };
    one_resource(&opts.resource, Some(scope), spans)
}

/// `s` as the JSON text of a string (what MLflow's `json.dumps` writes).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    crate::model::json::push_str(&mut out, s);
    out
}

/// A `stringValue` key-value.
pub(crate) fn string_kv(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(anyvalue::string(value)),
    }
}

/// A span's attributes as MLflow's span holds them: the request id first, then each value's
/// JSON text; trace tags (which MLflow sets on the root span unencoded) as plain strings.
fn mlflow_attributes(attrs: &Attributes, request_id: &str) -> Attrs {
    let mut out = Vec::with_capacity(attrs.len() + 1);
    out.push(string_kv(attr::REQUEST_ID, request_id.to_owned()));
    for (k, v) in attrs.iter() {
        if k == attr::REQUEST_ID {
            continue;
        }
        let text = if k.starts_with(attr::TRACE_TAG_PREFIX) {
            v.as_plain_string().unwrap_or_else(|| v.as_str().to_owned())
        } else {
            v.as_str().to_owned()
        };
        out.push(string_kv(k, text));
    }
    out
}

fn span(
    s: &SpanRecord,
    trace: &Trace,
    request_id: &str,
    remote_parent: bool,
    semconv: OtlpSemconv,
) -> Span {
    let mut name = s.name.to_string();
    let mut kind = KIND_INTERNAL;
    let mut attributes = mlflow_attributes(&s.attributes, request_id);
    match semconv {
        OtlpSemconv::Mlflow => {}
        OtlpSemconv::GenAi => semconv::genai(s, &mut attributes, &mut name, &mut kind),
        OtlpSemconv::OpenInference => semconv::openinference(s, trace, &mut attributes),
    }
    Span {
        trace_id: s.trace_id.to_bytes().to_vec(),
        span_id: s.span_id.to_bytes().to_vec(),
        trace_state: String::new(),
        parent_span_id: s
            .parent_id
            .map(|p| p.to_bytes().to_vec())
            .unwrap_or_default(),
        flags: if remote_parent {
            FLAGS_HAS_IS_REMOTE | FLAGS_IS_REMOTE
        } else {
            FLAGS_HAS_IS_REMOTE
        },
        name,
        kind,
        start_time_unix_nano: s.start_ns,
        end_time_unix_nano: s.end_ns,
        attributes,
        dropped_attributes_count: 0,
        // Event and link attributes stay typed, as OpenTelemetry's SDK sends the scalars MLflow
        // puts there (span attributes above are JSON text).
        events: otlp::events(s),
        dropped_events_count: 0,
        links: otlp::links(s, FLAGS_HAS_IS_REMOTE),
        dropped_links_count: 0,
        status: Some(otlp::status(s)),
    }
}

/// An `AnyValue` typed from JSON text (for the mappings' numbers).
pub(crate) fn typed_value(json_text: &str) -> Option<AnyValue> {
    anyvalue::from_json_text(json_text)
}

#[cfg(test)]
mod tests;
