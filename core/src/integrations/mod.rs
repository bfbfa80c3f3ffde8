//! LLM provider calls as MLflow records them: which attributes a span of an autologged
//! provider call carries, computed from the call's inputs and outputs as JSON, so every binding
//! (Python's patched clients, Node's wrapped clients) gives the same span for the same call.
//!
//! A binding starts the span with the call's keyword arguments as inputs, sets
//! [`start_attributes`], runs the call, then sets the outputs and [`end_attributes`] (success)
//! or records the exception (failure: no end attributes, as MLflow).
//!
//! ```
//! use ferrotrace_core::integrations::{end_attributes, start_attributes, Call};
//! use serde_json::json;
//! let inputs = json!({"model": "gpt-4o-mini", "messages": [], "temperature": 0});
//! let start = start_attributes(Call::OpenAiChat, &inputs);
//! assert!(start.contains(&("temperature".to_owned(), json!(0))));
//! let out = json!({"object": "chat.completion", "model": "gpt-4o-mini-2024",
//!                  "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}});
//! let end = end_attributes(Call::OpenAiChat, &inputs, &out);
//! assert!(end.contains(&("mlflow.llm.model".to_owned(), json!("gpt-4o-mini-2024"))));
//! ```

mod anthropic;
mod openai;
mod tools;

use serde_json::{Map, Value};

/// Attribute keys MLflow's autolog integrations set.
pub mod keys {
    pub const TOKEN_USAGE: &str = "mlflow.chat.tokenUsage";
    pub const TOOLS: &str = "mlflow.chat.tools";
    pub const MODEL: &str = "mlflow.llm.model";
    pub const PROVIDER: &str = "mlflow.llm.provider";
    pub const MESSAGE_FORMAT: &str = "mlflow.message.format";
    pub const INPUT_TOKENS: &str = "input_tokens";
    pub const OUTPUT_TOKENS: &str = "output_tokens";
    pub const TOTAL_TOKENS: &str = "total_tokens";
    pub const CACHE_READ: &str = "cache_read_input_tokens";
    pub const CACHE_CREATION: &str = "cache_creation_input_tokens";
    pub const CACHE_CREATION_1H: &str = "cache_creation_input_tokens_above_1hr";
}

/// One kind of provider call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// OpenAI `chat.completions.create` / `parse`.
    OpenAiChat,
    /// OpenAI legacy `completions.create`.
    OpenAiCompletion,
    /// OpenAI `embeddings.create`.
    OpenAiEmbedding,
    /// OpenAI `responses.create` / `parse`.
    OpenAiResponses,
    /// Anthropic `messages.create`.
    AnthropicMessages,
    /// Anthropic `messages.stream` (not a model call span type in MLflow).
    AnthropicStream,
}

impl Call {
    /// The call named as bindings name it: `openai.chat`, `openai.completion`,
    /// `openai.embedding`, `openai.responses`, `anthropic.messages`, `anthropic.stream`.
    pub fn parse(name: &str) -> Option<Call> {
        Some(match name {
            "openai.chat" => Call::OpenAiChat,
            "openai.completion" => Call::OpenAiCompletion,
            "openai.embedding" => Call::OpenAiEmbedding,
            "openai.responses" => Call::OpenAiResponses,
            "anthropic.messages" => Call::AnthropicMessages,
            "anthropic.stream" => Call::AnthropicStream,
            _ => return None,
        })
    }

    /// The MLflow span type of this call's span.
    pub fn span_type(self) -> &'static str {
        match self {
            Call::OpenAiChat | Call::OpenAiResponses | Call::AnthropicMessages => "CHAT_MODEL",
            Call::OpenAiCompletion => "LLM",
            Call::OpenAiEmbedding => "EMBEDDING",
            Call::AnthropicStream => "UNKNOWN",
        }
    }

    fn is_openai(self) -> bool {
        matches!(
            self,
            Call::OpenAiChat
                | Call::OpenAiCompletion
                | Call::OpenAiEmbedding
                | Call::OpenAiResponses
        )
    }
}

/// The mapping never panics on any JSON, but a panic must not reach a traced call: no
/// attributes then (for both bindings, which call these from user code's thread).
fn guarded(f: impl FnOnce() -> Vec<(String, Value)>) -> Vec<(String, Value)> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_default()
}

/// Attributes known when the call starts (from its keyword arguments).
pub fn start_attributes(call: Call, inputs: &Value) -> Vec<(String, Value)> {
    guarded(|| {
        if call.is_openai() {
            openai::start(call, inputs)
        } else {
            anthropic::start(inputs)
        }
    })
}

/// Attributes set when the call succeeded, from its inputs and its result.
pub fn end_attributes(call: Call, inputs: &Value, outputs: &Value) -> Vec<(String, Value)> {
    guarded(|| {
        if call.is_openai() {
            openai::end(inputs, outputs)
        } else {
            anthropic::end(inputs, outputs)
        }
    })
}

/// Attributes set when the call failed (after the exception is recorded).
pub fn error_attributes(call: Call, inputs: &Value) -> Vec<(String, Value)> {
    guarded(|| {
        if call.is_openai() {
            Vec::new()
        } else {
            anthropic::end(inputs, &Value::Null)
        }
    })
}

/// Sets attributes from the functions above on an open span.
pub fn set_attributes(span: &mut crate::LiveSpan, attrs: Vec<(String, Value)>) {
    for (k, v) in attrs {
        span.set_attribute(k, crate::model::RawJson::from_value(&v));
    }
}

/// A call's inputs from their JSON text, without the prompt (`messages`, `input`): no mapping
/// reads it, and it is most of the text. Text that is not a JSON object is parsed as it is.
pub fn request_from_json(text: &str) -> Value {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct WithoutPrompt;
    impl<'de> Visitor<'de> for WithoutPrompt {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if key == "messages" || key == "input" {
                    map.next_value::<IgnoredAny>()?;
                } else {
                    out.insert(key, map.next_value()?);
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match de
        .deserialize_map(WithoutPrompt)
        .and_then(|m| de.end().map(|_| m))
    {
        Ok(m) => Value::Object(m),
        Err(_) => crate::model::json::parse_lenient(text),
    }
}

/// A call's result from its JSON text, keeping only what the mappings read (`object`, `model`,
/// `usage`): a completion's choices or an embedding's vectors are skipped, not built.
pub fn result_from_json(text: &str) -> Value {
    #[derive(serde::Deserialize)]
    struct Slim {
        object: Option<Value>,
        model: Option<Value>,
        usage: Option<Value>,
    }
    match serde_json::from_str::<Slim>(text) {
        Ok(s) => {
            let mut m = Map::new();
            for (k, v) in [("object", s.object), ("model", s.model), ("usage", s.usage)] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        }
        Err(_) => crate::model::json::parse_lenient(text),
    }
}

/// The model named by the request, if it is a non-empty string.
fn request_model(inputs: &Value) -> Option<Value> {
    match inputs.get("model") {
        Some(Value::String(s)) if !s.is_empty() => Some(Value::String(s.clone())),
        _ => None,
    }
}

/// A token count as MLflow keeps it: the integer the provider sent (null stays null).
fn count(v: Option<&Value>) -> Value {
    v.cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
