//! Autologged LLM provider calls: the span attributes MLflow's integrations set, computed by the
//! core (`ferrotrace_core::integrations`) from the JSON the span already holds, so the inputs
//! and outputs are converted from Python once.

use ferrotrace_core::integrations::{
    end_attributes, error_attributes, request_from_json, result_from_json, set_attributes,
    start_attributes, Call,
};
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::StatusCode;
use pyo3::prelude::*;
use serde_json::Value;

use crate::span::{finish, with_live, PySpan};
use crate::span_convert::exception_parts;
use crate::value::to_json;

/// The span's inputs as a JSON value, if it is sampled (unsampled spans record nothing).
fn inputs(slf: &Bound<'_, PySpan>) -> Option<Value> {
    let me = slf.try_borrow().ok()?;
    if !me.ctx.sampled() {
        return None;
    }
    Some(
        me.record()
            .attributes
            .get(attr::INPUTS)
            .map_or(Value::Null, |v| request_from_json(v.as_str())),
    )
}

/// A provider call started: sets the attributes its inputs give (request parameters, message
/// format, tools). `call` names the call (see `Call::parse`); an unknown name does nothing.
#[pyfunction]
pub fn llm_start(span: &Bound<'_, PySpan>, call: &str) {
    let (Some(call), Some(inputs)) = (Call::parse(call), inputs(span)) else {
        return;
    };
    let attrs = start_attributes(call, &inputs);
    with_live(span, |s| set_attributes(s, attrs));
}

/// A provider call succeeded: outputs from `result` (converted once), the attributes the result
/// gives (model, token usage, tools), then the end. Returns whether the span is a root.
#[pyfunction]
pub fn llm_end(span: &Bound<'_, PySpan>, call: &str, result: &Bound<'_, PyAny>) -> bool {
    let inputs = inputs(span);
    // Convert outside the borrow: `result` may run user code (`model_dump`).
    let outputs = inputs.as_ref().map(|_| to_json(result));
    let attrs = match (Call::parse(call), &inputs, &outputs) {
        (Some(call), Some(i), Some(o)) => end_attributes(call, i, &result_from_json(o.as_str())),
        _ => Vec::new(),
    };
    finish(span, |s| {
        if let Some(o) = outputs {
            if !result.is_none() {
                s.set_attribute(attr::OUTPUTS, o);
            }
        }
        set_attributes(s, attrs);
    })
}

/// A provider call raised: the exception as MLflow's integration records it, then the end.
/// OpenAI's leaves the status description empty; Anthropic's has `Type: message` and still
/// sets model and provider. Returns whether the span is a root.
#[pyfunction]
pub fn llm_fail(span: &Bound<'_, PySpan>, call: &str, exception: &Bound<'_, PyAny>) -> bool {
    let inputs = inputs(span);
    let parts = inputs.as_ref().map(|_| exception_parts(exception));
    let call = Call::parse(call);
    let attrs = match (call, &inputs) {
        (Some(c), Some(i)) => error_attributes(c, i),
        _ => Vec::new(),
    };
    let anthropic = matches!(call, Some(Call::AnthropicMessages | Call::AnthropicStream));
    finish(span, |s| {
        if let Some((ty, msg, stack)) = parts {
            s.record_exception(&ty, &msg, &stack);
            if !anthropic {
                s.set_status(StatusCode::Error, "");
            }
        }
        set_attributes(s, attrs);
    })
}

/// The attributes for a call, as a JSON object text: `{"start": {...}, "end": {...}}`, from the
/// inputs' and outputs' JSON texts (for other bindings' conformance and for tests).
#[pyfunction]
#[pyo3(signature = (call, inputs_json, outputs_json=None))]
pub fn llm_attributes(
    call: &str,
    inputs_json: &str,
    outputs_json: Option<&str>,
) -> PyResult<String> {
    let call = Call::parse(call).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("unknown provider call {call:?}"))
    })?;
    let inputs = ferrotrace_core::model::json::parse_lenient(inputs_json);
    let start: serde_json::Map<String, Value> =
        start_attributes(call, &inputs).into_iter().collect();
    let end: serde_json::Map<String, Value> = match outputs_json {
        Some(o) => end_attributes(
            call,
            &inputs,
            &ferrotrace_core::model::json::parse_lenient(o),
        ),
        None => error_attributes(call, &inputs),
    }
    .into_iter()
    .collect();
    Ok(serde_json::json!({"start": start, "end": end, "span_type": call.span_type()}).to_string())
}
