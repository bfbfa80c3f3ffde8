//! The trace-level API on the local store: changes appended as records, folded by readers in
//! any process, searched with MLflow's filter grammar, compacted.

use ferrotrace_core::config::Config;
use ferrotrace_core::model::RawJson;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::{api, store, Tracer};
use serde_json::{json, Value};

fn tracer(dir: &std::path::Path) -> Tracer {
    Tracer::new(Config {
        local_dir: dir.to_owned(),
        ..Config::default()
    })
}

fn trace(t: &Tracer, name: &str, span_type: &str, tags: &[(&str, &str)]) -> String {
    let mut root = t.start_root(name.to_owned(), RootOptions::default());
    root.set_attribute("mlflow.spanType", RawJson::string(span_type));
    for (k, v) in tags {
        root.context().update_trace(|u| {
            u.tags.insert((*k).to_owned(), (*v).to_owned());
        });
    }
    let child = t.start_child("llm", root.context(), None);
    child.end(None);
    let id = root.context().trace_id().to_mlflow();
    root.end(None);
    id
}

fn call(t: &Tracer, op: &str, args: Value) -> Value {
    api::call(t, op, &args).unwrap_or_else(|e| panic!("{op}: {e}"))
}

fn ids(v: &Value) -> Vec<String> {
    v["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["info"]["trace_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn tags_and_assessments_are_stored_and_read_back_by_a_new_reader() {
    let dir = tempfile::tempdir().unwrap();
    let t = tracer(dir.path());
    let a = trace(&t, "agent", "AGENT", &[]);
    let b = trace(&t, "other", "CHAIN", &[]);
    call(
        &t,
        "set_trace_tag",
        json!({"trace_id": a, "key": "env", "value": "prod"}),
    );
    call(
        &t,
        "set_trace_tag",
        json!({"trace_id": a, "key": "gone", "value": "x"}),
    );
    call(
        &t,
        "delete_trace_tag",
        json!({"trace_id": a, "key": "gone"}),
    );
    let fb = call(
        &t,
        "log_assessment",
        json!({"trace_id": a, "assessment": {"assessment_name": "relevance", "source": {"source_type": "HUMAN", "source_id": "ann"}, "feedback": {"value": "yes"}}}),
    );
    let aid = fb["assessment_id"].as_str().unwrap().to_owned();
    assert!(aid.starts_with("a-") && aid.len() == 34, "{aid}");
    let over = call(
        &t,
        "log_assessment",
        json!({"trace_id": a, "assessment": {"assessment_name": "relevance", "feedback": {"value": "no"}, "overrides": aid}}),
    );
    let upd = call(
        &t,
        "update_assessment",
        json!({"trace_id": a, "assessment_id": over["assessment_id"], "assessment": {"rationale": "checked"}}),
    );
    assert_eq!(upd["rationale"], "checked");
    assert_eq!(upd["feedback"]["value"], "no");
    // A second process: another tracer on the same folder reads what the first wrote.
    let other = tracer(dir.path());
    let got = call(&other, "get_trace", json!({"trace_id": a}));
    assert_eq!(got["info"]["tags"]["env"], "prod");
    assert!(got["info"]["tags"].get("gone").is_none());
    let asmts = got["info"]["assessments"].as_array().unwrap();
    assert_eq!(asmts.len(), 2);
    assert_eq!(asmts[0]["valid"], false);
    assert_eq!(asmts[1]["rationale"], "checked");
    assert_eq!(got["data"]["spans"].as_array().unwrap().len(), 2);
    // Search sees the folded tags and assessments.
    let found = call(
        &other,
        "search_traces",
        json!({"filter": "tags.env = 'prod'"}),
    );
    assert_eq!(ids(&found), [a.as_str()]);
    let found = call(
        &other,
        "search_traces",
        json!({"filter": "feedback.relevance = 'no'"}),
    );
    assert_eq!(ids(&found), [a.as_str()]);
    let found = call(
        &other,
        "search_traces",
        json!({"filter": "span.type = 'CHAIN'"}),
    );
    assert_eq!(ids(&found), [b.as_str()]);
    // Deleting an assessment and a trace.
    call(
        &t,
        "delete_assessment",
        json!({"trace_id": a, "assessment_id": over["assessment_id"]}),
    );
    let got = call(&other, "get_trace", json!({"trace_id": a}));
    assert_eq!(got["info"]["assessments"][0]["valid"], true);
    assert_eq!(got["info"]["assessments"].as_array().unwrap().len(), 1);
    assert_eq!(
        call(&t, "delete_traces", json!({"trace_ids": [b]}))["deleted"],
        1
    );
    assert_eq!(
        call(&other, "get_trace", json!({"trace_id": b})),
        Value::Null
    );
    assert_eq!(ids(&call(&other, "search_traces", json!({}))), [a.as_str()]);
    // Unknown traces and bad filters are errors, as in MLflow.
    assert!(api::call(
        &t,
        "set_trace_tag",
        &json!({"trace_id": "tr-00000000000000000000000000000000", "key": "k", "value": "v"})
    )
    .is_err());
    assert!(api::call(
        &t,
        "search_traces",
        &json!({"filter": "trace.name = 'a' OR trace.name = 'b'"})
    )
    .is_err());
    // What `ferrotrace traces` and `push` read has the changes too.
    let read = store::read_folded(dir.path()).unwrap();
    assert_eq!(read.traces.len(), 1);
    assert_eq!(read.traces[0].info.tags["env"], "prod");
}

#[test]
fn search_orders_pages_and_filters_like_mlflow() {
    let dir = tempfile::tempdir().unwrap();
    let t = tracer(dir.path());
    let mut all = Vec::new();
    for i in 0..7 {
        let name = if i % 2 == 0 { "even" } else { "odd" };
        all.push(trace(&t, name, "LLM", &[("i", &i.to_string())]));
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let first = call(&t, "search_traces", json!({"max_results": 3}));
    let newest: Vec<String> = all.iter().rev().take(3).cloned().collect();
    assert_eq!(ids(&first), newest);
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    let second = call(
        &t,
        "search_traces",
        json!({"max_results": 3, "page_token": token}),
    );
    assert_eq!(
        ids(&second),
        all.iter()
            .rev()
            .skip(3)
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
    );
    let evens = call(
        &t,
        "search_traces",
        json!({"filter": "trace.name = 'even'", "order_by": ["timestamp_ms ASC"]}),
    );
    assert_eq!(
        ids(&evens),
        [
            all[0].clone(),
            all[2].clone(),
            all[4].clone(),
            all[6].clone()
        ]
    );
    let like = call(
        &t,
        "search_traces",
        json!({"filter": "trace.name LIKE 'ev%' AND tags.i != '0'"}),
    );
    assert_eq!(ids(&like).len(), 3);
    let ilike = call(&t, "search_traces", json!({"filter": "name ILIKE 'ODD'"}));
    assert_eq!(ids(&ilike).len(), 3);
    let inn = call(
        &t,
        "search_traces",
        json!({"filter": "trace.status IN ('OK', 'none') AND trace.name = 'odd'"}),
    );
    assert_eq!(ids(&inn).len(), 3);
    let none = call(
        &t,
        "search_traces",
        json!({"filter": "trace.timestamp_ms < 1000"}),
    );
    assert_eq!(ids(&none).len(), 0);
    let no_spans = call(
        &t,
        "search_traces",
        json!({"max_results": 1, "include_spans": false}),
    );
    assert_eq!(
        no_spans["traces"][0]["data"]["spans"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Older than a timestamp, at most 2.
    let ms = u64::MAX / 2;
    assert_eq!(
        call(
            &t,
            "delete_traces",
            json!({"max_timestamp_millis": ms, "max_traces": 2})
        )["deleted"],
        2
    );
    assert_eq!(ids(&call(&t, "search_traces", json!({}))).len(), 5);
}

#[test]
fn compaction_keeps_what_readers_see_and_drops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b);
    {
        let t = tracer(dir.path());
        a = trace(&t, "a", "LLM", &[]);
        b = trace(&t, "b", "LLM", &[]);
        for v in ["1", "2", "3"] {
            call(
                &t,
                "set_trace_tag",
                json!({"trace_id": a, "key": "k", "value": v}),
            );
        }
        call(&t, "delete_traces", json!({"trace_ids": [b]}));
        t.shutdown(std::time::Duration::from_secs(5));
    }
    // Written by this process (alive): a compaction must leave those segments alone.
    let live = store::compact::compact(dir.path()).unwrap();
    assert_eq!(live.segments_compacted, 0);
    assert!(live.segments_live > 0);
    // Rename them as if a finished process had written them.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        let mut parts: Vec<&str> = name.splitn(3, '-').collect();
        parts[1] = "999999999";
        std::fs::rename(&p, dir.path().join(parts.join("-"))).unwrap();
    }
    let before = tracer(dir.path());
    let seen = call(&before, "search_traces", json!({}));
    let report = store::compact::compact(dir.path()).unwrap();
    assert!(report.segments_compacted > 0);
    assert!(report.records_after < report.records_before, "{report:?}");
    let after = call(&before, "search_traces", json!({}));
    assert_eq!(ids(&after), ids(&seen));
    assert_eq!(after["traces"][0]["info"]["tags"]["k"], "3");
    assert_eq!(ids(&after), [a]);
}
