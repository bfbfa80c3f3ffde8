//! The server's trace JSON (`GET /api/3.0/mlflow/traces/get`: `trace_info` in proto3 JSON, spans
//! as OTLP proto-JSON with typed values) turned into MLflow's `Trace.to_dict()` shape, which the
//! bindings already read for the local store.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{EventDict, InfoDict, RawJson, SpanDict, StatusDict, TraceDict};

/// Converts `{"trace_info": {...}, "spans": [...]}` as the server sends it.
///
/// ```
/// use serde_json::json;
/// let server = json!({"trace_info": {"trace_id": "tr-1", "request_time": "2026-11-25T11:38:58.824Z",
///     "execution_duration": "0.004s", "state": "OK"},
///     "spans": [{"trace_id": "mg6LgnQCMexANkG08921CA==", "span_id": "GhCrcQCwQ3M=", "name": "f",
///       "start_time_unix_nano": 1, "end_time_unix_nano": 2,
///       "attributes": [{"key": "mlflow.spanType", "value": {"string_value": "CHAIN"}}],
///       "status": {"code": "STATUS_CODE_OK"}}]});
/// let t = ferrotrace_core::export::mlflow::trace_dict_from_server(&server);
/// assert_eq!(t.info.execution_duration_ms, Some(4));
/// assert_eq!(t.data.spans[0].attributes["mlflow.spanType"], "\"CHAIN\"");
/// ```
pub fn trace_dict_from_server(trace: &Value) -> TraceDict {
    let info = &trace["trace_info"];
    let text = |k: &str| info[k].as_str().map(str::to_owned);
    let strings = |k: &str| -> BTreeMap<String, String> {
        info[k]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let info_dict = InfoDict {
        trace_id: text("trace_id").unwrap_or_default(),
        trace_location: info["trace_location"].clone(),
        request_time: text("request_time").unwrap_or_default(),
        state: text("state").unwrap_or_else(|| "STATE_UNSPECIFIED".into()),
        trace_metadata: strings("trace_metadata"),
        tags: strings("tags"),
        request_preview: text("request_preview"),
        response_preview: text("response_preview"),
        client_request_id: text("client_request_id"),
        execution_duration_ms: info["execution_duration"].as_str().and_then(duration_ms),
        assessments: info["assessments"].as_array().cloned().unwrap_or_default(),
    };
    let spans = trace["spans"]
        .as_array()
        .map(|s| s.iter().map(span_dict).collect())
        .unwrap_or_default();
    TraceDict {
        info: info_dict,
        data: crate::model::DataDict { spans },
    }
}

/// `"0.049s"` (a protobuf Duration in JSON) as milliseconds.
fn duration_ms(s: &str) -> Option<u64> {
    let secs: f64 = s.strip_suffix('s')?.parse().ok()?;
    Some((secs * 1000.0).round() as u64)
}

fn span_dict(s: &Value) -> SpanDict {
    let attributes: Map<String, Value> = key_values(&s["attributes"])
        .into_iter()
        // Stored span dicts keep every attribute value as JSON text.
        .map(|(k, v)| {
            (
                k,
                Value::String(RawJson::from_value(&v).as_str().to_owned()),
            )
        })
        .collect();
    let events = s["events"]
        .as_array()
        .map(|evs| {
            evs.iter()
                .map(|e| EventDict {
                    name: e["name"].as_str().unwrap_or_default().to_owned(),
                    time_unix_nano: number(&e["time_unix_nano"]),
                    attributes: key_values(&e["attributes"]).into_iter().collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let parent = s["parent_span_id"]
        .as_str()
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    SpanDict {
        trace_id: s["trace_id"].as_str().unwrap_or_default().to_owned(),
        span_id: s["span_id"].as_str().unwrap_or_default().to_owned(),
        parent_span_id: parent,
        name: s["name"].as_str().unwrap_or_default().to_owned(),
        start_time_unix_nano: number(&s["start_time_unix_nano"]),
        end_time_unix_nano: Some(number(&s["end_time_unix_nano"])),
        events,
        status: StatusDict {
            code: s["status"]["code"]
                .as_str()
                .unwrap_or("STATUS_CODE_UNSET")
                .to_owned(),
            message: s["status"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
        attributes,
        links: Vec::new(),
    }
}

/// int64 fields come as numbers or, in strict proto3 JSON, as strings.
fn number(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

fn key_values(list: &Value) -> Vec<(String, Value)> {
    list.as_array()
        .map(|kvs| {
            kvs.iter()
                .map(|kv| {
                    (
                        kv["key"].as_str().unwrap_or_default().to_owned(),
                        any_value(&kv["value"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An OTLP AnyValue in proto-JSON (snake_case or camelCase) as a plain JSON value.
fn any_value(v: &Value) -> Value {
    let get = |snake: &str, camel: &str| v.get(snake).or_else(|| v.get(camel));
    if let Some(s) = get("string_value", "stringValue") {
        return s.clone();
    }
    if let Some(b) = get("bool_value", "boolValue") {
        return b.clone();
    }
    if let Some(i) = get("int_value", "intValue") {
        return i
            .as_i64()
            .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
            .map_or_else(|| i.clone(), Value::from);
    }
    if let Some(d) = get("double_value", "doubleValue") {
        return d.clone();
    }
    if let Some(a) = get("array_value", "arrayValue") {
        return Value::Array(
            a["values"]
                .as_array()
                .map(|xs| xs.iter().map(any_value).collect())
                .unwrap_or_default(),
        );
    }
    if let Some(kv) = get("kvlist_value", "kvlistValue") {
        return Value::Object(key_values(&kv["values"]).into_iter().collect());
    }
    if let Some(b) = get("bytes_value", "bytesValue") {
        return b.clone();
    }
    Value::Null
}

#[cfg(test)]
mod tests;
