use super::*;

#[test]
fn ids_round_trip_in_every_form() {
    for _ in 0..1000 {
        let t = TraceId::random();
        assert_eq!(TraceId::parse(&t.to_mlflow()), Some(t));
        assert_eq!(TraceId::parse(&t.to_hex()), Some(t));
        assert_eq!(TraceId::from_base64(&t.to_base64()), Some(t));
        assert_eq!(t.to_hex().len(), 32);
        assert_eq!(&t.mlflow_bytes()[..], t.to_mlflow().as_bytes());
        assert_eq!(&t.base64_bytes()[..], t.to_base64().as_bytes());
        let s = SpanId::random();
        assert_eq!(SpanId::parse(&s.to_hex()), Some(s));
        assert_eq!(SpanId::from_base64(&s.to_base64()), Some(s));
        assert_eq!(s.to_hex().len(), 16);
        assert_eq!(&s.hex_bytes()[..], s.to_hex().as_bytes());
        assert_eq!(&s.base64_bytes()[..], s.to_base64().as_bytes());
    }
}

#[test]
fn known_base64_matches_mlflow() {
    // From a span dict MLflow 3.17.2 wrote for trace tr-542983bba8aab74e4e27e6bd3b55a798.
    let t = TraceId::parse("tr-542983bba8aab74e4e27e6bd3b55a798").unwrap();
    assert_eq!(t.to_base64(), "VCmDu6iqt05OJ+a9O1WnmA==");
}

#[test]
fn rejects_bad_ids() {
    assert_eq!(TraceId::parse("tr-xyz"), None);
    assert_eq!(TraceId::parse(&"0".repeat(32)), None);
    assert_eq!(SpanId::parse("00f067aa0ba902b"), None);
    assert_eq!(SpanId::parse("0000000000000000"), None);
}

#[test]
fn traceparent_round_trip_and_rejections() {
    for _ in 0..100 {
        let tp = TraceParent {
            trace_id: TraceId::random(),
            parent_id: SpanId::random(),
            sampled: fastrand::bool(),
        };
        assert_eq!(TraceParent::parse(&tp.to_string()), Some(tp));
    }
    let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    assert!(!TraceParent::parse(ok).unwrap().sampled);
    for bad in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ] {
        assert_eq!(TraceParent::parse(bad), None, "{bad}");
    }
    // A future version may carry more fields.
    assert!(
        TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-zz").is_some()
    );
}
