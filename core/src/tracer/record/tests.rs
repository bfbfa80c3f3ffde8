use super::*;

#[test]
fn writes_land_in_the_shared_record() {
    let mut rec = OpenRecord::new(TraceId(1), SpanId(2), Some(SpanId(3)), "x".into(), 7);
    rec.end_ns = 9;
    rec.attributes.set("k", crate::model::RawJson::int(1));
    let shared = rec.share();
    assert_eq!(Arc::strong_count(&shared), 1);
    let mut want = SpanRecord {
        trace_id: TraceId(1),
        span_id: SpanId(2),
        parent_id: Some(SpanId(3)),
        name: "x".into(),
        start_ns: 7,
        end_ns: 9,
        ..SpanRecord::default()
    };
    want.attributes.set("k", crate::model::RawJson::int(1));
    assert_eq!(*shared, want);
}
