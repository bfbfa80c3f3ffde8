//! The attribute mappings for collectors ([`crate::config::OtlpSemconv`]), applied to a span
//! already in MLflow's exporter form (JSON-string attributes; `collector.rs`):
//!
//! * [`genai`]: MLflow's translation to the OpenTelemetry GenAI semantic conventions, as its
//!   `MLFLOW_ENABLE_OTEL_GENAI_SEMCONV` does (`mlflow/tracing/export/genai_semconv`): the
//!   operation from the span type, model, provider, token counts, tool and agent names; the
//!   `mlflow.*` attributes (trace tags aside) dropped; span name `"{operation} {target}"`; kind
//!   CLIENT for model calls; and the chat messages, request parameters and response fields
//!   MLflow's converters read from the inputs and outputs (`genai_messages.rs`).
//! * [`openinference`]: ferrotrace's own, opt-in: the OpenInference attributes Arize Phoenix
//!   and other GenAI backends read (span kind, input and output with their MIME types, token
//!   counts, model, session and user ids; for model calls the messages, tools and invocation
//!   parameters, `openinference_messages.rs`) next to MLflow's attributes, which stay as they are.

use serde_json::Value;

use super::collector::{string_kv, typed_value, Attrs, KIND_CLIENT, KIND_INTERNAL};
use crate::model::keys::{attr, meta};
use crate::model::{RawJson, SpanRecord, Trace};

/// `mlflow.llm.model` / `mlflow.llm.provider` / `mlflow.chat.tools`.
const MODEL: &str = "mlflow.llm.model";
const PROVIDER: &str = "mlflow.llm.provider";
const CHAT_TOOLS: &str = "mlflow.chat.tools";
/// `mlflow.message.format`: which provider's shape a chat span's inputs and outputs have.
const MESSAGE_FORMAT: &str = "mlflow.message.format";

mod genai_messages;
mod openinference_messages;

/// The decoded value of a span attribute (its JSON text parsed; `NaN` reads as a string).
fn decoded(s: &SpanRecord, key: &str) -> Option<Value> {
    s.attributes.get(key).map(RawJson::to_value)
}

/// Python's truthiness, which MLflow's translation tests values with.
pub(super) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Sets `key`, replacing its value in place if present (Python's `dict.update`).
fn set(attrs: &mut Attrs, kv: crate::export::mlflow::proto::KeyValue) {
    match attrs.iter_mut().find(|a| a.key == kv.key) {
        Some(slot) => *slot = kv,
        None => attrs.push(kv),
    }
}

/// A value typed as OpenTelemetry's SDK types a Python scalar attribute.
fn typed_kv(key: &str, v: &Value) -> crate::export::mlflow::proto::KeyValue {
    crate::export::mlflow::proto::KeyValue {
        key: key.to_owned(),
        value: typed_value(RawJson::from_value(v).as_str()),
    }
}

/// JSON text as Python's `json.dumps` with its default `ensure_ascii=True` writes it: every
/// character past ASCII as `\uXXXX` (a surrogate pair above the BMP). Such characters occur
/// only inside strings, so escaping them one by one is enough.
pub(super) fn ascii_json(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        }
    }
    out
}

/// GenAI operation names of MLflow's span types; other types pass through as they are.
fn operation(span_type: &str) -> &str {
    match span_type {
        "CHAT_MODEL" => "chat",
        "LLM" => "generate_content",
        "EMBEDDING" => "embeddings",
        "TOOL" => "execute_tool",
        "AGENT" => "invoke_agent",
        other => other,
    }
}

/// The tool or agent name: the `gen_ai.*.name` attribute (unwrapped from its JSON text when
/// it is one), else the span name unless it is empty or just the operation.
fn tool_or_agent_name(s: &SpanRecord, key: &str, op: &str) -> Option<String> {
    if let Some(raw) = s.attributes.get(key) {
        let name = raw
            .as_plain_string()
            .unwrap_or_else(|| raw.as_str().to_owned());
        if !name.is_empty() {
            return Some(name);
        }
    }
    (!s.name.is_empty() && &*s.name != op).then(|| s.name.to_string())
}

/// MLflow's GenAI semantic-convention translation of one span (see the module doc).
pub(crate) fn genai(s: &SpanRecord, attrs: &mut Attrs, name: &mut String, kind: &mut i32) {
    let mut g: Attrs = Vec::new();
    let span_type = decoded(s, attr::SPAN_TYPE)
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty());
    let op = span_type.as_deref().map(operation);
    if let Some(op) = op {
        g.push(string_kv("gen_ai.operation.name", op.to_owned()));
    }
    let model = decoded(s, MODEL).filter(truthy);
    if let Some(m) = &model {
        g.push(typed_kv("gen_ai.request.model", m));
    }
    if let Some(p) = decoded(s, PROVIDER).filter(truthy) {
        g.push(typed_kv("gen_ai.provider.name", &p));
    }
    if let Some(Value::Object(usage)) = decoded(s, attr::TOKEN_USAGE) {
        for (from, to) in [
            ("input_tokens", "gen_ai.usage.input_tokens"),
            ("output_tokens", "gen_ai.usage.output_tokens"),
        ] {
            if let Some(v) = usage.get(from).filter(|v| !v.is_null()) {
                g.push(typed_kv(to, v));
            }
        }
    }
    let mut target = None;
    let call = |g: &mut Attrs, key: &str, from: &str| {
        if let Some(raw) = s.attributes.get(from).filter(|r| r.as_str() != "null") {
            g.push(string_kv(key, ascii_json(raw.as_str())));
        }
    };
    match (span_type.as_deref(), op) {
        (Some("TOOL"), Some(op)) => {
            target = tool_or_agent_name(s, "gen_ai.tool.name", op);
            if let Some(t) = &target {
                g.push(string_kv("gen_ai.tool.name", t.clone()));
            }
            call(&mut g, "gen_ai.tool.call.arguments", attr::INPUTS);
            call(&mut g, "gen_ai.tool.call.result", attr::OUTPUTS);
        }
        (Some("AGENT"), Some(op)) => {
            target = tool_or_agent_name(s, "gen_ai.agent.name", op);
            if let Some(t) = &target {
                g.push(string_kv("gen_ai.agent.name", t.clone()));
            }
        }
        _ => {}
    }
    // MLflow's translation keeps every attribute but its own (trace tags survive).
    attrs.retain(|a| !a.key.starts_with("mlflow.") || a.key.starts_with(attr::TRACE_TAG_PREFIX));
    if g.is_empty() {
        return;
    }
    // The chat messages, request parameters and response fields, read in the span's message
    // format; nothing of it when MLflow's converter would fail on the values' shape.
    let inputs = decoded(s, attr::INPUTS).filter(|v| !v.is_null());
    let outputs = decoded(s, attr::OUTPUTS).filter(|v| !v.is_null());
    let mut tools_set = false;
    if inputs.is_some() || outputs.is_some() {
        let format = decoded(s, MESSAGE_FORMAT);
        if let Ok(extra) =
            genai_messages::translate(format.as_ref(), inputs.as_ref(), outputs.as_ref())
        {
            tools_set = genai_messages::sets_tools(&extra);
            for (key, v) in extra {
                g.push(match v {
                    genai_messages::Attr::Text(t) => string_kv(key, t),
                    genai_messages::Attr::Typed(v) => typed_kv(key, &v),
                });
            }
        }
    }
    if let Some(tools) = decoded(s, CHAT_TOOLS).filter(|t| !tools_set && truthy(t)) {
        let text = match tools {
            Value::String(t) => t,
            _ => ascii_json(s.attributes.get(CHAT_TOOLS).map_or("", RawJson::as_str)),
        };
        g.push(string_kv("gen_ai.tool.definitions", text));
    }
    for kv in g {
        set(attrs, kv);
    }
    let target = target.or_else(|| model.as_ref().and_then(|m| m.as_str().map(str::to_owned)));
    if let Some(op) = op {
        *name = match target {
            Some(t) if !t.is_empty() => format!("{op} {t}"),
            _ => op.to_owned(),
        };
        *kind = match op {
            "chat" | "text_completion" | "embeddings" | "generate_content" => KIND_CLIENT,
            "execute_tool" | "invoke_agent" => KIND_INTERNAL,
            _ => *kind,
        };
    }
}

/// OpenInference span kinds of MLflow's span types. Types OpenInference lacks (parser, memory,
/// workflow, task) and untyped steps are chains: a step of the application's flow.
fn openinference_kind(span_type: Option<&str>) -> &'static str {
    match span_type.unwrap_or("") {
        "LLM" | "CHAT_MODEL" => "LLM",
        "AGENT" => "AGENT",
        "TOOL" => "TOOL",
        "RETRIEVER" => "RETRIEVER",
        "EMBEDDING" => "EMBEDDING",
        "RERANKER" => "RERANKER",
        "GUARDRAIL" => "GUARDRAIL",
        "EVALUATOR" => "EVALUATOR",
        _ => "CHAIN",
    }
}

/// Adds the OpenInference attributes to a span in MLflow's form (see the module doc).
pub(crate) fn openinference(s: &SpanRecord, trace: &Trace, attrs: &mut Attrs) {
    let span_type = decoded(s, attr::SPAN_TYPE).and_then(|v| v.as_str().map(str::to_owned));
    set(
        attrs,
        string_kv(
            "openinference.span.kind",
            openinference_kind(span_type.as_deref()).to_owned(),
        ),
    );
    for (from, value_key, mime_key) in [
        (attr::INPUTS, "input.value", "input.mime_type"),
        (attr::OUTPUTS, "output.value", "output.mime_type"),
    ] {
        let Some(raw) = s.attributes.get(from) else {
            continue;
        };
        // A string goes as the text itself; anything else as its JSON text.
        let (value, mime) = match raw.as_plain_string() {
            Some(text) => (text, "text/plain"),
            None => (raw.as_str().to_owned(), "application/json"),
        };
        set(attrs, string_kv(value_key, value));
        set(attrs, string_kv(mime_key, mime.to_owned()));
    }
    if let Some(Value::Object(usage)) = decoded(s, attr::TOKEN_USAGE) {
        for (from, to) in [
            ("input_tokens", "llm.token_count.prompt"),
            ("output_tokens", "llm.token_count.completion"),
            ("total_tokens", "llm.token_count.total"),
        ] {
            if let Some(v) = usage.get(from).filter(|v| v.is_number()) {
                set(attrs, typed_kv(to, v));
            }
        }
    }
    for (from, to) in [(MODEL, "llm.model_name"), (PROVIDER, "llm.provider")] {
        if let Some(Value::String(v)) = decoded(s, from) {
            set(attrs, string_kv(to, v));
        }
    }
    // Model calls: the conversation, the tools and the request parameters.
    if openinference_kind(span_type.as_deref()) == "LLM" {
        let inputs = decoded(s, attr::INPUTS).filter(|v| !v.is_null());
        if !attrs.iter().any(|a| a.key == "llm.model_name") {
            if let Some(Value::String(m)) = inputs.as_ref().and_then(|i| i.get("model")) {
                set(attrs, string_kv("llm.model_name", m.clone()));
            }
        }
        let outputs = decoded(s, attr::OUTPUTS).filter(|v| !v.is_null());
        let tools = decoded(s, CHAT_TOOLS);
        let format = decoded(s, MESSAGE_FORMAT);
        for kv in openinference_messages::llm_attributes(
            format.as_ref(),
            inputs.as_ref(),
            outputs.as_ref(),
            tools.as_ref(),
        ) {
            set(attrs, kv);
        }
    }
    // Sessions and users are trace metadata in MLflow; OpenInference reads them on the spans,
    // as plain strings (one the user set on the span is unwrapped from its JSON text).
    for (from, to) in [
        (meta::SESSION, attr::SESSION_ID),
        (meta::USER, attr::USER_ID),
    ] {
        let value = trace
            .info
            .metadata
            .get(from)
            .cloned()
            .or_else(|| s.attributes.get(to).and_then(RawJson::as_plain_string));
        if let Some(v) = value {
            set(attrs, string_kv(to, v));
        }
    }
}

#[cfg(test)]
mod tests;
