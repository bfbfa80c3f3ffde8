use super::*;
use crate::model::test_traces::varied_traces;
use crate::model::{RawJson, TraceDict, TraceId, TraceInfo, TraceState};
use serde_json::json;
use std::collections::BTreeMap;

fn timestamp_json(ms: u64) -> String {
    let mut out = Vec::new();
    push_timestamp_json(&mut out, ms);
    String::from_utf8(out).unwrap()
}

fn duration_json(ms: u64) -> String {
    let mut out = Vec::new();
    push_duration_json(&mut out, ms);
    String::from_utf8(out).unwrap()
}

/// The body as the exporter built it before it was written directly: a `Value`.
fn reference_body(trace: &Trace, experiment_id: &str) -> Value {
    let info = &trace.info;
    let mut metadata = info.metadata.clone();
    metadata.remove(meta::COST);
    if !metadata.contains_key(meta::SIZE_BYTES) {
        let (total, stats) = reference_size_stats(trace, experiment_id);
        metadata.insert(meta::SIZE_STATS.into(), stats);
        metadata.insert(meta::SIZE_BYTES.into(), total.to_string());
    }
    let mut ti = Map::new();
    ti.insert("trace_id".into(), info.trace_id.to_mlflow().into());
    if let Some(id) = &info.client_request_id {
        ti.insert("client_request_id".into(), id.clone().into());
    }
    ti.insert(
        "trace_location".into(),
        json!({"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment_id}}),
    );
    if let Some(p) = &info.request_preview {
        ti.insert("request_preview".into(), p.clone().into());
    }
    if let Some(p) = &info.response_preview {
        ti.insert("response_preview".into(), p.clone().into());
    }
    ti.insert(
        "request_time".into(),
        timestamp_json(info.request_time_ms).into(),
    );
    ti.insert(
        "execution_duration".into(),
        duration_json(info.execution_duration_ms).into(),
    );
    ti.insert("state".into(), info.state.as_str().into());
    let truncated = |m: &BTreeMap<String, String>, key_max: usize, value_max: usize| {
        let cut = |s: &str, max: usize| match s.char_indices().nth(max) {
            Some((i, _)) => s[..i].to_owned(),
            None => s.to_owned(),
        };
        Value::Object(
            m.iter()
                .map(|(k, v)| (cut(k, key_max), Value::String(cut(v, value_max))))
                .collect(),
        )
    };
    ti.insert(
        "trace_metadata".into(),
        truncated(&metadata, MAX_METADATA_CHARS, MAX_METADATA_CHARS),
    );
    ti.insert(
        "tags".into(),
        truncated(&info.tags, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS),
    );
    json!({ "trace": { "trace_info": Value::Object(ti) } })
}

fn reference_size_stats(trace: &Trace, experiment_id: &str) -> (usize, String) {
    let mut dict = TraceDict::from(trace);
    dict.info.trace_location["mlflow_experiment"]["experiment_id"] = experiment_id.into();
    let sizes: Vec<usize> = dict
        .data
        .spans
        .iter()
        .map(|s| serde_json::to_value(s).map_or(0, |v| RawJson::from_value(&v).as_str().len()))
        .collect();
    dict.data.spans.clear();
    let empty = serde_json::to_value(&dict).map_or(0, |v| RawJson::from_value(&v).as_str().len());
    stats_of(sizes, empty)
}

#[test]
fn bodies_are_what_serializing_the_value_gave() {
    let mut out = Vec::new();
    for (i, t) in varied_traces(400, 11).iter().enumerate() {
        let exp = ["0", "123", "e\"x"][i % 3];
        out.clear();
        write_start_trace_body(&mut out, t, exp);
        assert_eq!(out, reference_body(t, exp).to_string().as_bytes());
        // With shared metadata: the body of the trace it is added to.
        let shared = SharedMetadata::from([
            ("mlflow.user".to_owned(), "me".to_owned()),
            (meta::SIZE_BYTES.to_owned(), "1".to_owned()),
        ]);
        let shared = if i % 2 == 0 {
            shared
        } else {
            SharedMetadata::new()
        };
        let mut full = t.clone();
        full.info.add_metadata(&shared);
        out.clear();
        write_body(&mut out, t, &shared, exp);
        assert_eq!(out, reference_body(&full, exp).to_string().as_bytes());
    }
}

#[test]
fn size_stats_are_python_dicts_of_the_percentiles() {
    let (total, stats) = stats_of(vec![10, 200, 35, 7], 500);
    assert_eq!(total, 500 + 252 + 3 * 2);
    assert_eq!(
        stats,
        r#"{"total_size_bytes": 758, "num_spans": 4, "max": 200, "p25": 9, "p50": 22, "p75": 76}"#
    );
}

#[test]
fn times_are_proto_json_strings() {
    assert_eq!(
        timestamp_json(1_795_606_738_769),
        "2026-11-25T11:38:58.769Z"
    );
    assert_eq!(timestamp_json(1_795_604_400_000), "2026-11-25T11:00:00Z");
    assert_eq!(duration_json(49), "0.049s");
    assert_eq!(duration_json(2000), "2s");
    assert_eq!(duration_json(61_005), "61.005s");
    assert_eq!(duration_json(7), "0.007s");
    assert_eq!(duration_json(u64::MAX), "18446744073709551.615s");
}

#[test]
fn body_matches_the_sdk_shape() {
    let mut info = TraceInfo {
        trace_id: TraceId(0xa9732b40b1e105fa56e01a2ff253c2dd),
        request_time_ms: 1_795_606_738_769,
        execution_duration_ms: 49,
        state: TraceState::Error,
        request_preview: Some("{\"n\": 1}".into()),
        client_request_id: Some("req-1".into()),
        ..Default::default()
    };
    info.metadata.insert("k".repeat(300), "v".repeat(300));
    info.tags
        .insert("mlflow.traceName".into(), "failing_run".into());
    info.tags.insert("long".into(), "é".repeat(5000));
    let body = start_trace_body(
        &Trace {
            info,
            spans: Default::default(),
        },
        "7",
    );
    let ti = &body["trace"]["trace_info"];
    assert_eq!(ti["trace_id"], "tr-a9732b40b1e105fa56e01a2ff253c2dd");
    assert_eq!(ti["client_request_id"], "req-1");
    assert_eq!(ti["state"], "ERROR");
    assert_eq!(ti["execution_duration"], "0.049s");
    assert_eq!(ti["request_time"], "2026-11-25T11:38:58.769Z");
    assert_eq!(ti["request_preview"], "{\"n\": 1}");
    assert!(ti.get("response_preview").is_none());
    assert_eq!(ti["tags"]["long"].as_str().unwrap().chars().count(), 4096);
    let meta = ti["trace_metadata"].as_object().unwrap();
    assert!(meta.contains_key(&"k".repeat(250)));
    assert_eq!(meta[&"k".repeat(250)].as_str().unwrap().len(), 250);
    let stats: Value =
        serde_json::from_str(meta["mlflow.trace.sizeStats"].as_str().unwrap()).unwrap();
    assert_eq!(
        meta["mlflow.trace.sizeStats"],
        format!(
            "{{\"total_size_bytes\": {}, \"num_spans\": 0, \"max\": 0, \"p25\": 0, \"p50\": 0, \"p75\": 0}}",
            stats["total_size_bytes"]
        )
    );
    assert_eq!(stats["num_spans"], 0);
    assert_eq!(
        meta["mlflow.trace.sizeBytes"],
        stats["total_size_bytes"].to_string()
    );
}
