use super::*;
use crate::model::{TraceDict, TraceInfo};

#[test]
fn a_trace_survives_the_round_trip_through_its_dict() {
    let tid = TraceId::random();
    let root = SpanId::random();
    let mut attrs = Attributes::new();
    attrs.set("mlflow.spanInputs", RawJson::from_trusted(r#"{"q": "hi"}"#));
    attrs.set("n", RawJson::int(3));
    let mut ev = Attributes::new();
    ev.set("exception.message", RawJson::string("boom"));
    let spans = vec![
        Arc::new(SpanRecord {
            trace_id: tid,
            span_id: root,
            name: "root".into(),
            start_ns: 10,
            end_ns: 20,
            status: SpanStatus {
                code: StatusCode::Error,
                message: "E: boom".into(),
            },
            attributes: attrs,
            events: vec![SpanEvent {
                name: "exception".into(),
                time_ns: 15,
                attributes: ev,
            }],
            ..Default::default()
        }),
        Arc::new(SpanRecord {
            trace_id: tid,
            span_id: SpanId::random(),
            parent_id: Some(root),
            name: "child".into(),
            start_ns: 11,
            end_ns: 12,
            ..Default::default()
        }),
    ];
    let trace = Trace {
        info: TraceInfo {
            trace_id: tid,
            experiment_id: Some("7".into()),
            request_time_ms: 1_795_608_566_743,
            execution_duration_ms: 5,
            state: TraceState::Error,
            request_preview: Some("hi".into()),
            ..Default::default()
        },
        spans: spans.into(),
    };
    let dict = TraceDict::from(&trace);
    let back = Trace::try_from(&dict).unwrap();
    assert_eq!(back, trace);
    // And once more through JSON text, as on disk.
    let text = serde_json::to_string(&dict).unwrap();
    let again: TraceDict = serde_json::from_str(&text).unwrap();
    assert_eq!(Trace::try_from(&again).unwrap(), trace);
}
