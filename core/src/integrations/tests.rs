use serde_json::json;

use super::*;

fn get<'a>(attrs: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[test]
fn openai_start_keeps_parameters_but_not_the_prompt() {
    let inputs = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "stream": true});
    let a = start_attributes(Call::OpenAiChat, &inputs);
    assert_eq!(get(&a, "model"), Some(&json!("m")));
    assert_eq!(get(&a, "temperature"), Some(&json!(0.5)));
    assert_eq!(get(&a, "messages"), None);
    assert_eq!(get(&a, keys::MESSAGE_FORMAT), Some(&json!("openai")));
    let e = start_attributes(
        Call::OpenAiEmbedding,
        &json!({"model": "e", "input": ["x"]}),
    );
    assert_eq!(e, vec![("model".to_owned(), json!("e"))]);
}

#[test]
fn chat_usage_model_and_tools() {
    let inputs = json!({"model": "deployment", "tools": [{"type": "function", "function": {
        "name": "add", "description": "Add", "parameters": {"type": "object", "title": "X",
        "properties": {"a": {"type": "integer", "title": "A"}}, "required": ["a"]}}}]});
    let out = json!({"object": "chat.completion", "model": "gpt-x", "usage": {"prompt_tokens": 4,
        "completion_tokens": 2, "total_tokens": 6, "prompt_tokens_details": {"cached_tokens": 1}}});
    let a = end_attributes(Call::OpenAiChat, &inputs, &out);
    assert_eq!(get(&a, keys::MODEL), Some(&json!("gpt-x")));
    assert_eq!(
        get(&a, keys::TOKEN_USAGE),
        Some(
            &json!({"input_tokens": 4, "output_tokens": 2, "total_tokens": 6, "cache_read_input_tokens": 1})
        )
    );
    assert_eq!(
        get(&a, keys::TOOLS),
        Some(
            &json!([{"type": "function", "function": {"name": "add", "description": "Add",
            "parameters": {"properties": {"a": {"type": "integer"}}, "type": "object", "required": ["a"]}}}])
        )
    );
}

#[test]
fn model_falls_back_to_the_request_and_unknown_tools_record_none() {
    let inputs = json!({"model": "m", "tools": [{"type": "weird"}]});
    let a = end_attributes(Call::OpenAiChat, &inputs, &json!("streamed text"));
    assert_eq!(a, vec![(keys::MODEL.to_owned(), json!("m"))]);
}

#[test]
fn responses_usage_and_embedding_model() {
    let out = json!({"object": "response", "model": "r", "usage": {"input_tokens": 1, "output_tokens": 2,
        "total_tokens": 3, "input_tokens_details": {"cached_tokens": 0}}});
    let a = end_attributes(Call::OpenAiResponses, &json!({}), &out);
    assert_eq!(
        get(&a, keys::TOKEN_USAGE),
        Some(
            &json!({"input_tokens": 1, "output_tokens": 2, "total_tokens": 3, "cache_read_input_tokens": 0})
        )
    );
    let e = end_attributes(
        Call::OpenAiEmbedding,
        &json!({"model": "a"}),
        &json!({"object": "list", "model": "b", "usage": {"prompt_tokens": 1}}),
    );
    assert_eq!(e, vec![(keys::MODEL.to_owned(), json!("b"))]);
}

#[test]
fn anthropic_usage_counts_cache_in_input_and_total() {
    let inputs = json!({"model": "claude", "tools": [{"name": "t", "input_schema": {"type": "object", "properties": {}}}]});
    let s = start_attributes(Call::AnthropicMessages, &inputs);
    assert_eq!(
        get(&s, keys::TOOLS),
        Some(
            &json!([{"type": "function", "function": {"name": "t", "description": null, "parameters": {"properties": {}, "type": "object"}}}])
        )
    );
    let out = json!({"usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 2}});
    let a = end_attributes(Call::AnthropicMessages, &inputs, &out);
    assert_eq!(get(&a, keys::PROVIDER), Some(&json!("anthropic")));
    assert_eq!(
        get(&a, keys::TOKEN_USAGE),
        Some(
            &json!({"input_tokens": 15, "output_tokens": 5, "total_tokens": 20, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 2})
        )
    );
    let err = error_attributes(Call::AnthropicMessages, &inputs);
    assert_eq!(get(&err, keys::MODEL), Some(&json!("claude")));
    assert_eq!(get(&err, keys::TOKEN_USAGE), None);
}

#[test]
fn hostile_inputs_give_no_attributes_and_no_panic() {
    for v in [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({"tools": {"a": 1}, "model": 3}),
    ] {
        let _ = start_attributes(Call::AnthropicMessages, &v);
        let _ = start_attributes(Call::OpenAiChat, &v);
        assert!(get(&end_attributes(Call::OpenAiChat, &v, &v), keys::MODEL).is_none());
    }
}

#[test]
fn slim_parses_keep_what_the_mappings_read() {
    let req = request_from_json(
        r#"{"model": "m", "messages": [{"role": "user", "content": "hi"}], "input": "x", "tools": [], "n": 1.5}"#,
    );
    assert_eq!(req, json!({"model": "m", "tools": [], "n": 1.5}));
    let out = result_from_json(
        r#"{"id": "c", "object": "chat.completion", "choices": [{"a": 1}], "model": "g", "usage": {"prompt_tokens": 1}}"#,
    );
    assert_eq!(
        out,
        json!({"object": "chat.completion", "model": "g", "usage": {"prompt_tokens": 1}})
    );
    // Not an object, or not JSON: parsed as it is (Python's NaN becomes a string).
    assert_eq!(result_from_json("[1, 2]"), json!([1, 2]));
    assert_eq!(request_from_json("NaN"), json!("NaN"));
    let full = json!({"object": "chat.completion", "model": "g", "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}, "choices": []});
    let text = full.to_string();
    assert_eq!(
        end_attributes(Call::OpenAiChat, &json!({}), &result_from_json(&text)),
        end_attributes(Call::OpenAiChat, &json!({}), &full)
    );
}
