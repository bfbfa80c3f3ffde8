//! The trace-level data MLflow's SDK derives when a root span ends: previews, truncated
//! `mlflow.traceInputs`/`mlflow.traceOutputs`, aggregated token usage and cost, schema version,
//! trace name.
//! Runs on the export worker, off the application's path.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::model::keys::{attr, meta, tag, MAX_CHARS_IN_TRACE_INFO_METADATA, TRACE_SCHEMA_VERSION};
use crate::model::{root_span, RawJson, SharedMetadata, SpanId, SpanRecord, Trace};

const COST_KEYS: [&str; 3] = ["input_cost", "output_cost", "total_cost"];
const TOKEN_KEYS: [&str; 3] = ["input_tokens", "output_tokens", "total_tokens"];
const OPTIONAL_TOKEN_KEYS: [&str; 3] = [
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr",
];

/// Cuts `s` to `max` characters, ending in `...` when cut (MLflow's rule).
pub fn truncate_with_suffix(s: &str, max: usize) -> String {
    // No more bytes than `max` means no more characters either: nothing to count.
    if s.len() <= max || s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// Fills in what MLflow's SDK adds to a trace at the end, `process_metadata` included. Values
/// set explicitly by the user (previews, metadata, tags) are kept.
pub fn finalize_trace(trace: &mut Trace, process_metadata: &BTreeMap<String, String>) {
    if finalize_shared(trace, process_metadata) {
        trace.info.add_metadata(process_metadata);
    }
}

/// [`finalize_trace`] but for `shared`, which is left out of the trace's metadata: the worker
/// passes it along with the batch (see [`SharedMetadata`]). Whether the trace has a root (a
/// trace without one is left as it is).
pub(crate) fn finalize_shared(trace: &mut Trace, shared: &SharedMetadata) -> bool {
    // MLflow lists spans in start order (root first); the tracer collects them in end order.
    trace.spans.sort_by_key(|s| s.start_ns);
    // The root is read in place while the info is filled in (no copy of it or its values).
    let Trace { info, spans } = trace;
    let Some(root) = root_span(spans) else {
        return false;
    };
    // MLflow adds the process's metadata first, then derives the rest only where neither the
    // trace nor the process has a value: `has` is that check.
    let has = |m: &BTreeMap<String, String>, k: &str| m.contains_key(k) || shared.contains_key(k);
    if shared.get(meta::SCHEMA_VERSION).map(String::as_str) == Some(TRACE_SCHEMA_VERSION) {
        // The batch carries it (the worker adds it to the shared metadata): a value of the
        // trace's own would hide it.
        info.metadata.remove(meta::SCHEMA_VERSION);
    } else {
        info.metadata
            .insert(meta::SCHEMA_VERSION.into(), TRACE_SCHEMA_VERSION.into());
    }
    let inputs = root.attributes.get(attr::INPUTS).map(RawJson::as_str);
    let outputs = root.attributes.get(attr::OUTPUTS).map(RawJson::as_str);
    for (key, val) in [(meta::INPUTS, inputs), (meta::OUTPUTS, outputs)] {
        if !has(&info.metadata, key) {
            let text = val
                .map(|v| truncate_with_suffix(v, MAX_CHARS_IN_TRACE_INFO_METADATA))
                .unwrap_or_default();
            info.metadata.insert(key.into(), text);
        }
    }
    if info.request_preview.is_none() {
        info.request_preview = inputs.map(|v| super::preview(v, super::Role::User));
    }
    if info.response_preview.is_none() {
        info.response_preview = outputs.map(|v| super::preview(v, super::Role::Assistant));
    }
    for (key, value) in [
        (meta::TOKEN_USAGE, aggregate_token_usage(spans)),
        (meta::COST, aggregate_cost(spans)),
    ] {
        if let Some(v) = value.filter(|_| !has(&info.metadata, key)) {
            info.metadata.insert(key.into(), v);
        }
    }
    // MLflow sets the name tag last, so the root's name wins over a context tag.
    info.tags
        .insert(tag::TRACE_NAME.into(), root.name.to_string());
    true
}

/// Sums `mlflow.llm.cost` (USD) over the trace into MLflow's `mlflow.trace.cost` JSON, skipping a
/// span whose ancestor carries a cost. Spans are visited in the order of MLflow's stack walk
/// (`_aggregate_from_nodes`), so the float sums come out bit-identical to MLflow's.
///
/// ```
/// use std::sync::Arc;
/// use ferrotrace_core::model::{RawJson, SpanId, SpanRecord};
/// use ferrotrace_core::process::aggregate_cost;
/// let root = SpanRecord { span_id: SpanId(1), ..Default::default() };
/// let mut llm = SpanRecord { span_id: SpanId(2), parent_id: Some(SpanId(1)), ..Default::default() };
/// let cost = r#"{"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3}"#;
/// llm.attributes.set("mlflow.llm.cost", RawJson::from_trusted(cost));
/// let cost = aggregate_cost(&[Arc::new(root), Arc::new(llm)]).unwrap();
/// assert_eq!(cost, r#"{"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3}"#);
/// ```
pub fn aggregate_cost(spans: &[std::sync::Arc<SpanRecord>]) -> Option<String> {
    let cost: HashMap<SpanId, Map<String, Value>> = spans
        .iter()
        .filter_map(|s| match s.attributes.get(attr::LLM_COST)?.to_value() {
            Value::Object(m) => Some((s.span_id, m)),
            _ => None,
        })
        .collect();
    if cost.is_empty() {
        return None;
    }
    let ids: std::collections::HashSet<SpanId> = spans.iter().map(|s| s.span_id).collect();
    let mut children: HashMap<SpanId, Vec<SpanId>> = HashMap::new();
    let mut stack: Vec<(SpanId, bool)> = Vec::new();
    for s in spans {
        match s.parent_id {
            Some(p) if ids.contains(&p) => children.entry(p).or_default().push(s.span_id),
            _ => stack.push((s.span_id, false)),
        }
    }
    let mut totals = [0.0f64; 3];
    while let Some((id, ancestor_has)) = stack.pop() {
        let own = cost.get(&id);
        if let (Some(m), false) = (own, ancestor_has) {
            for (t, k) in totals.iter_mut().zip(COST_KEYS) {
                *t += m.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            }
        }
        let next = ancestor_has || own.is_some();
        if let Some(kids) = children.get(&id) {
            stack.extend(kids.iter().map(|c| (*c, next)));
        }
    }
    let mut out = String::from("{");
    for (i, (k, v)) in COST_KEYS.iter().zip(totals).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("\"{k}\": "));
        crate::model::json::push_f64(&mut out, v);
    }
    out.push('}');
    Some(out)
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
