use super::*;

#[test]
fn skipping_the_parse_changes_no_preview() {
    let texts = [
        r#"{"messages": [{"role": "user", "content": "hi"}]}"#,
        r#"{"choices": [{"message": {"role": "assistant", "content": "yo"}}]}"#,
        r#" {"input": [{"role": "user", "content": [{"type": "text", "text": "t"}]}]}"#,
        r#"{"output": [{"role": "assistant", "content": "o"}], "x": NaN}"#,
        r#"{"request": {"messages": [{"role": "user", "content": "r"}]}}"#,
        r#"{"x": 1, "y": [1.5, "messages"]}"#,
        r#"{"q": "what is \"input\"?"}"#,
        r#"[{"role": "user", "content": "a list"}]"#,
        r#""a string""#,
        "42",
        "not json {",
        "{broken",
    ];
    for t in texts {
        for role in [Role::User, Role::Assistant] {
            assert_eq!(preview(t, role), parsed_preview(t, role), "{t}");
        }
    }
}

#[test]
fn chat_shapes_give_the_message_text() {
    let resp = r#"{"choices": [{"message": {"role": "assistant", "content": "hello"}}]}"#;
    assert_eq!(preview(resp, Role::Assistant), "hello");
    let parts = r#"{"input": [{"role": "user", "content": [{"type": "input_image"}, {"type": "text", "text": "look"}]}]}"#;
    assert_eq!(preview(parts, Role::User), "look");
    let wrapped = r#"{"request": {"messages": [{"role": "assistant", "content": "only"}]}}"#;
    assert_eq!(
        preview(wrapped, Role::User),
        "only",
        "no user message: the last one"
    );
    let no_text = r#"{"messages": [{"role": "user", "content": null}]}"#;
    assert_eq!(
        preview(no_text, Role::User),
        no_text,
        "empty content: the whole JSON"
    );
    // Keys that only look like the ones looked for, and text that only starts like an object.
    for other in [
        r#"{"inputs": {"messages_": 1}}"#,
        r#"["messages", {"role": "user"}]"#,
    ] {
        assert!(!may_hold_messages(other), "{other}");
        assert_eq!(preview(other, Role::User), other);
    }
    let escaped = r#"{"m\u0065ssages": [{"role": "user", "content": "hi"}]}"#;
    assert_eq!(preview(escaped, Role::User), "hi");
    let long = format!("\"{}\"", "x".repeat(2000));
    let p = preview(&long, Role::User);
    assert_eq!(p.chars().count(), 1000);
    assert!(p.ends_with("..."));
}
