//! Tool definitions in MLflow's chat schema (`ChatTool`: OpenAI's function tool shape), keeping
//! only the fields that schema has, as MLflow's validation does.

use serde_json::{Map, Value};

/// Built-in Responses API tools MLflow records by their type name.
const BUILT_IN: &[&str] = &[
    "file_search",
    "computer_use_preview",
    "web_search_preview",
    "local_shell",
    "mcp",
    "code_interpreter",
    "image_generation",
];

const PARAM_TYPES: &[&str] = &[
    "string", "number", "integer", "object", "array", "boolean", "null",
];

/// OpenAI tools (chat completions or Responses API style). `None`: no tools, or one MLflow
/// would reject (then it records none).
pub(super) fn openai(tools: &Value) -> Option<Value> {
    let list = tools.as_array()?;
    let mut out = Vec::with_capacity(list.len());
    for tool in list {
        let kind = tool
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("function");
        let function = if kind == "function" {
            match tool.get("function") {
                Some(f) => function(f)?,
                None => function(tool)?, // Responses API: the definition sits at the top level
            }
        } else if BUILT_IN.contains(&kind) {
            let mut f = Map::new();
            f.insert("name".into(), Value::from(kind));
            f
        } else {
            return None;
        };
        out.push(chat_tool(function));
    }
    (!out.is_empty()).then_some(Value::Array(out))
}

/// Anthropic tools (`name`, `description`, `input_schema`).
pub(super) fn anthropic(tools: &Value) -> Option<Value> {
    let list = tools.as_array()?;
    let mut out = Vec::with_capacity(list.len());
    for tool in list {
        let mut f = Map::new();
        f.insert(
            "name".into(),
            tool.get("name").filter(|n| n.is_string())?.clone(),
        );
        // Passed explicitly by MLflow, so present even when absent from the tool.
        f.insert(
            "description".into(),
            tool.get("description").cloned().unwrap_or(Value::Null),
        );
        let params = match tool.get("input_schema") {
            None | Some(Value::Null) => Value::Null,
            Some(p) => Value::Object(params(p)?),
        };
        f.insert("parameters".into(), params);
        out.push(chat_tool(f));
    }
    (!out.is_empty()).then_some(Value::Array(out))
}

fn chat_tool(function: Map<String, Value>) -> Value {
    let mut t = Map::new();
    t.insert("type".into(), Value::from("function"));
    t.insert("function".into(), Value::Object(function));
    Value::Object(t)
}

/// `FunctionToolDefinition`: name, description, parameters, strict (those given).
fn function(f: &Value) -> Option<Map<String, Value>> {
    let f = f.as_object()?;
    let mut out = Map::new();
    out.insert(
        "name".into(),
        f.get("name").filter(|n| n.is_string())?.clone(),
    );
    for key in ["description", "parameters", "strict"] {
        let Some(v) = f.get(key) else { continue };
        let v = match (key, v) {
            ("parameters", Value::Object(_)) => Value::Object(params(v)?),
            ("description", Value::String(_)) | ("strict", Value::Bool(_)) | (_, Value::Null) => {
                v.clone()
            }
            _ => return None,
        };
        out.insert(key.into(), v);
    }
    Some(out)
}

/// `FunctionParams`: properties (required), type, required, additionalProperties.
fn params(p: &Value) -> Option<Map<String, Value>> {
    let p = p.as_object()?;
    let mut out = Map::new();
    let mut props = Map::new();
    for (name, prop) in p.get("properties")?.as_object()? {
        props.insert(name.clone(), Value::Object(property(prop)?));
    }
    out.insert("properties".into(), Value::Object(props));
    for key in ["type", "required", "additionalProperties"] {
        if let Some(v) = p.get(key) {
            let ok = match key {
                "type" => *v == "object",
                "required" => {
                    v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                }
                _ => v.is_null() || v.is_boolean(),
            };
            if !ok {
                return None;
            }
            out.insert(key.into(), v.clone());
        }
    }
    Some(out)
}

/// `ParamProperty`: type, description, enum, items (recursively); other keys are dropped.
fn property(p: &Value) -> Option<Map<String, Value>> {
    let p = p.as_object()?;
    let mut out = Map::new();
    for key in ["type", "description", "enum", "items"] {
        let Some(v) = p.get(key) else { continue };
        let v = match key {
            "type" => match v {
                Value::Null => v.clone(),
                Value::String(s) if PARAM_TYPES.contains(&s.as_str()) => v.clone(),
                Value::Array(a)
                    if a.iter()
                        .all(|t| t.as_str().is_some_and(|s| PARAM_TYPES.contains(&s))) =>
                {
                    v.clone()
                }
                _ => return None,
            },
            "items" if !v.is_null() => Value::Object(property(v)?),
            _ => v.clone(),
        };
        out.insert(key.into(), v);
    }
    Some(out)
}
