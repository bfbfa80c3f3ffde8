//! The way back from MLflow's `Trace.to_dict()` shape to a [`Trace`]: what the spill store and
//! `ferrotrace push` read from disk before sending it again.

use std::sync::Arc;

use serde_json::Value;

use super::dict::TraceDict;
use super::keys::attr;
use super::{
    parse_rfc3339_ms, Attributes, RawJson, SpanEvent, SpanId, SpanLink, SpanRecord, SpanStatus,
    StatusCode, Trace, TraceId, TraceInfo, TraceState,
};

impl TryFrom<&TraceDict> for Trace {
    type Error = String;

    /// Rebuilds a trace from its stored record. The experiment is taken from `trace_location`
    /// when the record names one (a record written without one leaves it `None`, so the
    /// destination's default applies).
    fn try_from(d: &TraceDict) -> Result<Trace, String> {
        let info = &d.info;
        let trace_id = TraceId::parse(&info.trace_id)
            .ok_or_else(|| format!("bad trace id {:?}", info.trace_id))?;
        let experiment_id = info.trace_location["mlflow_experiment"]["experiment_id"]
            .as_str()
            .map(str::to_owned);
        let mut spans = Vec::with_capacity(d.data.spans.len());
        for s in &d.data.spans {
            let span_id = SpanId::from_base64(&s.span_id)
                .or_else(|| SpanId::parse(&s.span_id))
                .ok_or_else(|| format!("bad span id {:?}", s.span_id))?;
            let parent_id = match s.parent_span_id.as_deref() {
                None | Some("") => None,
                Some(p) => Some(
                    SpanId::from_base64(p)
                        .or_else(|| SpanId::parse(p))
                        .ok_or_else(|| format!("bad parent span id {p:?}"))?,
                ),
            };
            let mut attributes = Attributes::with_capacity(s.attributes.len());
            for (k, v) in &s.attributes {
                if k == attr::REQUEST_ID {
                    continue; // derived from the trace id when written
                }
                attributes.set(k.clone(), stored_json(v));
            }
            let events = s
                .events
                .iter()
                .map(|e| SpanEvent {
                    name: e.name.clone(),
                    time_ns: e.time_unix_nano,
                    attributes: plain_attributes(&e.attributes),
                })
                .collect();
            let links = s
                .links
                .iter()
                .filter_map(|l| {
                    Some(SpanLink {
                        trace_id: TraceId::parse(l["trace_id"].as_str()?)?,
                        span_id: SpanId::parse(l["span_id"].as_str()?)?,
                        attributes: l["attributes"]
                            .as_object()
                            .map(plain_attributes)
                            .unwrap_or_default(),
                    })
                })
                .collect();
            spans.push(Arc::new(SpanRecord {
                trace_id,
                span_id,
                parent_id,
                name: s.name.clone().into(),
                start_ns: s.start_time_unix_nano,
                end_ns: s.end_time_unix_nano.unwrap_or(s.start_time_unix_nano),
                status: SpanStatus {
                    code: StatusCode::parse(&s.status.code).unwrap_or(StatusCode::Unset),
                    message: s.status.message.clone(),
                },
                attributes,
                events,
                links,
            }));
        }
        Ok(Trace {
            info: TraceInfo {
                trace_id,
                experiment_id,
                request_time_ms: parse_rfc3339_ms(&info.request_time).unwrap_or(0),
                execution_duration_ms: info.execution_duration_ms.unwrap_or(0),
                state: TraceState::parse(&info.state).unwrap_or_default(),
                request_preview: info.request_preview.clone(),
                response_preview: info.response_preview.clone(),
                client_request_id: info.client_request_id.clone(),
                metadata: info.trace_metadata.clone(),
                tags: info.tags.clone(),
            },
            spans: spans.into(),
        })
    }
}

/// A span attribute as stored: JSON text in a string (MLflow's span dict), or a plain value.
fn stored_json(v: &Value) -> RawJson {
    match v {
        Value::String(text) if serde_json::from_str::<Value>(text).is_ok() => {
            RawJson::from_trusted(text.as_str())
        }
        other => RawJson::from_value(other),
    }
}

fn plain_attributes(m: &serde_json::Map<String, Value>) -> Attributes {
    let mut out = Attributes::with_capacity(m.len());
    for (k, v) in m {
        out.set(k.clone(), RawJson::from_value(v));
    }
    out
}

#[cfg(test)]
mod tests;
