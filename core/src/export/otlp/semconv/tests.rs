use super::ascii_json;

#[test]
fn ascii_json_escapes_as_python_json_dumps() {
    assert_eq!(
        ascii_json(r#"{"k": "é😀"}"#),
        r#"{"k": "\u00e9\ud83d\ude00"}"#
    );
    assert_eq!(ascii_json("[1, 2]"), "[1, 2]");
}
