//! OpenAI calls: chat completions, legacy completions, embeddings, the Responses API.

use serde_json::{Map, Value};

use super::keys as k;
use super::{count, request_model, tools, Call};

/// Every keyword argument but the prompt becomes an attribute (MLflow records request
/// parameters this way), plus the message format of chat and completion spans.
pub(super) fn start(call: Call, inputs: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = inputs
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(key, _)| key.as_str() != "messages" && key.as_str() != "input")
                .map(|(key, v)| (key.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if matches!(call.span_type(), "CHAT_MODEL" | "LLM") {
        out.push((k::MESSAGE_FORMAT.to_owned(), Value::from("openai")));
    }
    out
}

/// The result's object type, when it is one MLflow reads a model or usage from.
fn object(outputs: &Value) -> Option<&str> {
    match outputs.get("object")?.as_str()? {
        o @ ("chat.completion" | "response" | "text_completion" | "list") => Some(o),
        _ => None,
    }
}

pub(super) fn end(inputs: &Value, outputs: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(t) = inputs.get("tools").and_then(tools::openai) {
        out.push((k::TOOLS.to_owned(), t));
    }
    // The response's model first: Azure's request names a deployment, not the model.
    let from_output = object(outputs)
        .and(outputs.get("model"))
        .filter(|m| m.as_str().is_some_and(|s| !s.is_empty()))
        .cloned();
    if let Some(model) = from_output.or_else(|| request_model(inputs)) {
        out.push((k::MODEL.to_owned(), model));
    }
    if let Some(usage) = usage(outputs) {
        out.push((k::TOKEN_USAGE.to_owned(), usage));
    }
    out
}

/// Token usage of a chat completion or a Responses API response.
pub(crate) fn usage(outputs: &Value) -> Option<Value> {
    let kind = object(outputs)?;
    let u = outputs.get("usage").filter(|u| u.is_object())?;
    let mut m = Map::new();
    match kind {
        "chat.completion" => chat_usage(u, &mut m),
        "response" => {
            m.insert(k::INPUT_TOKENS.into(), count(u.get("input_tokens")));
            m.insert(k::OUTPUT_TOKENS.into(), count(u.get("output_tokens")));
            m.insert(k::TOTAL_TOKENS.into(), count(u.get("total_tokens")));
            let cached = u.pointer("/input_tokens_details/cached_tokens");
            if let Some(c) = cached.filter(|c| !c.is_null()) {
                m.insert(k::CACHE_READ.into(), c.clone());
            }
        }
        _ => return None,
    }
    Some(Value::Object(m))
}

/// A chat completion's usage (also the usage chunk of a stream with `include_usage`).
pub(crate) fn chat_usage(u: &Value, m: &mut Map<String, Value>) {
    m.insert(k::INPUT_TOKENS.into(), count(u.get("prompt_tokens")));
    m.insert(k::OUTPUT_TOKENS.into(), count(u.get("completion_tokens")));
    m.insert(k::TOTAL_TOKENS.into(), count(u.get("total_tokens")));
    let cached = u
        .pointer("/prompt_tokens_details/cached_tokens")
        .filter(|c| !c.is_null())
        .or_else(|| u.get("cache_read_input_tokens").filter(|c| !c.is_null()));
    if let Some(c) = cached {
        m.insert(k::CACHE_READ.into(), c.clone());
    }
    if let Some(c) = u
        .get("cache_creation_input_tokens")
        .filter(|c| !c.is_null())
    {
        m.insert(k::CACHE_CREATION.into(), c.clone());
    }
}
