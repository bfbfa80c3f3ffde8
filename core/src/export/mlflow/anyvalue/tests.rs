use super::*;

fn s(v: &str) -> Value {
    Value::StringValue(v.into())
}

fn val(text: &str) -> Option<Value> {
    from_json_text(text).and_then(|a| a.value)
}

#[test]
fn scalars_are_typed() {
    assert_eq!(val(r#""LLM""#), Some(s("LLM")));
    assert_eq!(val("42"), Some(Value::IntValue(42)));
    assert_eq!(val("-7"), Some(Value::IntValue(-7)));
    assert_eq!(val("1.0"), Some(Value::DoubleValue(1.0)));
    assert_eq!(val("1e+16"), Some(Value::DoubleValue(1e16)));
    assert_eq!(val("true"), Some(Value::BoolValue(true)));
    assert_eq!(val("Infinity"), Some(Value::DoubleValue(f64::INFINITY)));
    assert_eq!(
        val("-Infinity"),
        Some(Value::DoubleValue(f64::NEG_INFINITY))
    );
    assert!(matches!(val("NaN"), Some(Value::DoubleValue(x)) if x.is_nan()));
    assert_eq!(val("99999999999999999999"), Some(Value::DoubleValue(1e20)));
    assert!(from_json_text("null").is_none());
}

#[test]
fn escapes_decode_like_json_loads() {
    let text = r#""a\"b\\c\/\n\t\u00e9\ud83d\ude00\ud800x é""#;
    assert_eq!(val(text), Some(s("a\"b\\c/\n\té😀?x é")));
}

#[test]
fn containers_nest_and_null_members_are_unset() {
    let v = from_json_text(r#"{"q": "hi", "n": null, "l": [1, null, {"k": [true]}], "e": {}}"#)
        .unwrap();
    let Some(Value::KvlistValue(kv)) = v.value else {
        panic!()
    };
    assert_eq!(kv.values.len(), 4);
    assert_eq!(kv.values[0].value.as_ref().unwrap().value, Some(s("hi")));
    assert!(kv.values[1].value.is_none());
    let Some(Value::ArrayValue(arr)) = kv.values[2].value.clone().unwrap().value else {
        panic!()
    };
    assert_eq!(arr.values.len(), 3);
    assert_eq!(arr.values[1], AnyValue { value: None });
    assert_eq!(
        kv.values[3].value.as_ref().unwrap().value,
        Some(Value::KvlistValue(KeyValueList::default()))
    );
}

#[test]
fn text_that_is_not_json_is_one_string() {
    for bad in [
        "not json",
        "{\"a\": 1",
        "[1, 2",
        "\"open",
        "1 2",
        "{'a': 1}",
        "tru",
    ] {
        assert_eq!(val(bad), Some(s(bad)), "{bad}");
    }
    let deep = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
    assert_eq!(val(&deep), Some(s(&deep)));
}

#[test]
fn agrees_with_serde_json_on_strict_json() {
    // Round-trip a variety of values through RawJson's Python writer, then compare.
    let v: serde_json::Value = serde_json::from_str(
        r#"{"a": [1, -2, 3.5, "x\u0001y", {"b": null, "c": false}], "d": "😀", "e": 1e-7, "f": 12345678901234}"#,
    )
    .unwrap();
    let text = crate::model::RawJson::from_value(&v).as_str().to_owned();
    fn back(a: &AnyValue) -> serde_json::Value {
        match &a.value {
            None => serde_json::Value::Null,
            Some(Value::StringValue(s)) => s.clone().into(),
            Some(Value::IntValue(i)) => (*i).into(),
            Some(Value::DoubleValue(d)) => (*d).into(),
            Some(Value::BoolValue(b)) => (*b).into(),
            Some(Value::ArrayValue(a)) => a.values.iter().map(back).collect(),
            Some(Value::KvlistValue(kv)) => kv
                .values
                .iter()
                .map(|k| {
                    (
                        k.key.clone(),
                        k.value.as_ref().map_or(serde_json::Value::Null, back),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Some(Value::BytesValue(_)) => unreachable!(),
        }
    }
    assert_eq!(back(&from_json_text(&text).unwrap()), v);
}
