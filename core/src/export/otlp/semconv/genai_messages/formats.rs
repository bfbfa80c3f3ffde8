//! The per-format readers of [`super`]: a provider's request and response (decoded span inputs
//! and outputs) as GenAI convention messages `{"role", "parts": [...]}`, the way MLflow's
//! converters read them. `Ok(None)`: the format's field is absent (no attribute); `Err`: MLflow's
//! converter would raise.

use serde_json::{json, Map, Value};

use super::{
    dumps, get, get_or, index, iterate, obj, py_str, text_part, tool_arguments, truthy, Skip, R,
};

/// OpenAI Chat Completions (MLflow's default converter).
pub(super) mod chat {
    use super::*;

    pub(in super::super) fn inputs(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(messages)) = inputs.get("messages") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for m in messages {
            let m = obj(m)?;
            if m.get("role").and_then(Value::as_str) != Some("system") {
                out.push(message(m)?);
            }
        }
        Ok(Some(Value::Array(out)))
    }

    pub(in super::super) fn system(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(messages)) = inputs.get("messages") else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        for m in messages {
            let m = obj(m)?;
            if m.get("role").and_then(Value::as_str) != Some("system") {
                continue;
            }
            if let Some(Value::String(c)) = m.get("content") {
                parts.push(text_part(Value::String(c.clone())));
            }
        }
        Ok((!parts.is_empty()).then_some(Value::Array(parts)))
    }

    pub(in super::super) fn outputs(outputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(choices)) = outputs.get("choices") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for choice in choices {
            let choice = obj(choice)?;
            let msg = match choice.get("message").filter(|v| truthy(v)) {
                Some(m) => m.clone(),
                None => get_or(choice, "delta", json!({})),
            };
            let mut converted = message(obj(&msg)?)?;
            if let Some(r) = choice.get("finish_reason").filter(|v| truthy(v)) {
                converted["finish_reason"] = r.clone();
            }
            out.push(converted);
        }
        Ok(Some(Value::Array(out)))
    }

    /// One OpenAI chat message (also the Responses API's plain input messages).
    pub(in super::super) fn message(msg: &Map<String, Value>) -> R<Value> {
        let role = get_or(msg, "role", json!("user"));
        let mut parts = content(msg.get("content").unwrap_or(&Value::Null))?;
        // Audio answers carry their text in `audio.transcript`, not in `content`.
        if parts.is_empty() {
            if let Some(Value::String(t)) = msg
                .get("audio")
                .and_then(Value::as_object)
                .and_then(|a| a.get("transcript"))
            {
                parts.push(text_part(Value::String(t.clone())));
            }
        }
        if let Some(calls) = msg.get("tool_calls").filter(|v| truthy(v)) {
            for tc in iterate(calls)? {
                parts.push(tool_call(obj(&tc)?)?);
            }
        }
        if let Some(id) = msg.get("tool_call_id").filter(|v| truthy(v)) {
            let result = match parts.first() {
                Some(p) => obj(p)?.get("content").cloned().unwrap_or(Value::Null),
                None => Value::Null,
            };
            return Ok(json!({
                "role": role,
                "parts": [{"type": "tool_call_response", "id": id, "response": result}],
            }));
        }
        Ok(json!({"role": role, "parts": parts}))
    }

    fn content(content: &Value) -> R<Vec<Value>> {
        match content {
            Value::String(_) => Ok(vec![text_part(content.clone())]),
            Value::Array(items) => {
                let mut parts = Vec::new();
                for item in items {
                    let m = item.as_object();
                    let part = match m.and_then(|m| get(m, "type")).and_then(Value::as_str) {
                        Some("text" | "input_text") => text_part(index(m.ok_or(Skip)?, "text")?),
                        Some("image_url") => {
                            let image = index(m.ok_or(Skip)?, "image_url")?;
                            image_url(&index(obj(&image)?, "url")?)?
                        }
                        Some("input_image") => image_url(&index(m.ok_or(Skip)?, "image_url")?)?,
                        Some("input_audio") => {
                            let audio = index(m.ok_or(Skip)?, "input_audio")?;
                            let audio = obj(&audio)?;
                            json!({
                                "type": "blob",
                                "modality": "audio",
                                "mime_type": format!("audio/{}", py_str(&index(audio, "format")?)),
                                "content": index(audio, "data")?,
                            })
                        }
                        _ => text_part(Value::String(dumps(item))),
                    };
                    parts.push(part);
                }
                Ok(parts)
            }
            Value::Null => Ok(Vec::new()),
            other => Ok(vec![text_part(Value::String(py_str(other)))]),
        }
    }

    fn image_url(url: &Value) -> R<Value> {
        let url = url.as_str().ok_or(Skip)?;
        Ok(match url.strip_prefix("data:") {
            Some(rest) => {
                let (header, data) = rest.split_once(',').unwrap_or((rest, ""));
                let mime = header.strip_suffix(";base64").unwrap_or(header);
                json!({"type": "blob", "modality": "image", "mime_type": mime, "content": data})
            }
            None => json!({"type": "uri", "modality": "image", "uri": url}),
        })
    }

    fn tool_call(tc: &Map<String, Value>) -> R<Value> {
        let func = get_or(tc, "function", json!({}));
        let func = obj(&func)?;
        Ok(json!({
            "type": "tool_call",
            "id": tc.get("id").cloned().unwrap_or(Value::Null),
            "name": func.get("name").cloned().unwrap_or(Value::Null),
            "arguments": tool_arguments(&get_or(func, "arguments", json!("{}"))),
        }))
    }
}

/// OpenAI Responses API (`mlflow.message.format` `openai` with an `input`).
pub(super) mod responses {
    use super::*;

    pub(in super::super) fn inputs(inputs: &Map<String, Value>) -> R<Option<Value>> {
        match get(inputs, "input") {
            Some(Value::String(s)) => Ok(Some(json!([
                {"role": "user", "parts": [text_part(Value::String(s.clone()))]}
            ]))),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    let item = obj(item)?;
                    out.push(match item.get("type").and_then(Value::as_str) {
                        Some("function_call") => function_call(item)?,
                        Some("function_call_output") => json!({
                            "role": "tool",
                            "parts": [{
                                "type": "tool_call_response",
                                "id": index(item, "call_id")?,
                                "response": index(item, "output")?,
                            }],
                        }),
                        _ => chat::message(item)?,
                    });
                }
                Ok(Some(Value::Array(out)))
            }
            _ => Ok(None),
        }
    }

    pub(in super::super) fn system(inputs: &Map<String, Value>) -> Option<Value> {
        match inputs.get("instructions") {
            Some(Value::String(s)) if !s.is_empty() => {
                Some(json!([text_part(Value::String(s.clone()))]))
            }
            _ => None,
        }
    }

    pub(in super::super) fn outputs(outputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(items)) = outputs.get("output") else {
            return Ok(None);
        };
        let status = outputs.get("status").filter(|v| truthy(v));
        let mut out = Vec::new();
        for item in items {
            let mut converted = output_item(item)?;
            if let Some(s) = status {
                converted["finish_reason"] = s.clone();
            }
            out.push(converted);
        }
        Ok(Some(Value::Array(out)))
    }

    fn output_item(item: &Value) -> R<Value> {
        let m = obj(item)?;
        Ok(match m.get("type").and_then(Value::as_str) {
            Some("message") => {
                let mut parts = Vec::new();
                for ci in iterate(&get_or(m, "content", json!([])))? {
                    let c = obj(&ci)?;
                    parts.push(match c.get("type").and_then(Value::as_str) {
                        Some("output_text") => text_part(index(c, "text")?),
                        _ => text_part(Value::String(dumps(&ci))),
                    });
                }
                json!({"role": get_or(m, "role", json!("assistant")), "parts": parts})
            }
            Some("function_call") => function_call(m)?,
            _ => json!({"role": "assistant", "parts": [text_part(Value::String(dumps(item)))]}),
        })
    }

    fn function_call(item: &Map<String, Value>) -> R<Value> {
        Ok(json!({
            "role": "assistant",
            "parts": [{
                "type": "tool_call",
                "id": index(item, "call_id")?,
                "name": index(item, "name")?,
                "arguments": tool_arguments(&index(item, "arguments")?),
            }],
        }))
    }
}

/// Anthropic Messages API.
pub(super) mod anthropic {
    use super::*;

    pub(in super::super) fn inputs(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(messages)) = inputs.get("messages") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for m in messages {
            out.push(message(obj(m)?)?);
        }
        Ok(Some(Value::Array(out)))
    }

    pub(in super::super) fn system(inputs: &Map<String, Value>) -> R<Option<Value>> {
        match inputs.get("system") {
            Some(s @ Value::String(_)) => Ok(Some(json!([text_part(s.clone())]))),
            Some(Value::Array(blocks)) => Ok(Some(Value::Array(
                blocks.iter().map(block).collect::<R<Vec<_>>>()?,
            ))),
            _ => Ok(None),
        }
    }

    pub(in super::super) fn outputs(outputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(content)) = outputs.get("content") else {
            return Ok(None);
        };
        let parts = content.iter().map(block).collect::<R<Vec<_>>>()?;
        Ok(Some(json!([{
            "role": get_or(outputs, "role", json!("assistant")),
            "parts": parts,
        }])))
    }

    fn message(msg: &Map<String, Value>) -> R<Value> {
        let role = get_or(msg, "role", json!("user"));
        match msg.get("content") {
            Some(c @ Value::String(_)) => {
                Ok(json!({"role": role, "parts": [text_part(c.clone())]}))
            }
            Some(Value::Array(blocks)) => {
                let parts = blocks.iter().map(block).collect::<R<Vec<_>>>()?;
                let tool_result = parts.iter().any(|p| p["type"] == "tool_call_response");
                // Anthropic sends tool results in a "user" message; the conventions' role is "tool".
                let role = if tool_result && parts.len() == 1 {
                    json!("tool")
                } else {
                    role
                };
                Ok(json!({"role": role, "parts": parts}))
            }
            _ => Ok(json!({"role": role, "parts": []})),
        }
    }

    fn block(b: &Value) -> R<Value> {
        let m = obj(b)?;
        let kind = m.get("type").and_then(Value::as_str);
        Ok(match kind {
            Some("text") => text_part(get_or(m, "text", json!(""))),
            Some(modality @ ("image" | "document")) => {
                let source = get_or(m, "source", json!({}));
                let source = obj(&source)?;
                match source.get("type").and_then(Value::as_str) {
                    Some("base64") => json!({
                        "type": "blob",
                        "modality": modality,
                        "mime_type": get_or(source, "media_type", json!("")),
                        "content": get_or(source, "data", json!("")),
                    }),
                    Some("url") => json!({
                        "type": "uri",
                        "modality": modality,
                        "uri": get_or(source, "url", json!("")),
                    }),
                    _ => text_part(Value::String(dumps(b))),
                }
            }
            Some("tool_use") => json!({
                "type": "tool_call",
                "id": get_or(m, "id", json!("")),
                "name": get_or(m, "name", json!("")),
                "arguments": m.get("input").cloned().unwrap_or(Value::Null),
            }),
            Some("tool_result") => json!({
                "type": "tool_call_response",
                "id": get_or(m, "tool_use_id", json!("")),
                "response": get_or(m, "content", json!("")),
            }),
            _ => text_part(Value::String(dumps(b))),
        })
    }
}

mod gemini_bedrock;
pub(super) use gemini_bedrock::{bedrock, gemini};
