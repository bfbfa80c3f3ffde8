use serde_json::json;

use super::llm_attributes;

fn attrs(v: &[crate::export::mlflow::proto::KeyValue]) -> Vec<(String, String)> {
    use crate::export::mlflow::proto::Value;
    v.iter()
        .map(
            |kv| match kv.value.as_ref().and_then(|a| a.value.as_ref()) {
                Some(Value::StringValue(s)) => (kv.key.clone(), s.clone()),
                other => panic!("{}: {other:?}", kv.key),
            },
        )
        .collect()
}

#[test]
fn openai_chat_as_openinference_messages_tools_and_parameters() {
    let inputs = json!({"model": "gpt-4o-mini", "temperature": 0.2, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Weather?"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "lookup", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "21°C"}],
        "tools": [{"type": "function", "function": {"name": "lookup"}}]});
    let outputs = json!({"choices": [{"message": {"role": "assistant", "content": "Sunny"}, "finish_reason": "stop"}]});
    let got = attrs(&llm_attributes(
        Some(&json!("openai")),
        Some(&inputs),
        Some(&outputs),
        None,
    ));
    let want: Vec<(String, String)> = [
        ("llm.input_messages.0.message.role", "system"),
        ("llm.input_messages.0.message.content", "Be brief."),
        ("llm.input_messages.1.message.role", "user"),
        (
            "llm.input_messages.1.message.contents.0.message_content.type",
            "text",
        ),
        (
            "llm.input_messages.1.message.contents.0.message_content.text",
            "Weather?",
        ),
        (
            "llm.input_messages.1.message.contents.1.message_content.type",
            "image",
        ),
        (
            "llm.input_messages.1.message.contents.1.message_content.image.image.url",
            "https://x/y.png",
        ),
        ("llm.input_messages.2.message.role", "assistant"),
        (
            "llm.input_messages.2.message.tool_calls.0.tool_call.id",
            "c1",
        ),
        (
            "llm.input_messages.2.message.tool_calls.0.tool_call.function.name",
            "lookup",
        ),
        (
            "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments",
            "{\"city\": \"Paris\"}",
        ),
        ("llm.input_messages.3.message.role", "tool"),
        ("llm.input_messages.3.message.tool_call_id", "c1"),
        ("llm.input_messages.3.message.content", "21°C"),
        ("llm.output_messages.0.message.role", "assistant"),
        ("llm.output_messages.0.message.content", "Sunny"),
        (
            "llm.tools.0.tool.json_schema",
            "{\"type\": \"function\", \"function\": {\"name\": \"lookup\"}}",
        ),
        (
            "llm.invocation_parameters",
            "{\"model\": \"gpt-4o-mini\", \"temperature\": 0.2}",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn anthropic_system_tool_use_and_plain_outputs() {
    let inputs = json!({"system": "Be brief.", "messages": [{"role": "user", "content": "Hi"}]});
    let outputs = json!({"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"city": "Rome"}}]});
    let got = attrs(&llm_attributes(
        Some(&json!("anthropic")),
        Some(&inputs),
        Some(&outputs),
        None,
    ));
    assert!(got.contains(&("llm.input_messages.0.message.role".into(), "system".into())));
    assert!(got.contains(&("llm.input_messages.1.message.content".into(), "Hi".into())));
    assert!(got.contains(&(
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments".into(),
        "{\"city\": \"Rome\"}".into()
    )));
    // A traced function returning one message, or text, without a message format.
    let one = json!({"role": "assistant", "content": "Sunny"});
    let msgs = json!({"messages": [{"role": "user", "content": "Hi"}]});
    for out in [one, json!("Sunny")] {
        let got = attrs(&llm_attributes(
            None,
            Some(&msgs),
            Some(&out),
            Some(&json!([{"name": "t"}])),
        ));
        assert!(
            got.contains(&(
                "llm.output_messages.0.message.content".into(),
                "Sunny".into()
            )),
            "{got:?}"
        );
        assert!(got.contains(&(
            "llm.tools.0.tool.json_schema".into(),
            "{\"name\": \"t\"}".into()
        )));
    }
    // Values of no known shape: no message attribute, no panic.
    let odd = attrs(&llm_attributes(
        None,
        Some(&json!([1, 2])),
        Some(&json!(3)),
        None,
    ));
    assert!(odd.is_empty(), "{odd:?}");
}
