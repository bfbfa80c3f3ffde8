//! Traces to an OTLP `ExportTraceServiceRequest` (protobuf), as MLflow's SDK builds it for
//! `POST /v1/traces` (`RestStore.log_spans` + `Span.to_otel_proto`): one resource, one scope
//! without a name, every span of every trace in it, attribute and event values as typed
//! `AnyValue`s. Nothing here is specific to MLflow's server except the optional
//! `mlflow.traceRequestId` attribute, so plain OTLP collectors can take the same bytes.

use std::io::Write as _;

use super::anyvalue::{self, key_value};
use super::proto::{
    Event, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Link, Resource,
    ResourceSpans, ScopeSpans, Span, Status, STATUS_CODE_ERROR, STATUS_CODE_OK, STATUS_CODE_UNSET,
};
use crate::model::keys::attr;
use crate::model::{Attributes, SpanRecord, StatusCode, Trace};

/// What goes around the spans.
#[derive(Clone, Debug)]
pub struct OtlpOptions {
    /// Resource attributes (strings). MLflow turns every resource attribute other than
    /// `telemetry.sdk.*` and `mlflow.*` into a trace tag, so the default holds only the three
    /// `telemetry.sdk.*` keys, as MLflow's SDK sends.
    pub resource: Vec<(String, String)>,
    /// Put `mlflow.traceRequestId` (`tr-<hex>`) first on every span, as MLflow's SDK does.
    pub request_id_attribute: bool,
}

impl OtlpOptions {
    /// `telemetry.sdk.language` = `language`, `telemetry.sdk.name` = `ferrotrace`,
    /// `telemetry.sdk.version` = this crate's version; with `mlflow.traceRequestId`.
    pub fn mlflow(language: &str) -> Self {
        OtlpOptions {
            resource: vec![
                ("telemetry.sdk.language".into(), language.into()),
                ("telemetry.sdk.name".into(), "ferrotrace".into()),
                (
                    "telemetry.sdk.version".into(),
                    env!("CARGO_PKG_VERSION").into(),
                ),
            ],
            request_id_attribute: true,
        }
    }
}

/// The request message for the spans of `traces`.
///
/// ```
/// use ferrotrace_core::export::mlflow::{build_request, OtlpOptions};
/// let req = build_request(&[Default::default()], &OtlpOptions::mlflow("python"));
/// assert_eq!(req.resource_spans.len(), 1);
/// ```
pub fn build_request<'a>(
    traces: impl IntoIterator<Item = &'a Trace>,
    opts: &OtlpOptions,
) -> ExportTraceServiceRequest {
    let mut spans = Vec::new();
    for trace in traces {
        let request_id = opts
            .request_id_attribute
            .then(|| anyvalue::string(trace.info.trace_id.to_mlflow()));
        spans.extend(trace.spans.iter().map(|s| span(s, request_id.as_ref())));
    }
    one_resource(&opts.resource, None, spans)
}

/// A request of one resource (string attributes) and one scope holding `spans`.
pub(crate) fn one_resource(
    resource: &[(String, String)],
    scope: Option<InstrumentationScope>,
    spans: Vec<Span>,
) -> ExportTraceServiceRequest {
    let resource = Resource {
        attributes: resource
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: Some(anyvalue::string(v.clone())),
            })
            .collect(),
        dropped_attributes_count: 0,
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: vec![ScopeSpans {
                scope,
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The protobuf bytes of [`build_request`], written straight from the traces.
///
/// ```
/// use prost::Message as _;
/// use ferrotrace_core::export::mlflow::{build_request, encode_request, OtlpOptions};
/// let opts = OtlpOptions::mlflow("python");
/// let traces = [Default::default()];
/// assert_eq!(encode_request(&traces, &opts), build_request(&traces, &opts).encode_to_vec());
/// ```
pub fn encode_request<'a>(
    traces: impl IntoIterator<Item = &'a Trace>,
    opts: &OtlpOptions,
) -> Vec<u8> {
    super::encode::encode_request(traces, opts)
}

/// Gzip (fast level: the body is sent once, over a network that is slower than the compressor).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

pub(crate) fn attributes(attrs: &Attributes, first: Option<KeyValue>) -> Vec<KeyValue> {
    let mut out = Vec::with_capacity(attrs.len() + usize::from(first.is_some()));
    out.extend(first);
    out.extend(attrs.iter().map(|(k, v)| key_value(k, v.as_str())));
    out
}

fn span(s: &SpanRecord, request_id: Option<&super::proto::AnyValue>) -> Span {
    let first = request_id.map(|v| KeyValue {
        key: attr::REQUEST_ID.to_owned(),
        value: Some(v.clone()),
    });
    // A user attribute of the same name must not be sent twice.
    let attrs = if first.is_some() && s.attributes.get(attr::REQUEST_ID).is_some() {
        let mut a = s.attributes.clone();
        a.remove(attr::REQUEST_ID);
        attributes(&a, first)
    } else {
        attributes(&s.attributes, first)
    };
    Span {
        trace_id: s.trace_id.to_bytes().to_vec(),
        span_id: s.span_id.to_bytes().to_vec(),
        trace_state: String::new(),
        parent_span_id: s
            .parent_id
            .map(|p| p.to_bytes().to_vec())
            .unwrap_or_default(),
        flags: 0,
        name: s.name.to_string(),
        kind: 0,
        start_time_unix_nano: s.start_ns,
        end_time_unix_nano: s.end_ns,
        attributes: attrs,
        dropped_attributes_count: 0,
        events: events(s),
        dropped_events_count: 0,
        links: links(s, 0),
        dropped_links_count: 0,
        status: Some(status(s)),
    }
}

/// The span's events, their attributes typed.
pub(crate) fn events(s: &SpanRecord) -> Vec<Event> {
    (s.events.iter())
        .map(|e| Event {
            time_unix_nano: e.time_ns,
            name: e.name.clone(),
            attributes: attributes(&e.attributes, None),
            dropped_attributes_count: 0,
        })
        .collect()
}

/// The span's links, their attributes typed, with these OTLP `flags`.
pub(crate) fn links(s: &SpanRecord, flags: u32) -> Vec<Link> {
    (s.links.iter())
        .map(|l| Link {
            trace_id: l.trace_id.to_bytes().to_vec(),
            span_id: l.span_id.to_bytes().to_vec(),
            trace_state: String::new(),
            attributes: attributes(&l.attributes, None),
            dropped_attributes_count: 0,
            flags,
        })
        .collect()
}

pub(crate) fn status(s: &SpanRecord) -> Status {
    Status {
        message: s.status.message.clone(),
        code: match s.status.code {
            StatusCode::Unset => STATUS_CODE_UNSET,
            StatusCode::Ok => STATUS_CODE_OK,
            StatusCode::Error => STATUS_CODE_ERROR,
        },
    }
}

#[cfg(test)]
mod tests;
