//! The StartTraceV3 request (`POST /api/3.0/mlflow/traces`): a trace's `TraceInfoV3` in proto3
//! JSON, as MLflow's SDK sends it after the spans (`TraceInfo.to_proto` + `message_to_json`).
//! Written straight from the trace, byte for byte what serializing the `serde_json::Value` the
//! exporter used to build gave (the tests keep that builder as the reference).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::model::json::push_str_bytes;
use crate::model::keys::meta;
use crate::model::{push_rfc3339_ms, python_sizes, SharedMetadata, Trace};

/// The path of StartTraceV3.
pub const START_TRACE_PATH: &str = "/api/3.0/mlflow/traces";

/// MLflow truncates metadata keys and values to this many characters.
const MAX_METADATA_CHARS: usize = 250;
/// MLflow truncates tag keys to this many characters...
const MAX_TAG_KEY_CHARS: usize = 250;
/// ...and tag values to this many.
const MAX_TAG_VALUE_CHARS: usize = 4096;

/// `{"trace": {"trace_info": {...}}}` for `trace` in `experiment_id`, with MLflow's size stats
/// added to the metadata (unless already there). The parsed form of
/// [`write_start_trace_body`].
///
/// ```
/// use ferrotrace_core::export::mlflow::start_trace_body;
/// let body = start_trace_body(&Default::default(), "1");
/// let info = &body["trace"]["trace_info"];
/// assert_eq!(info["trace_location"]["mlflow_experiment"]["experiment_id"], "1");
/// assert_eq!(info["execution_duration"], "0s");
/// ```
pub fn start_trace_body(trace: &Trace, experiment_id: &str) -> Value {
    let mut out = Vec::new();
    write_start_trace_body(&mut out, trace, experiment_id);
    serde_json::from_slice(&out).unwrap_or_default()
}

/// Appends the StartTraceV3 request body of `trace` in `experiment_id` (compact JSON).
///
/// ```
/// use ferrotrace_core::export::mlflow::write_start_trace_body;
/// let mut body = Vec::new();
/// write_start_trace_body(&mut body, &Default::default(), "1");
/// assert!(body.starts_with(br#"{"trace":{"trace_info":{"trace_id":"tr-"#));
/// ```
pub fn write_start_trace_body(out: &mut Vec<u8>, trace: &Trace, experiment_id: &str) {
    write_body(out, trace, &SharedMetadata::new(), experiment_id);
}

/// [`write_start_trace_body`] of the trace whose metadata has `shared` added.
pub(crate) fn write_body(
    out: &mut Vec<u8>,
    trace: &Trace,
    shared: &SharedMetadata,
    experiment_id: &str,
) {
    let info = &trace.info;
    // An MLflow server computes the trace cost from the spans it stores (MLflow's client only
    // sends it to Databricks and SageMaker), so the server's value is the one users see.
    let mut metadata: Vec<(&str, Cow<'_, str>)> =
        Vec::with_capacity(info.metadata.len() + shared.len() + 2);
    let sized =
        info.metadata.contains_key(meta::SIZE_BYTES) || shared.contains_key(meta::SIZE_BYTES);
    metadata.extend(
        info.metadata_with(shared)
            .filter(|(k, _)| *k != meta::COST && (sized || *k != meta::SIZE_STATS))
            .map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str()))),
    );
    if !sized {
        let (total, stats) = size_stats(trace, shared, experiment_id);
        for (k, v) in [
            (meta::SIZE_STATS, stats),
            (
                meta::SIZE_BYTES,
                itoa::Buffer::new().format(total).to_owned(),
            ),
        ] {
            let at = metadata.partition_point(|(m, _)| *m < k);
            metadata.insert(at, (k, Cow::Owned(v)));
        }
    }
    out.extend_from_slice(br#"{"trace":{"trace_info":{"trace_id":""#);
    out.extend_from_slice(&info.trace_id.mlflow_bytes());
    out.push(b'"');
    if let Some(id) = &info.client_request_id {
        out.extend_from_slice(br#","client_request_id":"#);
        push_str_bytes(out, id);
    }
    out.extend_from_slice(
        br#","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"#,
    );
    push_str_bytes(out, experiment_id);
    out.extend_from_slice(b"}}");
    for (key, value) in [
        ("request_preview", &info.request_preview),
        ("response_preview", &info.response_preview),
    ] {
        if let Some(v) = value {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            push_str_bytes(out, v);
        }
    }
    out.extend_from_slice(br#","request_time":""#);
    push_timestamp_json(out, info.request_time_ms);
    out.extend_from_slice(br#"","execution_duration":""#);
    push_duration_json(out, info.execution_duration_ms);
    out.extend_from_slice(br#"","state":"#);
    push_str_bytes(out, info.state.as_str());
    out.extend_from_slice(br#","trace_metadata":"#);
    push_truncated(out, &metadata, MAX_METADATA_CHARS, MAX_METADATA_CHARS);
    out.extend_from_slice(br#","tags":"#);
    let tags: Vec<(&str, Cow<'_, str>)> = info
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str())))
        .collect();
    push_truncated(out, &tags, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS);
    out.extend_from_slice(b"}}}");
}

/// A protobuf `Timestamp` in JSON: RFC 3339 with milliseconds, or none when they are zero.
pub(crate) fn push_timestamp_json(out: &mut Vec<u8>, ms: u64) {
    let start = out.len();
    push_rfc3339_ms(out, ms);
    if ms.is_multiple_of(1000) {
        out.truncate(start + 19);
        out.push(b'Z');
    }
}

/// A protobuf `Duration` in JSON (`"0.049s"`, `"2s"`): a string, never a number (MLflow stores
/// a number as 0 s and loses the state).
pub(crate) fn push_duration_json(out: &mut Vec<u8>, ms: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(ms / 1000).as_bytes());
    if !ms.is_multiple_of(1000) {
        let frac = ms % 1000;
        out.extend_from_slice(&[
            b'.',
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
    }
    out.push(b's');
}

/// `s` cut to `max` characters.
fn cut(s: &str, max: usize) -> &str {
    // Fewer bytes than `max` means fewer characters too: no need to count them.
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A JSON object of `entries` (sorted by key) with keys and values cut to their limits.
fn push_truncated(
    out: &mut Vec<u8>,
    entries: &[(&str, Cow<'_, str>)],
    key_max: usize,
    value_max: usize,
) {
    if entries.iter().any(|(k, _)| cut(k, key_max).len() < k.len()) {
        // Cut keys may collide: the map keeps the first one's place and the last one's value.
        let map: Map<String, Value> = entries
            .iter()
            .map(|(k, v)| {
                (
                    cut(k, key_max).to_owned(),
                    Value::String(cut(v, value_max).to_owned()),
                )
            })
            .collect();
        push_compact(out, &Value::Object(map));
        return;
    }
    out.push(b'{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str_bytes(out, k);
        out.push(b':');
        push_str_bytes(out, cut(v, value_max));
    }
    out.push(b'}');
}

fn push_compact(out: &mut Vec<u8>, v: &Value) {
    // Writing into a Vec cannot fail, and a Value always serializes.
    let _ = serde_json::to_writer(out, v);
}

/// MLflow's `mlflow.trace.sizeBytes` and `mlflow.trace.sizeStats`: span sizes as JSON text of
/// `Span.to_dict()` and the trace's total. Sizes are of our JSON, which keeps non-ASCII text as
/// is where Python escapes it, so they can be a little smaller than MLflow's own.
fn size_stats(trace: &Trace, shared: &SharedMetadata, experiment_id: &str) -> (usize, String) {
    let mut sizes = Vec::with_capacity(trace.spans.len());
    let empty = python_sizes(trace, shared, experiment_id, &mut sizes);
    stats_of(sizes, empty)
}

/// The total and the `sizeStats` JSON of span sizes and the size of the rest of the trace.
fn stats_of(mut sizes: Vec<usize>, empty: usize) -> (usize, String) {
    let total = sizes.iter().sum::<usize>() + empty + sizes.len().saturating_sub(1) * 2;
    sizes.sort_unstable();
    let pct = |p: f64| -> usize {
        if sizes.is_empty() {
            return 0;
        }
        let idx = p * (sizes.len() - 1) as f64;
        let lo = idx as usize;
        match sizes.get(lo + 1) {
            Some(&hi) => {
                let w = idx - lo as f64;
                (sizes[lo] as f64 * (1.0 - w) + hi as f64 * w) as usize
            }
            None => sizes[sizes.len() - 1],
        }
    };
    // json.dumps of MLflow's dict, written without the formatter (once per trace).
    let mut stats = String::with_capacity(112);
    for (key, v) in [
        ("{\"total_size_bytes\": ", total),
        (", \"num_spans\": ", sizes.len()),
        (", \"max\": ", sizes.last().copied().unwrap_or(0)),
        (", \"p25\": ", pct(0.25)),
        (", \"p50\": ", pct(0.5)),
        (", \"p75\": ", pct(0.75)),
    ] {
        stats.push_str(key);
        stats.push_str(itoa::Buffer::new().format(v));
    }
    stats.push('}');
    (total, stats)
}

#[cfg(test)]
mod tests;
