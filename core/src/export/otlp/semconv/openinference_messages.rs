//! The LLM part of the opt-in OpenInference mapping: a model span's chat messages, tools and
//! request parameters as OpenInference's flattened attributes (its semantic conventions'
//! `llm.input_messages.<i>.message.*`, `llm.output_messages.<i>.message.*`, `llm.tools.<i>.tool.*`,
//! `llm.invocation_parameters`), which Arize Phoenix shows as a conversation.
//!
//! The messages are read as the GenAI translation reads them (`genai_messages.rs`, in the
//! span's `mlflow.message.format`), then written in OpenInference's shape: one text part as
//! `message.content`, several parts as `message.contents.<j>.message_content.*`, tool calls as
//! `message.tool_calls.<k>.tool_call.*`, a tool result as `message.tool_call_id` + content.

use serde_json::{Map, Value};

use super::genai_messages::chat_messages;
use crate::export::mlflow::proto::KeyValue;
use crate::export::otlp::collector::string_kv;
use crate::model::json::push_value;

/// Request fields that are not invocation parameters: the conversation and the tools, which
/// have attributes of their own.
const NOT_PARAMETERS: [&str; 6] = [
    "messages",
    "input",
    "system",
    "instructions",
    "tools",
    "prompt",
];

/// JSON text of a value (Python's separators, characters as they are).
fn json_text(v: &Value) -> String {
    let mut s = String::new();
    push_value(&mut s, v);
    s
}

/// A string as itself, anything else as its JSON text.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_text(other),
    }
}

/// The attributes of one model span (`inputs` and `outputs` decoded; `tools` from
/// `mlflow.chat.tools` when the request has none).
pub(crate) fn llm_attributes(
    message_format: Option<&Value>,
    inputs: Option<&Value>,
    outputs: Option<&Value>,
    chat_tools: Option<&Value>,
) -> Vec<KeyValue> {
    let mut out = Vec::new();
    let (ins, outs) = chat_messages(message_format, inputs, outputs);
    for (prefix, messages) in [("llm.input_messages", ins), ("llm.output_messages", outs)] {
        for (i, m) in messages.iter().flatten().enumerate() {
            if let Some(m) = m.as_object() {
                message(&format!("{prefix}.{i}.message"), m, &mut out);
            }
        }
    }
    let request = inputs.and_then(Value::as_object);
    let tools = request
        .and_then(|r| r.get("tools"))
        .filter(|t| t.is_array())
        .or(chat_tools);
    if let Some(Value::Array(tools)) = tools {
        for (i, t) in tools.iter().enumerate() {
            out.push(string_kv(
                &format!("llm.tools.{i}.tool.json_schema"),
                json_text(t),
            ));
        }
    }
    if let Some(r) = request {
        let params: Map<String, Value> = r
            .iter()
            .filter(|(k, _)| !NOT_PARAMETERS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !params.is_empty() {
            out.push(string_kv(
                "llm.invocation_parameters",
                json_text(&Value::Object(params)),
            ));
        }
    }
    out
}

/// One `{"role", "parts"}` message under `prefix` (`llm.input_messages.0.message`).
fn message(prefix: &str, m: &Map<String, Value>, out: &mut Vec<KeyValue>) {
    if let Some(role) = m.get("role").filter(|r| !r.is_null()) {
        out.push(string_kv(&format!("{prefix}.role"), as_text(role)));
    }
    let parts: &[Value] = m
        .get("parts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let contents: Vec<&Map<String, Value>> = parts
        .iter()
        .filter_map(Value::as_object)
        .filter(|p| {
            matches!(
                p.get("type").and_then(Value::as_str),
                Some("text" | "uri" | "blob")
            )
        })
        .collect();
    match contents.as_slice() {
        [one] if one.get("type").and_then(Value::as_str) == Some("text") => {
            let text = one.get("content").map_or_else(String::new, as_text);
            out.push(string_kv(&format!("{prefix}.content"), text));
        }
        many => {
            for (j, p) in many.iter().enumerate() {
                content(&format!("{prefix}.contents.{j}.message_content"), p, out);
            }
        }
    }
    let mut calls = 0;
    for p in parts.iter().filter_map(Value::as_object) {
        match p.get("type").and_then(Value::as_str) {
            Some("tool_call") => {
                let at = format!("{prefix}.tool_calls.{calls}.tool_call");
                calls += 1;
                if let Some(id) = p.get("id").filter(|v| !v.is_null()) {
                    out.push(string_kv(&format!("{at}.id"), as_text(id)));
                }
                if let Some(name) = p.get("name").filter(|v| !v.is_null()) {
                    out.push(string_kv(&format!("{at}.function.name"), as_text(name)));
                }
                if let Some(args) = p.get("arguments") {
                    out.push(string_kv(
                        &format!("{at}.function.arguments"),
                        as_text(args),
                    ));
                }
            }
            Some("tool_call_response") => {
                if let Some(id) = p.get("id").filter(|v| !v.is_null()) {
                    out.push(string_kv(&format!("{prefix}.tool_call_id"), as_text(id)));
                }
                if let Some(r) = p.get("response").filter(|v| !v.is_null()) {
                    out.push(string_kv(&format!("{prefix}.content"), as_text(r)));
                }
            }
            _ => {}
        }
    }
}

/// One content part: text, or an image (a URL, or inline data as a `data:` URL).
fn content(prefix: &str, p: &Map<String, Value>, out: &mut Vec<KeyValue>) {
    let s = |k: &str| p.get(k).map_or_else(String::new, as_text);
    match p.get("type").and_then(Value::as_str) {
        Some("text") => {
            out.push(string_kv(&format!("{prefix}.type"), "text".into()));
            out.push(string_kv(&format!("{prefix}.text"), s("content")));
        }
        Some("uri" | "blob") if s("modality") == "image" => {
            let url = if p.contains_key("uri") {
                s("uri")
            } else {
                format!("data:{};base64,{}", s("mime_type"), s("content"))
            };
            out.push(string_kv(&format!("{prefix}.type"), "image".into()));
            out.push(string_kv(&format!("{prefix}.image.image.url"), url));
        }
        // Audio and documents: OpenInference has no plain attribute Phoenix shows for them.
        _ => {}
    }
}

#[cfg(test)]
mod tests;
