//! Request/response previews as MLflow computes them (`mlflow/tracing/utils/truncation.py`):
//! for chat-shaped inputs and outputs, the text of the last user (request) or assistant
//! (response) message; otherwise the whole JSON text. Cut to 1000 characters with `...`.

use serde_json::Value;

use super::truncate_with_suffix;
use crate::model::json::parse_lenient;
use crate::model::keys::MAX_CHARS_IN_PREVIEW;

/// Which side of the conversation a preview shows.
#[derive(Clone, Copy)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// The preview of a root span's inputs (`Role::User`) or outputs (`Role::Assistant`) JSON text.
///
/// ```
/// use ferrotrace_core::process::{preview, Role};
/// let req = r#"{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}"#;
/// assert_eq!(preview(req, Role::User), "hi");
/// assert_eq!(preview(r#"{"q": 1}"#, Role::User), r#"{"q": 1}"#);
/// ```
pub fn preview(json_text: &str, role: Role) -> String {
    if !may_hold_messages(json_text) {
        return truncate_with_suffix(json_text, MAX_CHARS_IN_PREVIEW);
    }
    parsed_preview(json_text, role)
}

/// [`preview`] without the check that skips the parse.
fn parsed_preview(json_text: &str, role: Role) -> String {
    let obj = parse_lenient(json_text);
    let content = extract_messages(&obj)
        .filter(|m| !m.is_empty())
        .map(|messages| {
            let msg = messages
                .iter()
                .rev()
                .find(|m| m["role"] == role.name())
                .copied()
                .unwrap_or(messages[messages.len() - 1]);
            text_content(msg)
        })
        .filter(|c| !c.is_empty());
    truncate_with_suffix(
        content.as_deref().unwrap_or(json_text),
        MAX_CHARS_IN_PREVIEW,
    )
}

/// The keys [`extract_messages`] looks for, each as it ends in JSON text (after its `"`).
const MESSAGE_KEYS: [&str; 5] = [
    "messages\"",
    "choices\"",
    "input\"",
    "output\"",
    "request\"",
];

/// Whether the text can be chat-shaped at all: an object naming one of [`MESSAGE_KEYS`], or with
/// escapes (which could spell one). Most inputs and outputs are not, and skip the parse.
fn may_hold_messages(json_text: &str) -> bool {
    let b = json_text.as_bytes();
    json_text.trim_start().starts_with('{')
        && (0..b.len()).any(|i| match b[i] {
            b'\\' => true,
            b'"' => MESSAGE_KEYS
                .iter()
                .any(|k| b[i + 1..].starts_with(k.as_bytes())),
            _ => false,
        })
}

fn is_message(v: &Value) -> bool {
    v.get("role").is_some() && v.get("content").is_some()
}

fn messages_of(list: &Value) -> Option<Vec<&Value>> {
    list.as_array()
        .filter(|a| !a.is_empty())
        .map(|a| a.iter().filter(|m| is_message(m)).collect())
}

/// OpenAI chat requests (`messages`), chat responses (`choices[0].message`), Responses API
/// requests (`input`) and responses (`output`), and `{"request": ...}` wrappers.
fn extract_messages(obj: &Value) -> Option<Vec<&Value>> {
    let obj = obj.as_object()?;
    if let Some(m) = obj.get("messages").and_then(messages_of) {
        return Some(m);
    }
    if let Some(msg) = obj
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| c.get("message"))
    {
        if is_message(msg) {
            return Some(vec![msg]);
        }
    }
    if let Some(m) = obj.get("input").and_then(messages_of) {
        return Some(m);
    }
    if let Some(m) = obj.get("output").and_then(messages_of) {
        return Some(m);
    }
    obj.get("request").and_then(extract_messages)
}

fn text_content(message: &Value) -> String {
    match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .find_map(|p| match p {
                Value::String(s) => Some(s.clone()),
                Value::Object(o)
                    if matches!(
                        o.get("type").and_then(Value::as_str),
                        Some("text" | "output_text")
                    ) =>
                {
                    Some(
                        o.get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                }
                _ => None,
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
