//! Tests of the filter grammar.
use super::*;

#[test]
fn parses_mlflow_filters() {
    let f = parse("trace.name = 'a b' AND tags.`my key` != \"x\" AND timestamp_ms >= 5 and trace.status IN ('u1', 'u2') AND span.type = 'LLM'").unwrap();
    assert_eq!(f.len(), 5);
    assert_eq!(f[0].field, Field::Attr("name".into()));
    assert_eq!(f[1].field, Field::Tag("my key".into()));
    assert_eq!(f[1].value, Value::Str("x".into()));
    assert_eq!(f[2].op, Op::Ge);
    assert_eq!(f[3].value, Value::List(vec!["u1".into(), "u2".into()]));
    assert_eq!(f[4].field, Field::Span("type".into()));
    assert_eq!(
        parse("feedback.rel = 'yes'").unwrap()[0].field,
        Field::Feedback("rel".into())
    );
    assert_eq!(
        parse("trace.status NOT IN ('OK')").unwrap()[0].op,
        Op::NotIn
    );
    assert!(parse("").unwrap().is_empty());
}

#[test]
fn refuses_what_mlflow_refuses() {
    for bad in [
        "trace.name = 'a' OR trace.name = 'b'",
        "trace.foo = 'a'",
        "params.x = '1'",
        "trace.timestamp_ms = 'abc'",
        "trace.name > 'a'",
        "tags.k = ",
        "tags.k = 5",
        "trace.name = 'a' AND",
        "name == 'a'",
        "span.foo = 'x'",
        "trace.name IN ('a')",
        "tags.k IN ('a')",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn order_by() {
    assert_eq!(
        parse_order_by("timestamp DESC").unwrap(),
        OrderBy {
            key: "timestamp_ms".into(),
            ascending: false
        }
    );
    assert!(parse_order_by("tags.x").is_err());
    assert!(parse_order_by("name sideways").is_err());
}
