use super::*;

#[test]
fn a_summary_taken_from_the_trace_is_the_one_read_from_its_record() {
    let shared = SharedMetadata::from([
        ("mlflow.user".to_owned(), "me".to_owned()),
        ("a".to_owned(), "shared".to_owned()),
    ]);
    for t in crate::model::test_traces::varied_traces(200, 7) {
        let mut out = Vec::new();
        crate::model::write_trace_dict_with(&mut out, &t, &shared, crate::model::Location::of(&t));
        let mut want = Summary::parse(&out, 0, 0).unwrap();
        want.o = 0;
        assert_eq!(Summary::of_trace(&t, &shared), want);
    }
}

#[test]
fn the_partial_read_is_the_whole_read() {
    let payloads = [
        r#"{"info": {"trace_id": "tr-1", "trace_location": {}, "request_time": "2026-01-01T00:00:00.000Z", "state": "OK", "tags": {"mlflow.traceName": "n", "k": "v\"x"}, "trace_metadata": {"m": "1"}, "execution_duration_ms": 5}, "data": {"spans": [{"trace_id": "x", "span_id": "a", "parent_span_id": null, "name": "root", "start_time_unix_nano": 1, "end_time_unix_nano": 2, "status": {"code": "STATUS_CODE_OK"}, "attributes": {"mlflow.spanType": "\"LLM\"", "big": "[1, 2, {\"x\": 3}]"}}]}}"#,
        // No name tag: the root's name; a span type that is not a string; an unknown type.
        r#"{"info": {"trace_id": "tr-2", "trace_location": {}, "request_time": "bad", "state": "ERROR"}, "data": {"spans": [{"trace_id": "x", "span_id": "b", "parent_span_id": "a", "name": "child", "start_time_unix_nano": 0, "end_time_unix_nano": null, "status": {"code": "ERROR"}, "attributes": {"mlflow.spanType": 5}}, {"trace_id": "x", "span_id": "a", "parent_span_id": "zz", "name": "r\u00e9", "start_time_unix_nano": 3, "end_time_unix_nano": 4, "status": {"code": "UNSET"}}]}}"#,
    ];
    for p in payloads {
        let whole: TraceDict = serde_json::from_str(p).unwrap();
        let part = Summary::parse(p.as_bytes(), 7, 9).unwrap();
        assert_eq!(part, Summary::of(&whole, 7, 9), "{p}");
    }
    // Not a trace for either.
    let no_location =
        r#"{"info": {"trace_id": "t", "request_time": "", "state": "OK"}, "data": {"spans": []}}"#;
    assert!(serde_json::from_str::<TraceDict>(no_location).is_err());
    assert!(Summary::parse(no_location.as_bytes(), 0, 0).is_err());
}
