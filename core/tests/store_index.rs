//! The segment indexes behind local search: kept by the writer as it writes, and never the
//! reason for a wrong answer (a missing, torn, damaged or foreign index file only costs time).

use std::path::{Path, PathBuf};

use ferrotrace_core::config::Config;
use ferrotrace_core::model::RawJson;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::{api, store, Tracer};
use serde_json::{json, Value};

fn tracer(dir: &Path) -> Tracer {
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
    let child = t.start_child(format!("step-{name}"), root.context(), None);
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

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

/// What is done to an index file: its new bytes, or `None` to remove it.
type Damage = Box<dyn Fn(&[u8]) -> Option<Vec<u8>>>;

const QUERIES: &[&str] = &[
    r#"{}"#,
    r#"{"max_results": 4}"#,
    r#"{"max_results": 4, "page_token": "eyJvZmZzZXQiOiA0fQ=="}"#,
    r#"{"filter": "tags.user = 'u1'"}"#,
    r#"{"filter": "span.name IN ('step-n1', 'x') AND tags.user = 'u1'"}"#,
    r#"{"filter": "trace.name = 'n2'", "order_by": ["timestamp_ms ASC"]}"#,
    r#"{"filter": "trace.name = 'renamed'"}"#,
    r#"{"filter": "tags.later = 'yes'"}"#,
    r#"{"filter": "span.type = 'TOOL'"}"#,
    r#"{"filter": "span.name = 'step-n0' AND trace.status = 'OK'"}"#,
    r#"{"filter": "trace.name LIKE 'n%' AND tags.user != 'u0'", "max_results": 3}"#,
    r#"{"filter": "feedback.rating = 'good'"}"#,
    r#"{"filter": "trace.timestamp_ms > 0", "order_by": ["name DESC"]}"#,
    r#"{"filter": "tags.user = 'nobody'"}"#,
];

fn answers(t: &Tracer) -> Vec<(Vec<String>, Value)> {
    QUERIES
        .iter()
        .map(|q| {
            let page = call(t, "search_traces", serde_json::from_str(q).unwrap());
            (ids(&page), page["next_page_token"].clone())
        })
        .collect()
}

#[test]
fn search_answers_the_same_whatever_state_the_index_files_are_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    {
        let t = tracer(dir.path());
        for i in 0..12 {
            let ty = if i % 3 == 0 { "TOOL" } else { "LLM" };
            let user = format!("u{}", i % 3);
            all.push(trace(&t, &format!("n{}", i % 4), ty, &[("user", &user)]));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        call(
            &t,
            "set_trace_tag",
            json!({"trace_id": all[1], "key": "later", "value": "yes"}),
        );
        call(
            &t,
            "set_trace_tag",
            json!({"trace_id": all[2], "key": "mlflow.traceName", "value": "renamed"}),
        );
        call(&t, "delete_traces", json!({"trace_ids": [all[3]]}));
        call(
            &t,
            "log_assessment",
            json!({"trace_id": all[5], "assessment": {"assessment_name": "rating", "feedback": {"value": "good"}, "source": {"source_type": "HUMAN", "source_id": "me"}}}),
        );
        t.shutdown(std::time::Duration::from_secs(5));
    }
    // The writers kept the indexes: nothing is parsed from the segments.
    let segs = files(dir.path(), "ftseg");
    assert!(!segs.is_empty());
    for seg in &segs {
        let idx = store::index::load(seg).unwrap().unwrap();
        assert_eq!(idx.parsed, 0, "{}", seg.display());
    }
    // As if a finished process had written them (this one may still hold them open).
    for p in files(dir.path(), "ftseg")
        .into_iter()
        .chain(files(dir.path(), "ftix"))
    {
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        let mut parts: Vec<&str> = name.splitn(3, '-').collect();
        parts[1] = "999999999";
        std::fs::rename(&p, dir.path().join(parts.join("-"))).unwrap();
    }
    let segs = files(dir.path(), "ftseg");
    let t = tracer(dir.path());
    let want = answers(&t);
    assert_eq!(want[0].0.len(), 11);
    assert_eq!(want[3].0.len(), 4);
    assert_eq!(want[6].0, [all[2].clone()]);
    assert_eq!(want[7].0, [all[1].clone()]);
    assert_eq!(want[11].0, [all[5].clone()]);
    assert_eq!(want[13].0.len(), 0);
    let indexes = files(dir.path(), "ftix");
    assert_eq!(indexes.len(), segs.len());
    let good: Vec<Vec<u8>> = indexes.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let damage: Vec<(&str, Damage)> = vec![
        ("missing", Box::new(|_| None)),
        ("torn", Box::new(|b| Some(b[..b.len() * 2 / 3].to_vec()))),
        (
            "flipped",
            Box::new(|b| {
                let mut b = b.to_vec();
                let n = b.len();
                b[n / 2] ^= 0x41;
                Some(b)
            }),
        ),
        ("empty", Box::new(|_| Some(Vec::new()))),
        ("header only", Box::new(|b| Some(b[..14].to_vec()))),
    ];
    for (what, f) in &damage {
        for (p, g) in indexes.iter().zip(&good) {
            match f(g) {
                Some(b) => std::fs::write(p, b).unwrap(),
                None => {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        assert_eq!(answers(&t), want, "index files {what}");
    }
    // Each segment given another segment's index.
    if indexes.len() > 1 {
        for (i, p) in indexes.iter().enumerate() {
            std::fs::write(p, &good[(i + 1) % good.len()]).unwrap();
        }
        assert_eq!(answers(&t), want, "index files swapped");
    }
    // The readers (the writers are gone) saved what they indexed: nothing is parsed again.
    for seg in &segs {
        let idx = store::index::load(seg).unwrap().unwrap();
        assert_eq!(idx.parsed, 0, "{}", seg.display());
    }
    assert_eq!(answers(&t), want);
    // Compaction writes the new segment's index with it, and the answers do not change.
    std::fs::write(dir.path().join("0000000000001-1-0001.ftidx"), b"old").unwrap();
    let report = store::compact::compact(dir.path()).unwrap();
    assert!(report.segments_compacted > 0, "{report:?}");
    let segs = files(dir.path(), "ftseg");
    assert_eq!(files(dir.path(), "ftix").len(), segs.len());
    assert!(files(dir.path(), "ftidx").is_empty());
    for seg in &segs {
        assert_eq!(store::index::load(seg).unwrap().unwrap().parsed, 0);
    }
    assert_eq!(answers(&t), want, "after compaction");
}

#[test]
fn a_trace_written_in_two_records_is_judged_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let record = |span: &str, tag: &str| {
        format!(
            r#"{{"info": {{"trace_id": "tr-x", "trace_location": {{}}, "request_time": "2026-01-01T00:00:00.000Z", "state": "OK", "tags": {{"mlflow.traceName": "x", "part": "{tag}"}}}}, "data": {{"spans": [{{"trace_id": "x", "span_id": "{span}", "parent_span_id": null, "name": "{span}", "start_time_unix_nano": 1, "end_time_unix_nano": 2, "status": {{"code": "OK"}}, "attributes": {{}}}}]}}}}"#
        )
    };
    for (part, indexed) in [("one", true), ("two", false)] {
        let w = store::SegmentWriter::new(dir.path().to_owned());
        let mut w = if indexed { w.indexed() } else { w };
        w.append(&record(part, part)).unwrap();
        w.close().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let t = tracer(dir.path());
    // The later record's info, both records' spans.
    for (filter, found) in [
        ("span.name = 'one' AND tags.part = 'two'", 1),
        ("tags.part = 'one'", 0),
        ("span.name = 'two'", 1),
    ] {
        let page = call(&t, "search_traces", json!({ "filter": filter }));
        assert_eq!(ids(&page).len(), found, "{filter}");
    }
    let page = call(&t, "search_traces", json!({}));
    assert_eq!(
        page["traces"][0]["data"]["spans"].as_array().unwrap().len(),
        2
    );
}

/// Ids of the traces of an unfiltered search that satisfy `keep`, in the search's order.
fn expected(t: &Tracer, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let all = call(t, "search_traces", json!({}));
    all["traces"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| keep(&x["info"]))
        .map(|x| x["info"]["trace_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn tag_and_name_filters_find_the_same_through_the_rows_by_value() {
    let dir = tempfile::tempdir().unwrap();
    // Two writers (two segments), no changes: the search judges only the rows that hold the
    // filter's values.
    for round in 0..2 {
        let t = tracer(dir.path());
        for i in 0..9 {
            let user = format!("u{}", i % 3);
            trace(
                &t,
                &format!("n{}", (i + round) % 4),
                "LLM",
                &[("user", &user)],
            );
        }
        t.shutdown(std::time::Duration::from_secs(5));
    }
    let t = tracer(dir.path());
    fn tag(i: &Value, k: &str) -> Option<String> {
        i["tags"][k].as_str().map(str::to_owned)
    }
    let user = |u: &'static str| move |i: &Value| tag(i, "user").as_deref() == Some(u);
    let name = |n: &'static str| move |i: &Value| tag(i, "mlflow.traceName").as_deref() == Some(n);
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(&str, Keep)> = vec![
        ("tags.user = 'u1'", Box::new(user("u1"))),
        ("trace.name = 'n2'", Box::new(name("n2"))),
        ("tags.`mlflow.traceName` = 'n3'", Box::new(name("n3"))),
        (
            "tags.user = 'u1' AND trace.name = 'n1'",
            Box::new(move |i| user("u1")(i) && name("n1")(i)),
        ),
        (
            "trace.name = 'n0' AND tags.user != 'u0'",
            Box::new(move |i| name("n0")(i) && !user("u0")(i)),
        ),
        ("tags.user = 'nobody'", Box::new(|_| false)),
        ("tags.missing = 'u1'", Box::new(|_| false)),
    ];
    for (filter, keep) in &cases {
        let want = expected(&t, keep);
        let page = call(&t, "search_traces", json!({ "filter": filter }));
        assert_eq!(ids(&page), want, "{filter}");
        // Paged: the same traces, two at a time.
        let mut paged = Vec::new();
        let mut token = Value::Null;
        loop {
            let page = call(
                &t,
                "search_traces",
                json!({ "filter": filter, "max_results": 2, "page_token": token }),
            );
            paged.extend(ids(&page));
            token = page["next_page_token"].clone();
            if token.is_null() {
                break;
            }
        }
        assert_eq!(paged, want, "{filter}, paged");
    }
    assert_eq!(expected(&t, user("u1")).len(), 6);
    // The page as text (what the Python binding takes) is the JSON value's text.
    for args in [
        json!({"filter": "tags.user = 'u1'"}),
        json!({"max_results": 3}),
    ] {
        let text = api::call_text(&t, "search_traces", &args).unwrap();
        assert_eq!(text, call(&t, "search_traces", args).to_string());
    }
    // A change (a tag set after the trace was written) is seen, and so are traces written since
    // the last search (the indexes this process keeps are read again when their files grow).
    let u0 = expected(&t, user("u0"));
    call(
        &t,
        "set_trace_tag",
        json!({"trace_id": u0[0], "key": "user", "value": "u1"}),
    );
    let page = call(&t, "search_traces", json!({"filter": "tags.user = 'u1'"}));
    assert_eq!(ids(&page).len(), 7);
    assert!(ids(&page).contains(&u0[0]));
    let late = trace(&t, "n9", "LLM", &[("user", "u9")]);
    let page = call(&t, "search_traces", json!({"filter": "tags.user = 'u9'"}));
    assert_eq!(ids(&page), std::slice::from_ref(&late));
    let page = call(&t, "search_traces", json!({"filter": "trace.name = 'n9'"}));
    assert_eq!(ids(&page), [late]);
}
