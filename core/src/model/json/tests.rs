use super::*;

/// Short text is kept inline, longer text in a String; both read back the same, compare and
/// hash by their text, and survive sharing and cloning.
#[test]
fn copied_text_reads_back_at_every_length() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let hash = |v: &RawJson| {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    };
    // Multi-byte characters around the inline limit: a copy never cuts one.
    for unit in ["7", "é", "😀"] {
        for n in 0..=Inline::MAX + 2 {
            let text = unit.repeat(n);
            let v = RawJson::copied(&text);
            assert_eq!(v.as_str(), text);
            assert_eq!(matches!(v.0, Text::Inline(_)), text.len() <= Inline::MAX);
            assert_eq!(v, RawJson::from_trusted(text.clone()));
            assert_eq!(hash(&v), hash(&RawJson::from_trusted(text.clone())));
            assert_eq!(v.clone().into_shared().as_str(), text);
        }
    }
    assert_eq!(std::mem::size_of::<RawJson>(), 32);
    assert_eq!(RawJson::int(-1234567890123).as_str(), "-1234567890123");
}

#[test]
fn value_uses_python_separators() {
    let v: serde_json::Value = serde_json::from_str(r#"{"q":"hello","t":0.1,"l":[1,2]}"#).unwrap();
    assert_eq!(
        RawJson::from_value(&v).as_str(),
        r#"{"q": "hello", "t": 0.1, "l": [1, 2]}"#
    );
}

#[test]
fn lenient_parse_handles_python_tokens() {
    let v = parse_lenient(r#"{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN in text"}"#);
    assert_eq!(v["a"], "NaN");
    assert_eq!(v["b"][1], "-Infinity");
    assert_eq!(v["c"], "NaN in text");
    assert_eq!(
        parse_lenient("not json"),
        serde_json::Value::String("not json".into())
    );
}
