//! Anthropic calls: `messages.create` (and `messages.stream`).

use serde_json::{Map, Value};

use super::keys as k;
use super::{count, request_model, tools};

/// The message format, and the tools in MLflow's (OpenAI's) shape.
pub(super) fn start(inputs: &Value) -> Vec<(String, Value)> {
    let mut out = vec![(k::MESSAGE_FORMAT.to_owned(), Value::from("anthropic"))];
    if let Some(t) = inputs.get("tools").and_then(tools::anthropic) {
        out.push((k::TOOLS.to_owned(), t));
    }
    out
}

/// Model (the request's), provider, and usage when the result has it. Also set after a failure.
pub(super) fn end(inputs: &Value, outputs: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(model) = request_model(inputs) {
        out.push((k::MODEL.to_owned(), model));
    }
    out.push((k::PROVIDER.to_owned(), Value::from("anthropic")));
    if let Some(u) = usage(outputs) {
        out.push((k::TOKEN_USAGE.to_owned(), u));
    }
    out
}

/// Anthropic counts cached input apart from `input_tokens`; MLflow's input and total include it.
fn usage(outputs: &Value) -> Option<Value> {
    let u = outputs.get("usage").filter(|u| u.is_object())?;
    let input = u.get("input_tokens").and_then(Value::as_i64).unwrap_or(0);
    let output = u.get("output_tokens").and_then(Value::as_i64).unwrap_or(0);
    let mut m = Map::new();
    m.insert(k::INPUT_TOKENS.into(), count(u.get("input_tokens")));
    m.insert(k::OUTPUT_TOKENS.into(), count(u.get("output_tokens")));
    m.insert(k::TOTAL_TOKENS.into(), Value::from(input + output));
    let read = u.get("cache_read_input_tokens").filter(|c| !c.is_null());
    let created = u
        .get("cache_creation_input_tokens")
        .filter(|c| !c.is_null());
    if let Some(c) = read {
        m.insert(k::CACHE_READ.into(), c.clone());
    }
    if let Some(c) = created {
        m.insert(k::CACHE_CREATION.into(), c.clone());
    }
    let above = u.pointer("/cache_creation/ephemeral_1h_input_tokens");
    if let Some(c) = above.filter(|c| !c.is_null()) {
        m.insert(k::CACHE_CREATION_1H.into(), c.clone());
    }
    let cache =
        read.and_then(Value::as_i64).unwrap_or(0) + created.and_then(Value::as_i64).unwrap_or(0);
    if cache != 0 {
        m.insert(k::INPUT_TOKENS.into(), Value::from(input + cache));
        m.insert(k::TOTAL_TOKENS.into(), Value::from(input + output + cache));
    }
    Some(Value::Object(m))
}
