//! The trace-level data MLflow's SDK derives when a root span ends: previews, truncated
//! `mlflow.traceInputs`/`mlflow.traceOutputs`, aggregated token usage, schema version, trace name.
//! Runs on the export worker, off the application's path.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::model::keys::{attr, meta, tag, MAX_CHARS_IN_TRACE_INFO_METADATA, TRACE_SCHEMA_VERSION};
use crate::model::{SpanId, SpanRecord, Trace};

const TOKEN_KEYS: [&str; 3] = ["input_tokens", "output_tokens", "total_tokens"];
const OPTIONAL_TOKEN_KEYS: [&str; 3] = [
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr",
];

/// Cuts `s` to `max` characters, ending in `...` when cut (MLflow's rule).
pub fn truncate_with_suffix(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// Fills in what MLflow's SDK adds to a trace at the end. Values set explicitly by the user
/// (previews, metadata, tags) are kept.
pub fn finalize_trace(trace: &mut Trace, process_metadata: &BTreeMap<String, String>) {
    // MLflow lists spans in start order (root first); the tracer collects them in end order.
    trace.spans.sort_by_key(|s| s.start_ns);
    let Some(root) = trace.root().cloned() else {
        return;
    };
    let info = &mut trace.info;
    for (k, v) in process_metadata {
        info.metadata.entry(k.clone()).or_insert_with(|| v.clone());
    }
    info.metadata
        .insert(meta::SCHEMA_VERSION.into(), TRACE_SCHEMA_VERSION.into());
    let inputs = root
        .attributes
        .get(attr::INPUTS)
        .map(|v| v.as_str().to_owned());
    let outputs = root
        .attributes
        .get(attr::OUTPUTS)
        .map(|v| v.as_str().to_owned());
    for (key, val) in [(meta::INPUTS, &inputs), (meta::OUTPUTS, &outputs)] {
        let text = val
            .as_deref()
            .map(|v| truncate_with_suffix(v, MAX_CHARS_IN_TRACE_INFO_METADATA));
        info.metadata
            .entry(key.into())
            .or_insert_with(|| text.unwrap_or_default());
    }
    if info.request_preview.is_none() {
        info.request_preview = inputs.map(|v| super::preview(&v, super::Role::User));
    }
    if info.response_preview.is_none() {
        info.response_preview = outputs.map(|v| super::preview(&v, super::Role::Assistant));
    }
    if let Some(usage) = aggregate_token_usage(&trace.spans) {
        info.metadata
            .entry(meta::TOKEN_USAGE.into())
            .or_insert(usage);
    }
    // MLflow sets the name tag last, so the root's name wins over a context tag.
    info.tags.insert(tag::TRACE_NAME.into(), root.name.clone());
}

/// Sums `mlflow.chat.tokenUsage` over the trace, counting a span's usage only when no ancestor
/// already carries usage (an agent span that reports the total of its LLM calls is not added to
/// them again). Returns MLflow's JSON (`{"input_tokens": 3, ...}`), or `None` without usage.
pub fn aggregate_token_usage(spans: &[std::sync::Arc<SpanRecord>]) -> Option<String> {
    let usage: HashMap<SpanId, Map<String, Value>> = spans
        .iter()
        .filter_map(|s| match s.attributes.get(attr::TOKEN_USAGE)?.to_value() {
            Value::Object(m) => Some((s.span_id, m)),
            _ => None,
        })
        .collect();
    if usage.is_empty() {
        return None;
    }
    let parent: HashMap<SpanId, Option<SpanId>> =
        spans.iter().map(|s| (s.span_id, s.parent_id)).collect();
    let mut totals: Vec<(&str, i64)> = TOKEN_KEYS.iter().map(|k| (*k, 0)).collect();
    let mut optional: Vec<(&str, i64, bool)> =
        OPTIONAL_TOKEN_KEYS.iter().map(|k| (*k, 0, false)).collect();
    for (id, m) in &usage {
        let mut p = parent.get(id).copied().flatten();
        let mut covered = false;
        while let Some(pid) = p {
            if usage.contains_key(&pid) {
                covered = true;
                break;
            }
            p = parent.get(&pid).copied().flatten();
        }
        if covered {
            continue;
        }
        for (k, t) in totals.iter_mut() {
            *t += m.get(*k).and_then(Value::as_i64).unwrap_or(0);
        }
        for (k, t, seen) in optional.iter_mut() {
            if let Some(v) = m.get(*k).and_then(Value::as_i64) {
                *t += v;
                *seen = true;
            }
        }
    }
    // json.dumps of a dict: Python separators, insertion order.
    let mut parts: Vec<String> = totals
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    parts.extend(
        optional
            .iter()
            .filter(|o| o.2)
            .map(|(k, v, _)| format!("\"{k}\": {v}")),
    );
    Some(format!("{{{}}}", parts.join(", ")))
}
