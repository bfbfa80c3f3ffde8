//! The message part of MLflow's GenAI semantic-convention translation
//! (`MLFLOW_ENABLE_OTEL_GENAI_SEMCONV`): a chat span's inputs and outputs, in the format its
//! `mlflow.message.format` names, become `gen_ai.input.messages`, `gen_ai.output.messages` and
//! `gen_ai.system_instructions` (each a list of `{"role", "parts"}` messages as JSON text), the
//! request parameters (`gen_ai.request.temperature`, `max_tokens`, `top_p`, `stop_sequences`,
//! `gen_ai.tool.definitions`) and the response's id, model and finish reasons.
//!
//! Formats, as MLflow picks its converter: `openai` (Chat Completions, or the Responses API when
//! the inputs have an `input` key), `anthropic` (Messages API), `gemini` (`generate_content`),
//! `bedrock` (Converse API), and anything else read as Chat Completions.
//!
//! MLflow runs its converter in one `try`: a value of an unexpected shape (a string where a
//! dict is read, a missing key that is indexed) raises, and the span then gets none of the
//! converter's attributes. [`translate`] does the same: every such step returns `Err(Skip)`.

use serde_json::{json, Map, Value};

use crate::model::json::push_value;

use super::{ascii_json, truthy};

/// MLflow's converter raised: the span gets none of the message attributes.
#[derive(Debug)]
pub(crate) struct Skip;

type R<T> = Result<T, Skip>;

/// One attribute the translation adds: text (JSON text MLflow wrote with `json.dumps`) or a
/// decoded value that OpenTelemetry's encoder types (numbers, strings, lists).
#[derive(Debug, PartialEq)]
pub(crate) enum Attr {
    Text(String),
    Typed(Value),
}

/// The attributes, in MLflow's order: a key set twice keeps its first place, its last value.
#[derive(Default)]
struct Out(Vec<(&'static str, Attr)>);

impl Out {
    fn set(&mut self, key: &'static str, v: Attr) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = v,
            None => self.0.push((key, v)),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| *k == key)
    }
}

const INPUT_MESSAGES: &str = "gen_ai.input.messages";
const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
const SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
const STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
pub(crate) const TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
const FINISH_REASONS: &str = "gen_ai.response.finish_reasons";

/// Which of MLflow's converters reads a span.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    ChatCompletions,
    Responses,
    Anthropic,
    Gemini,
    Bedrock,
}

fn format_of(message_format: Option<&Value>, inputs: Option<&Value>) -> Format {
    match message_format.and_then(Value::as_str) {
        Some("openai") => match inputs {
            Some(Value::Object(m)) if m.contains_key("input") => Format::Responses,
            _ => Format::ChatCompletions,
        },
        Some("anthropic") => Format::Anthropic,
        Some("gemini") => Format::Gemini,
        Some("bedrock") => Format::Bedrock,
        _ => Format::ChatCompletions,
    }
}

/// The message attributes of a span whose inputs or outputs are set (decoded JSON; `None` for
/// absent or `null`), or `Err` when MLflow's converter would raise.
pub(crate) fn translate(
    message_format: Option<&Value>,
    inputs: Option<&Value>,
    outputs: Option<&Value>,
) -> R<Vec<(&'static str, Attr)>> {
    let format = format_of(message_format, inputs);
    let mut out = Out::default();
    if let Some(inputs) = inputs {
        let inputs = obj(inputs)?;
        let (messages, system) = input_messages(format, inputs)?;
        if let Some(m) = messages {
            out.set(INPUT_MESSAGES, Attr::Text(dumps(&m)));
        }
        if let Some(s) = system {
            out.set(SYSTEM_INSTRUCTIONS, Attr::Text(dumps(&s)));
        }
        request_params(inputs, format, &mut out)?;
    }
    if let Some(outputs) = outputs {
        let outputs = obj(outputs)?;
        let messages = output_messages(format, outputs)?;
        if let Some(m) = messages {
            out.set(OUTPUT_MESSAGES, Attr::Text(dumps(&m)));
        }
        for (from, to) in [
            ("id", "gen_ai.response.id"),
            ("model", "gen_ai.response.model"),
        ] {
            if let Some(v) = outputs.get(from).filter(|v| truthy(v)) {
                out.set(to, Attr::Typed(v.clone()));
            }
        }
        match format {
            Format::ChatCompletions => {
                if let Some(Value::Array(choices)) = outputs.get("choices") {
                    let mut reasons = Vec::new();
                    for c in choices {
                        if let Some(r) = obj(c)?.get("finish_reason").filter(|v| truthy(v)) {
                            reasons.push(r.clone());
                        }
                    }
                    if !reasons.is_empty() {
                        out.set(FINISH_REASONS, Attr::Typed(Value::Array(reasons)));
                    }
                }
            }
            Format::Responses => {
                if let Some(s) = outputs.get("status").filter(|v| truthy(v)) {
                    out.set(FINISH_REASONS, Attr::Typed(Value::Array(vec![s.clone()])));
                }
            }
            _ => {}
        }
    }
    Ok(out.0)
}

/// The input messages and the system instructions (each a list) of a format's request.
fn input_messages(
    format: Format,
    inputs: &Map<String, Value>,
) -> R<(Option<Value>, Option<Value>)> {
    Ok(match format {
        Format::Responses => (responses::inputs(inputs)?, responses::system(inputs)),
        Format::Anthropic => (anthropic::inputs(inputs)?, anthropic::system(inputs)?),
        Format::Gemini => (gemini::inputs(inputs)?, gemini::system(inputs)?),
        Format::Bedrock => (bedrock::inputs(inputs)?, bedrock::system(inputs)?),
        Format::ChatCompletions => (chat::inputs(inputs)?, chat::system(inputs)?),
    })
}

/// The output messages of a format's response.
fn output_messages(format: Format, outputs: &Map<String, Value>) -> R<Option<Value>> {
    match format {
        Format::Responses => responses::outputs(outputs),
        Format::Anthropic => anthropic::outputs(outputs),
        Format::Gemini => gemini::outputs(outputs),
        Format::Bedrock => bedrock::outputs(outputs),
        Format::ChatCompletions => chat::outputs(outputs),
    }
}

/// A chat span's messages in the conventions' `{"role", "parts"}` form, for mappings of
/// ferrotrace's own (OpenInference): the input messages with the system instructions first as
/// a `system` message, and the output messages; a side whose shape is not understood is `None`.
/// Beyond MLflow's converters, an output that is one message (`{"role", "content"}`) or plain
/// text is read as the assistant's message.
pub(crate) fn chat_messages(
    message_format: Option<&Value>,
    inputs: Option<&Value>,
    outputs: Option<&Value>,
) -> (Option<Vec<Value>>, Option<Vec<Value>>) {
    let format = format_of(message_format, inputs);
    let ins = inputs.and_then(|i| {
        let (messages, system) = input_messages(format, i.as_object()?).ok()?;
        let mut all = Vec::new();
        if let Some(parts) = system {
            all.push(json!({"role": "system", "parts": parts}));
        }
        all.extend(messages?.as_array()?.iter().cloned());
        Some(all)
    });
    let outs = outputs.and_then(|o| match o {
        Value::Object(m) => match output_messages(format, m) {
            Ok(Some(Value::Array(a))) => Some(a),
            _ if m.contains_key("role") && m.contains_key("content") => {
                formats::chat::message(m).ok().map(|msg| vec![msg])
            }
            _ => None,
        },
        Value::String(t) => Some(vec![
            json!({"role": "assistant", "parts": [text_part(Value::String(t.clone()))]}),
        ]),
        _ => None,
    });
    (ins, outs)
}

/// Whether the translation set the tool definitions (else MLflow falls back to
/// `mlflow.chat.tools`).
pub(crate) fn sets_tools(attrs: &[(&'static str, Attr)]) -> bool {
    attrs.iter().any(|(k, _)| *k == TOOL_DEFINITIONS)
}

/// The request parameters read from the inputs (MLflow's `extract_request_params`).
fn request_params(inputs: &Map<String, Value>, format: Format, out: &mut Out) -> R<()> {
    // Gemini and Bedrock name their parameters their own way, in a nested config.
    match format {
        Format::Gemini => {
            for (k, v) in gemini::params(inputs) {
                out.set(k, Attr::Typed(v));
            }
            return Ok(());
        }
        Format::Bedrock => {
            for (k, v) in bedrock::params(inputs)? {
                out.set(k, v);
            }
            return Ok(());
        }
        _ => {}
    }
    for (from, to) in [
        ("temperature", "gen_ai.request.temperature"),
        ("max_tokens", "gen_ai.request.max_tokens"),
        ("top_p", "gen_ai.request.top_p"),
        ("stop", STOP_SEQUENCES),
        ("tools", TOOL_DEFINITIONS),
    ] {
        let Some(v) = get(inputs, from) else { continue };
        let attr = match to {
            TOOL_DEFINITIONS => Attr::Text(dumps(v)),
            STOP_SEQUENCES => Attr::Typed(stop_list(v)),
            _ => Attr::Typed(v.clone()),
        };
        out.set(to, attr);
    }
    match format {
        Format::Anthropic => {
            if let Some(v) = get(inputs, "stop_sequences") {
                out.set(STOP_SEQUENCES, Attr::Typed(stop_list(v)));
            }
        }
        _ if out.has(TOOL_DEFINITIONS) => {
            let tools = inputs.get("tools").cloned().unwrap_or(json!([]));
            out.set(TOOL_DEFINITIONS, Attr::Text(flatten_tools(&tools)?));
        }
        _ => {}
    }
    Ok(())
}

fn stop_list(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::Array(vec![v.clone()]),
        _ => v.clone(),
    }
}

/// OpenAI's `{"type", "function": {...}}` tools as the conventions' flat `{"type", "name", ...}`.
fn flatten_tools(tools: &Value) -> R<String> {
    let mut flat = Vec::new();
    for tool in iterate(tools)? {
        let tool = obj(&tool)?;
        let mut f = Map::new();
        f.insert("type".into(), get_or(tool, "type", json!("function")));
        match tool.get("function").filter(|v| truthy(v)) {
            Some(func) => f.extend(obj(func)?.clone()),
            None => f.extend(
                tool.iter()
                    .filter(|(k, _)| *k != "type")
                    .map(|(k, v)| (k.clone(), v.clone())),
            ),
        }
        flat.push(Value::Object(f));
    }
    Ok(dumps(&Value::Array(flat)))
}

// ---- Python's semantics on decoded JSON -------------------------------------------------

/// `json.dumps(v)`: Python's separators, every non-ASCII character escaped.
pub(crate) fn dumps(v: &Value) -> String {
    let mut s = String::new();
    push_value(&mut s, v);
    ascii_json(&s)
}

/// A dict, on which Python's `.get` works (anything else raises).
fn obj(v: &Value) -> R<&Map<String, Value>> {
    v.as_object().ok_or(Skip)
}

/// `d.get(k)`, `None` for a missing key or `null`.
fn get<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k).filter(|v| !v.is_null())
}

/// `d.get(k, default)`: the default only for a missing key.
fn get_or(m: &Map<String, Value>, k: &str, default: Value) -> Value {
    m.get(k).cloned().unwrap_or(default)
}

/// `d[k]`: a missing key raises.
fn index(m: &Map<String, Value>, k: &str) -> R<Value> {
    m.get(k).cloned().ok_or(Skip)
}

/// `for x in v`: a list's items, a dict's keys, a string's characters; other values raise.
fn iterate(v: &Value) -> R<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.into())).collect()),
        _ => Err(Skip),
    }
}

/// `str(v)`.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// `repr(v)` of a decoded JSON value.
fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(_) => {
            let mut s = String::new();
            push_value(&mut s, v);
            s
        }
        Value::String(s) => {
            let q = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::from(q);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == q => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        out.push_str(&format!("\\x{:02x}", c as u32));
                    }
                    c => out.push(c),
                }
            }
            out.push(q);
            out
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(py_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Value::String(k.clone())), py_repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

fn text_part(content: Value) -> Value {
    json!({"type": "text", "content": content})
}

/// `json.loads` of tool-call arguments given as text; other values, and text that is not
/// JSON, as they are.
fn tool_arguments(args: &Value) -> Value {
    match args {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| args.clone()),
        other => other.clone(),
    }
}

mod formats;
use formats::{anthropic, bedrock, chat, gemini, responses};

#[cfg(test)]
mod tests;
