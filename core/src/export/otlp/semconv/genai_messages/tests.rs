use serde_json::{json, Value};

use super::{translate, Attr};

fn run(
    format: Option<&str>,
    inputs: Option<Value>,
    outputs: Option<Value>,
) -> Vec<(&'static str, Attr)> {
    let f = format.map(|f| json!(f));
    translate(f.as_ref(), inputs.as_ref(), outputs.as_ref()).expect("converts")
}

/// The attribute keys, in order.
fn keys(attrs: &[(&'static str, Attr)]) -> Vec<&'static str> {
    attrs.iter().map(|(k, _)| *k).collect()
}

fn text<'a>(attrs: &'a [(&'static str, Attr)], key: &str) -> &'a str {
    match attrs.iter().find(|(k, _)| *k == key) {
        Some((_, Attr::Text(t))) => t,
        other => panic!("{key}: {other:?}"),
    }
}

#[test]
fn openai_chat_messages_tools_and_response() {
    let inputs = json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "21°C"}
        ],
        "temperature": 0.2, "max_tokens": 50, "stop": "END",
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    });
    let outputs = json!({"id": "chatcmpl-1", "model": "gpt-4o-mini-2024",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Sunny"}, "finish_reason": "stop"}]});
    let a = run(Some("openai"), Some(inputs), Some(outputs));
    assert_eq!(
        keys(&a),
        [
            "gen_ai.input.messages",
            "gen_ai.system_instructions",
            "gen_ai.request.temperature",
            "gen_ai.request.max_tokens",
            "gen_ai.request.stop_sequences",
            "gen_ai.tool.definitions",
            "gen_ai.output.messages",
            "gen_ai.response.id",
            "gen_ai.response.model",
            "gen_ai.response.finish_reasons",
        ]
    );
    assert_eq!(
        text(&a, "gen_ai.input.messages"),
        concat!(
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}, "#,
            r#"{"type": "blob", "modality": "image", "mime_type": "image/png", "content": "AAAA"}]}, "#,
            r#"{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"city": "Paris"}}]}, "#,
            r#"{"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "21\u00b0C"}]}]"#
        )
    );
    assert_eq!(
        text(&a, "gen_ai.system_instructions"),
        r#"[{"type": "text", "content": "Be brief."}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.tool.definitions"),
        r#"[{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.output.messages"),
        r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Sunny"}], "finish_reason": "stop"}]"#
    );
    let typed = |key: &str| {
        a.iter().find_map(|(k, v)| match v {
            Attr::Typed(v) if *k == key => Some(v.clone()),
            _ => None,
        })
    };
    assert_eq!(typed("gen_ai.request.stop_sequences"), Some(json!(["END"])));
    assert_eq!(
        typed("gen_ai.response.finish_reasons"),
        Some(json!(["stop"]))
    );
    assert_eq!(typed("gen_ai.request.temperature"), Some(json!(0.2)));
}

#[test]
fn an_unexpected_shape_drops_every_message_attribute_as_mlflow_does() {
    // A string output: MLflow's converter calls `.get` on it and raises.
    let f = json!("openai");
    let inputs = json!({"messages": [{"role": "user", "content": "hi"}]});
    assert!(translate(Some(&f), Some(&inputs), Some(&json!("answer"))).is_err());
    // A message that is not a dict.
    assert!(translate(None, Some(&json!({"messages": ["hi"]})), None).is_err());
    // Indexing a missing key raises.
    let bad = json!({"messages": [{"role": "user", "content": [{"type": "text"}]}]});
    assert!(translate(None, Some(&bad), None).is_err());
    // Inputs without messages: no message attribute, no error.
    assert!(run(None, Some(json!({"question": "hi"})), None).is_empty());
}

#[test]
fn openai_responses_api() {
    let inputs = json!({"input": [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{\"city\": \"Oslo\"}"},
        {"type": "function_call_output", "call_id": "c1", "output": "cold"}
    ], "instructions": "Be brief.", "tools": [{"type": "function", "name": "lookup"}]});
    let outputs = json!({"id": "resp_1", "status": "completed", "output": [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Cold."}]}]});
    let a = run(Some("openai"), Some(inputs), Some(outputs));
    assert_eq!(
        text(&a, "gen_ai.input.messages"),
        concat!(
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}, "#,
            r#"{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {"city": "Oslo"}}]}, "#,
            r#"{"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "cold"}]}]"#
        )
    );
    assert_eq!(
        text(&a, "gen_ai.system_instructions"),
        r#"[{"type": "text", "content": "Be brief."}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.tool.definitions"),
        r#"[{"type": "function", "name": "lookup"}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.output.messages"),
        r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Cold."}], "finish_reason": "completed"}]"#
    );
}

#[test]
fn anthropic_messages_tool_use_and_results() {
    let inputs = json!({"system": "Be brief.", "max_tokens": 100, "stop_sequences": "###",
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu1", "name": "lookup", "input": {"city": "Rome"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "hot"}]}
        ],
        "tools": [{"name": "lookup", "input_schema": {"type": "object"}}]});
    let outputs = json!({"id": "msg_1", "model": "claude", "role": "assistant",
        "content": [{"type": "text", "text": "Hot."}]});
    let a = run(Some("anthropic"), Some(inputs), Some(outputs));
    assert_eq!(
        text(&a, "gen_ai.input.messages"),
        concat!(
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}, "#,
            r#"{"role": "assistant", "parts": [{"type": "tool_call", "id": "tu1", "name": "lookup", "arguments": {"city": "Rome"}}]}, "#,
            r#"{"role": "tool", "parts": [{"type": "tool_call_response", "id": "tu1", "response": "hot"}]}]"#
        )
    );
    assert_eq!(
        text(&a, "gen_ai.tool.definitions"),
        r#"[{"name": "lookup", "input_schema": {"type": "object"}}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.output.messages"),
        r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Hot."}]}]"#
    );
    assert!(a
        .iter()
        .any(|(k, v)| *k == "gen_ai.request.stop_sequences" && *v == Attr::Typed(json!(["###"]))));
}

#[test]
fn gemini_contents_config_and_candidates() {
    let inputs = json!({"model": "gemini-2.5-flash", "contents": [
        {"role": "user", "parts": [{"text": "Weather?"}, {"inline_data": {"mime_type": "image/png", "data": "AAAA"}}]},
        {"role": "model", "parts": [{"function_call": {"name": "lookup", "args": {"city": "Oslo"}}}]},
        {"role": "user", "parts": [{"function_response": {"name": "lookup", "response": {"t": -3}}}]}],
        "config": {"system_instruction": "Be brief.", "temperature": 0.1, "max_output_tokens": 64, "stop_sequences": "##"}});
    let outputs =
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Cold."}]}}]});
    let a = run(Some("gemini"), Some(inputs), Some(outputs));
    assert_eq!(
        text(&a, "gen_ai.input.messages"),
        concat!(
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}, "#,
            r#"{"type": "blob", "mime_type": "image/png", "content": "AAAA", "modality": "image"}]}, "#,
            r#"{"role": "assistant", "parts": [{"type": "tool_call", "name": "lookup", "arguments": {"city": "Oslo"}}]}, "#,
            r#"{"role": "tool", "parts": [{"type": "tool_call_response", "name": "lookup", "response": {"t": -3}}]}]"#
        )
    );
    assert_eq!(
        text(&a, "gen_ai.system_instructions"),
        r#"[{"type": "text", "content": "Be brief."}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.output.messages"),
        r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Cold."}]}]"#
    );
    assert_eq!(
        keys(&a),
        [
            "gen_ai.input.messages",
            "gen_ai.system_instructions",
            "gen_ai.request.temperature",
            "gen_ai.request.max_tokens",
            "gen_ai.request.stop_sequences",
            "gen_ai.output.messages"
        ]
    );
}

#[test]
fn bedrock_converse_messages_tools_and_inference_config() {
    let inputs = json!({"modelId": "m", "system": [{"text": "Be brief."}],
        "messages": [
            {"role": "user", "content": [{"text": "Weather?"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"city": "Bern"}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"t": 5}}]}}]}],
        "inferenceConfig": {"maxTokens": 99, "temperature": 0.4},
        "toolConfig": {"tools": [{"toolSpec": {"name": "lookup", "description": "d", "inputSchema": {"json": {"type": "object"}}}}]}});
    let outputs = json!({"output": {"message": {"role": "assistant", "content": [{"text": "Mild."}]}}, "stopReason": "end_turn"});
    let a = run(Some("bedrock"), Some(inputs), Some(outputs));
    assert_eq!(
        text(&a, "gen_ai.input.messages"),
        concat!(
            r#"[{"role": "user", "parts": [{"type": "text", "content": "Weather?"}]}, "#,
            r#"{"role": "assistant", "parts": [{"type": "tool_call", "id": "t1", "name": "lookup", "arguments": {"city": "Bern"}}]}, "#,
            r#"{"role": "tool", "parts": [{"type": "tool_call_response", "id": "t1", "response": "{\"t\": 5}"}]}]"#
        )
    );
    assert_eq!(
        text(&a, "gen_ai.tool.definitions"),
        r#"[{"type": "function", "name": "lookup", "description": "d", "parameters": {"type": "object"}}]"#
    );
    assert_eq!(
        text(&a, "gen_ai.output.messages"),
        r#"[{"role": "assistant", "parts": [{"type": "text", "content": "Mild."}]}]"#
    );
    assert_eq!(
        keys(&a),
        [
            "gen_ai.input.messages",
            "gen_ai.system_instructions",
            "gen_ai.request.temperature",
            "gen_ai.request.max_tokens",
            "gen_ai.tool.definitions",
            "gen_ai.output.messages"
        ]
    );
}
