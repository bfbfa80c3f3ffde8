//! MLflow's `Trace.to_dict()` shape: what `Trace.from_dict()` loads, and the record format of the
//! local store. Span attribute values are JSON text; event attributes are plain JSON values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::keys::attr;
use super::{rfc3339_ms, Trace};

/// `{"info": ..., "data": {"spans": [...]}}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceDict {
    pub info: InfoDict,
    pub data: DataDict,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DataDict {
    pub spans: Vec<SpanDict>,
}

/// MLflow's `TraceInfo.to_dict()`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InfoDict {
    pub trace_id: String,
    pub trace_location: Value,
    pub request_time: String,
    pub state: String,
    #[serde(default)]
    pub trace_metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    #[serde(default)]
    pub execution_duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<Value>,
}

/// MLflow's `Span.to_dict()`: base64 ids, integer nanoseconds, JSON-text attribute values.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SpanDict {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: Option<u64>,
    #[serde(default)]
    pub events: Vec<EventDict>,
    pub status: StatusDict,
    #[serde(default)]
    pub attributes: Map<String, Value>,
    #[serde(default)]
    pub links: Vec<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventDict {
    pub name: String,
    pub time_unix_nano: u64,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StatusDict {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl From<&Trace> for TraceDict {
    fn from(trace: &Trace) -> Self {
        let info = &trace.info;
        let request_id = info.trace_id.to_mlflow();
        let request_id_json =
            Value::String(super::RawJson::string(&request_id).as_str().to_owned());
        let spans = trace
            .spans
            .iter()
            .map(|s| {
                let mut attributes = Map::with_capacity(s.attributes.len() + 1);
                attributes.insert(attr::REQUEST_ID.to_owned(), request_id_json.clone());
                for (k, v) in s.attributes.iter() {
                    attributes.insert(k.to_owned(), Value::String(v.as_str().to_owned()));
                }
                SpanDict {
                    trace_id: s.trace_id.to_base64(),
                    span_id: s.span_id.to_base64(),
                    parent_span_id: s.parent_id.map(|p| p.to_base64()),
                    name: s.name.to_string(),
                    start_time_unix_nano: s.start_ns,
                    end_time_unix_nano: Some(s.end_ns),
                    events: s
                        .events
                        .iter()
                        .map(|e| EventDict {
                            name: e.name.clone(),
                            time_unix_nano: e.time_ns,
                            attributes: e.attributes.iter().map(|(k, v)| (k.to_owned(), v.to_value())).collect(),
                        })
                        .collect(),
                    status: StatusDict { code: s.status.code.otel_name().to_owned(), message: s.status.message.clone() },
                    attributes,
                    links: s
                        .links
                        .iter()
                        .map(|l| {
                            let attrs: Map<String, Value> = l.attributes.iter().map(|(k, v)| (k.to_owned(), v.to_value())).collect();
                            serde_json::json!({"trace_id": l.trace_id.to_mlflow(), "span_id": l.span_id.to_hex(), "attributes": attrs})
                        })
                        .collect(),
                }
            })
            .collect();
        TraceDict {
            info: InfoDict {
                trace_id: request_id.clone(),
                trace_location: serde_json::json!({
                    "type": "MLFLOW_EXPERIMENT",
                    "mlflow_experiment": {"experiment_id": info.experiment_id.as_deref().unwrap_or("0")}
                }),
                request_time: rfc3339_ms(info.request_time_ms),
                state: info.state.as_str().to_owned(),
                trace_metadata: info.metadata.clone(),
                tags: info.tags.clone(),
                request_preview: info.request_preview.clone(),
                response_preview: info.response_preview.clone(),
                client_request_id: info.client_request_id.clone(),
                execution_duration_ms: Some(info.execution_duration_ms),
                assessments: Vec::new(),
            },
            data: DataDict { spans },
        }
    }
}

impl TraceDict {
    /// The root span: the earliest-starting span whose parent is not among the trace's spans
    /// (see [`Trace::root`]).
    pub fn root(&self) -> Option<&SpanDict> {
        // The earliest span whose parent is not in the trace (see `Trace::root`).
        self.data
            .spans
            .iter()
            .filter(|s| {
                s.parent_span_id
                    .as_ref()
                    .is_none_or(|p| !self.data.spans.iter().any(|o| &o.span_id == p))
            })
            .min_by_key(|s| s.start_time_unix_nano)
    }

    /// The trace name: the `mlflow.traceName` tag, else the root span's name.
    pub fn name(&self) -> &str {
        self.info
            .tags
            .get(super::keys::tag::TRACE_NAME)
            .map(String::as_str)
            .or_else(|| self.root().map(|r| r.name.as_str()))
            .unwrap_or("")
    }
}

impl SpanDict {
    /// An attribute's value, decoded from its JSON text.
    pub fn attribute(&self, key: &str) -> Option<Value> {
        match self.attributes.get(key)? {
            Value::String(text) => Some(super::json::parse_lenient(text)),
            other => Some(other.clone()),
        }
    }
}
