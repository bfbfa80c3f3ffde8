use super::*;
use serde_json::json;

#[test]
fn typed_values_become_plain_json_and_attributes_json_text() {
    let server = json!({"trace_info": {"trace_id": "tr-a", "state": "ERROR", "execution_duration": "1.5s",
        "tags": {"mlflow.traceName": "agent"}, "trace_metadata": {"mlflow.trace.user": "u"}},
      "spans": [{"trace_id": "AAAAAAAAAAAAAAAAAAAAAQ==", "span_id": "AAAAAAAAAAE=", "parent_span_id": "",
        "name": "agent", "start_time_unix_nano": "10", "end_time_unix_nano": 20,
        "attributes": [
          {"key": "mlflow.spanInputs", "value": {"kvlist_value": {"values": [
             {"key": "q", "value": {"string_value": "hi"}},
             {"key": "n", "value": {"int_value": "3"}},
             {"key": "xs", "value": {"array_value": {"values": [{"double_value": 0.5}, {"bool_value": true}, {}]}}}]}}},
          {"key": "mlflow.spanLogLevel", "value": {"int_value": 40}}],
        "events": [{"name": "exception", "time_unix_nano": 15,
          "attributes": [{"key": "exception.type", "value": {"string_value": "ValueError"}}]}],
        "status": {"code": "STATUS_CODE_ERROR", "message": "ValueError: x"}}]});
    let t = trace_dict_from_server(&server);
    assert_eq!(t.info.execution_duration_ms, Some(1500));
    assert_eq!(t.info.tags["mlflow.traceName"], "agent");
    let s = &t.data.spans[0];
    assert_eq!(s.parent_span_id, None);
    assert_eq!(s.start_time_unix_nano, 10);
    assert_eq!(
        s.attributes["mlflow.spanInputs"],
        r#"{"q": "hi", "n": 3, "xs": [0.5, true, null]}"#
    );
    assert_eq!(s.attributes["mlflow.spanLogLevel"], "40");
    assert_eq!(s.events[0].attributes["exception.type"], "ValueError");
    assert_eq!(s.status.message, "ValueError: x");
    assert_eq!(t.root().unwrap().name, "agent");
}
