//! Wrapped LLM clients (`tracedOpenAI`, `tracedAnthropic`): the attributes MLflow's integrations
//! set on a provider call's span, computed by the core (`ferrotrace_core::integrations`) from the
//! JSON the span already holds, so Node and Python give the same span for the same call.

use ferrotrace_core::integrations::{
    end_attributes, error_attributes, request_from_json, result_from_json, set_attributes,
    start_attributes, Call,
};
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{RawJson, StatusCode};
use napi::{Error, Result};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::handle::Span;

/// The open span's request (its inputs, without the prompt), if the span is sampled.
fn request(span: &Span) -> Option<Value> {
    if !span.ctx.sampled() {
        return None;
    }
    let live = span.live.as_ref()?;
    Some(
        live.record()
            .attributes
            .get(attr::INPUTS)
            .map_or(Value::Null, |v| request_from_json(v.as_str())),
    )
}

/// A provider call started: sets the attributes its inputs give (request parameters, message
/// format, tools). `call` names the call (`openai.chat`, `anthropic.messages`, ...: see
/// `Call::parse`); an unknown name does nothing.
#[napi(catch_unwind)]
pub fn llm_start(mut span: Span, call: String) {
    let (Some(call), Some(inputs)) = (Call::parse(&call), request(&span)) else {
        return;
    };
    let attrs = start_attributes(call, &inputs);
    if let Some(l) = span.live.as_mut() {
        set_attributes(l, attrs);
    }
}

/// A provider call succeeded: sets the outputs (`outputs_json`, the result's JSON text, when
/// given) and the attributes the result gives (model, provider, token usage, tools). The facade
/// then ends the span.
#[napi(catch_unwind)]
pub fn llm_end(mut span: Span, call: String, outputs_json: Option<String>) {
    let Some(inputs) = request(&span) else { return };
    let attrs = match (Call::parse(&call), &outputs_json) {
        (Some(c), Some(o)) => end_attributes(c, &inputs, &result_from_json(o)),
        (Some(c), None) => end_attributes(c, &inputs, &Value::Null),
        _ => Vec::new(),
    };
    let Some(l) = span.live.as_mut() else { return };
    if let Some(o) = outputs_json {
        l.set_attribute(attr::OUTPUTS, RawJson::compact(o));
    }
    set_attributes(l, attrs);
}

/// A provider call threw: the exception as MLflow's integration records it (OpenAI's leaves the
/// status description empty; Anthropic's keeps `Type: message` and still sets model and
/// provider). The facade then ends the span.
#[napi(catch_unwind)]
pub fn llm_fail(mut span: Span, call: String, type_name: String, message: String, stack: String) {
    let call = Call::parse(&call);
    let attrs = match (call, request(&span)) {
        (Some(c), Some(i)) => error_attributes(c, &i),
        _ => Vec::new(),
    };
    let anthropic = matches!(call, Some(Call::AnthropicMessages | Call::AnthropicStream));
    let Some(l) = span.live.as_mut() else { return };
    l.record_exception(&type_name, &message, &stack);
    if !anthropic {
        l.set_status(StatusCode::Error, "");
    }
    set_attributes(l, attrs);
}

/// The attributes of a call as a JSON object text, `{"start": {...}, "end": {...},
/// "span_type": ...}`, from the inputs' and outputs' JSON texts (`null` outputs: the call
/// failed). Throws for an unknown call name.
#[napi(catch_unwind)]
pub fn llm_attributes(
    call: String,
    inputs_json: String,
    outputs_json: Option<String>,
) -> Result<String> {
    let call = Call::parse(&call)
        .ok_or_else(|| Error::from_reason(format!("unknown provider call {call:?}")))?;
    let parse = ferrotrace_core::model::json::parse_lenient;
    let inputs = parse(&inputs_json);
    let start: Map<String, Value> = start_attributes(call, &inputs).into_iter().collect();
    let end: Map<String, Value> = match outputs_json {
        Some(o) => end_attributes(call, &inputs, &parse(&o)),
        None => error_attributes(call, &inputs),
    }
    .into_iter()
    .collect();
    Ok(serde_json::json!({"start": start, "end": end, "span_type": call.span_type()}).to_string())
}
