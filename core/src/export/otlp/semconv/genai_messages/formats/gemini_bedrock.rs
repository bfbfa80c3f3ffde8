//! The Gemini and Bedrock Converse readers of `genai_formats.rs` (same contract).

use serde_json::{json, Map, Value};

use super::super::{
    dumps, get, get_or, index, iterate, obj, py_str, text_part, truthy, Attr, Skip, R,
};

/// Google Gemini (`google-genai`'s `generate_content`).
pub(crate) mod gemini {
    use super::*;

    pub(crate) fn inputs(inputs: &Map<String, Value>) -> R<Option<Value>> {
        match get(inputs, "contents") {
            Some(s @ Value::String(_)) => Ok(Some(
                json!([{"role": "user", "parts": [text_part(s.clone())]}]),
            )),
            Some(Value::Array(items)) => {
                let messages = items
                    .first()
                    .and_then(Value::as_object)
                    .is_some_and(|c| c.contains_key("role"));
                if messages {
                    let converted = items
                        .iter()
                        .map(|c| content(obj(c)?))
                        .collect::<R<Vec<_>>>()?;
                    return Ok(Some(Value::Array(converted)));
                }
                let parts = items.iter().map(part).collect::<R<Vec<_>>>()?;
                Ok(Some(json!([{"role": "user", "parts": parts}])))
            }
            _ => Ok(None),
        }
    }

    pub(crate) fn system(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Object(config)) = inputs.get("config") else {
            return Ok(None);
        };
        match get(config, "system_instruction") {
            Some(s @ Value::String(_)) => Ok(Some(json!([text_part(s.clone())]))),
            Some(Value::Object(si)) => {
                let parts = iterate(&get_or(si, "parts", json!([])))?;
                Ok(Some(Value::Array(
                    parts.iter().map(part).collect::<R<Vec<_>>>()?,
                )))
            }
            _ => Ok(None),
        }
    }

    pub(crate) fn outputs(outputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(candidates)) = outputs.get("candidates") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for c in candidates {
            let content = get_or(obj(c)?, "content", json!({}));
            let content = obj(&content)?;
            let parts = iterate(&get_or(content, "parts", json!([])))?;
            let role = model_role(get_or(content, "role", json!("user")));
            let parts = parts.iter().map(part).collect::<R<Vec<_>>>()?;
            out.push(json!({"role": role, "parts": parts}));
        }
        Ok(Some(Value::Array(out)))
    }

    /// The request parameters, read from `config` with Gemini's names; tools aside (they
    /// come from `mlflow.chat.tools`).
    pub(crate) fn params(inputs: &Map<String, Value>) -> Vec<(&'static str, Value)> {
        let Some(Value::Object(config)) = inputs.get("config") else {
            return Vec::new();
        };
        let mut c = config.clone();
        for (from, to) in [
            ("max_output_tokens", "max_tokens"),
            ("stop_sequences", "stop"),
        ] {
            if let Some(v) = c.remove(from) {
                c.insert(to.into(), v);
            }
        }
        let mut out = Vec::new();
        for (from, to) in [
            ("temperature", "gen_ai.request.temperature"),
            ("max_tokens", "gen_ai.request.max_tokens"),
            ("top_p", "gen_ai.request.top_p"),
            ("stop", "gen_ai.request.stop_sequences"),
        ] {
            if let Some(v) = get(&c, from) {
                let v = match (to, v) {
                    ("gen_ai.request.stop_sequences", Value::String(_)) => json!([v]),
                    _ => v.clone(),
                };
                out.push((to, v));
            }
        }
        out
    }

    fn model_role(role: Value) -> Value {
        if role == "model" {
            json!("assistant")
        } else {
            role
        }
    }

    fn content(c: &Map<String, Value>) -> R<Value> {
        let role = model_role(get_or(c, "role", json!("user")));
        let parts = iterate(&get_or(c, "parts", json!([])))?
            .iter()
            .map(part)
            .collect::<R<Vec<_>>>()?;
        if !parts.is_empty() && parts.iter().all(|p| p["type"] == "tool_call_response") {
            return Ok(json!({"role": "tool", "parts": parts}));
        }
        Ok(json!({"role": role, "parts": parts}))
    }

    fn part(p: &Value) -> R<Value> {
        let m = match p {
            Value::String(_) => return Ok(text_part(p.clone())),
            Value::Object(m) => m,
            other => return Ok(text_part(Value::String(py_str(other)))),
        };
        if let Some(t) = get(m, "text") {
            return Ok(text_part(t.clone()));
        }
        for (key, kind, target) in [
            ("inline_data", "blob", "content"),
            ("file_data", "uri", "uri"),
        ] {
            let Some(d) = m.get(key).filter(|v| truthy(v)) else {
                continue;
            };
            let d = obj(d)?;
            let mime = get_or(d, "mime_type", json!(""));
            let source = if kind == "blob" { "data" } else { "file_uri" };
            let mut r =
                json!({"type": kind, "mime_type": mime, target: get_or(d, source, json!(""))});
            if truthy(&mime) {
                let modality = mime.as_str().ok_or(Skip)?.split('/').next().unwrap_or("");
                r["modality"] = json!(modality);
            }
            return Ok(r);
        }
        if let Some(fc) = m.get("function_call").filter(|v| truthy(v)) {
            let fc = obj(fc)?;
            return Ok(
                json!({"type": "tool_call", "name": get_or(fc, "name", json!("")),
                "arguments": get_or(fc, "args", json!({}))}),
            );
        }
        if let Some(fr) = m.get("function_response").filter(|v| truthy(v)) {
            let fr = obj(fr)?;
            return Ok(
                json!({"type": "tool_call_response", "name": get_or(fr, "name", json!("")),
                "response": get_or(fr, "response", json!({}))}),
            );
        }
        Ok(text_part(Value::String(dumps(p))))
    }
}

/// Amazon Bedrock's Converse API.
pub(crate) mod bedrock {
    use super::*;

    pub(crate) fn inputs(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(messages)) = inputs.get("messages") else {
            return Ok(None);
        };
        Ok(Some(Value::Array(
            messages
                .iter()
                .map(|m| message(obj(m)?))
                .collect::<R<Vec<_>>>()?,
        )))
    }

    pub(crate) fn system(inputs: &Map<String, Value>) -> R<Option<Value>> {
        let Some(Value::Array(blocks)) = inputs.get("system") else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        for b in blocks {
            if let Some(t) = obj(b)?.get("text").filter(|v| truthy(v)) {
                parts.push(text_part(t.clone()));
            }
        }
        Ok((!parts.is_empty()).then_some(Value::Array(parts)))
    }

    pub(crate) fn outputs(outputs: &Map<String, Value>) -> R<Option<Value>> {
        match outputs
            .get("output")
            .and_then(Value::as_object)
            .and_then(|o| o.get("message"))
        {
            Some(Value::Object(m)) => Ok(Some(json!([message(m)?]))),
            _ => Ok(None),
        }
    }

    /// `inferenceConfig`'s parameters and `toolConfig`'s tools (MLflow reads nothing else).
    pub(crate) fn params(inputs: &Map<String, Value>) -> R<Vec<(&'static str, Attr)>> {
        let mut out = Vec::new();
        if let Some(Value::Object(c)) = inputs.get("inferenceConfig") {
            for (from, to) in [
                ("temperature", "gen_ai.request.temperature"),
                ("maxTokens", "gen_ai.request.max_tokens"),
                ("topP", "gen_ai.request.top_p"),
                ("stopSequences", "gen_ai.request.stop_sequences"),
            ] {
                if let Some(v) = get(c, from) {
                    out.push((to, Attr::Typed(v.clone())));
                }
            }
        }
        if let Some(Value::Object(tc)) = inputs.get("toolConfig") {
            if let Some(tools) = tc.get("tools").filter(|v| truthy(v)) {
                let mut flat = Vec::new();
                for t in iterate(tools)? {
                    let Some(spec) = obj(&t)?.get("toolSpec").filter(|v| truthy(v)) else {
                        continue;
                    };
                    let spec = obj(spec)?;
                    let mut f = Map::new();
                    f.insert("type".into(), json!("function"));
                    f.insert("name".into(), index(spec, "name")?);
                    if let Some(d) = spec.get("description").filter(|v| truthy(v)) {
                        f.insert("description".into(), d.clone());
                    }
                    if let Some(s) = spec.get("inputSchema").filter(|v| truthy(v)) {
                        f.insert(
                            "parameters".into(),
                            obj(s)?.get("json").cloned().unwrap_or(Value::Null),
                        );
                    }
                    flat.push(Value::Object(f));
                }
                out.push((
                    "gen_ai.tool.definitions",
                    Attr::Text(dumps(&Value::Array(flat))),
                ));
            }
        }
        Ok(out)
    }

    fn message(msg: &Map<String, Value>) -> R<Value> {
        let mut role = get_or(msg, "role", json!("user"));
        let Some(Value::Array(content)) = msg.get("content") else {
            return Ok(json!({"role": role, "parts": []}));
        };
        let mut parts = Vec::new();
        let mut tool_result = false;
        for block in content {
            let b = obj(block)?;
            if b.contains_key("text") {
                parts.push(text_part(index(b, "text")?));
            } else if let Some(tu) = b.get("toolUse").filter(|v| truthy(v)) {
                let tu = obj(tu)?;
                let args = match get_or(tu, "input", json!({})) {
                    Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
                    other => other,
                };
                parts.push(json!({"type": "tool_call",
                    "id": tu.get("toolUseId").cloned().unwrap_or(Value::Null),
                    "name": tu.get("name").cloned().unwrap_or(Value::Null), "arguments": args}));
            } else if let Some(tr) = b.get("toolResult").filter(|v| truthy(v)) {
                tool_result = true;
                let tr = obj(tr)?;
                parts.push(json!({"type": "tool_call_response",
                    "id": tr.get("toolUseId").cloned().unwrap_or(Value::Null),
                    "response": tool_result_text(&get_or(tr, "content", json!([])))?}));
            } else if let Some(image) = b.get("image").filter(|v| truthy(v)) {
                parts.push(self::image(image)?);
            }
        }
        if tool_result {
            role = json!("tool");
        }
        Ok(json!({"role": role, "parts": parts}))
    }

    fn tool_result_text(content: &Value) -> R<Value> {
        if !truthy(content) {
            return Ok(Value::Null);
        }
        let mut results = Vec::new();
        for item in iterate(content)? {
            let item = obj(&item)?;
            if let Some(j) = get(item, "json") {
                results.push(Value::String(dumps(j)));
            } else if let Some(t) = item.get("text").filter(|v| truthy(v)) {
                results.push(t.clone());
            }
        }
        Ok(match results.len() {
            0 => Value::Null,
            1 => results.remove(0),
            _ => Value::String(dumps(&Value::Array(results))),
        })
    }

    fn image(image: &Value) -> R<Value> {
        let m = obj(image)?;
        let fmt = get_or(m, "format", json!("png"));
        let source = get_or(m, "source", json!({}));
        match get(obj(&source)?, "bytes") {
            None => Ok(text_part(Value::String(dumps(image)))),
            Some(b) => Ok(json!({"type": "blob", "modality": "image",
                "mime_type": format!("image/{}", py_str(&fmt)), "content": py_str(b)})),
        }
    }
}
