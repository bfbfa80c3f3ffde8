//! The local store end to end: traces ended on a tracer come back from `read_store` as MLflow
//! `Trace.to_dict()` records; damaged records cost only themselves; an unwritable store costs
//! counted drops and one warning, never a blocked application.

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{warnings_containing, FLUSH};
use ferrotrace_core::api::MlflowApi;
use ferrotrace_core::config::Config;
use ferrotrace_core::model::keys::{attr, meta, tag};
use ferrotrace_core::model::{RawJson, SpanEvent, SpanId, TraceDict, TraceId};
use ferrotrace_core::store::{read_store, SEGMENT_EXT};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;
use serde_json::{json, Value};

fn store_tracer(dir: &Path) -> Tracer {
    Tracer::new(Config {
        local_dir: dir.to_owned(),
        ..Config::default()
    })
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
        .collect();
    v.sort();
    v
}

// 2026-11-25T12:09:26.743Z plus a few nanoseconds that must not leak into the milliseconds.
const T0: u64 = 1_795_608_566_743_000_123;

#[test]
fn traces_round_trip_through_the_store_as_mlflow_dicts() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = store_tracer(dir.path());

    // An OK trace: long inputs, an LLM child with an event, a user tag.
    let long_q = "q".repeat(400);
    let inputs = RawJson::from_value(&json!({ "question": long_q }));
    let mut root = tracer.start_root(
        "answer",
        RootOptions {
            start_ns: Some(T0),
            ..RootOptions::default()
        },
    );
    root.set_attribute(attr::SPAN_TYPE, RawJson::string("CHAIN"));
    root.set_attribute(attr::INPUTS, inputs.clone());
    root.set_attribute(attr::OUTPUTS, RawJson::string("done"));
    assert!(root.context().update_trace(|d| {
        d.tags.insert("env".into(), "test".into());
    }));
    let mut llm = tracer.start_child("llm", root.context(), Some(T0 + 1_000));
    llm.set_attribute(attr::SPAN_TYPE, RawJson::string("LLM"));
    let mut event_attrs = ferrotrace_core::model::Attributes::new();
    event_attrs.set("i", RawJson::int(1));
    llm.add_event(SpanEvent {
        name: "token".into(),
        time_ns: T0 + 2_000,
        attributes: event_attrs,
    });
    let ok_trace = root.context().trace_id();
    let (root_id, llm_id) = (root.context().span_id(), llm.context().span_id());
    llm.end(Some(T0 + 500_000_000));
    root.end(Some(T0 + 1_234_567_890));

    // An ERROR trace: the root raised.
    let mut failing = tracer.start_root("failing", RootOptions::default());
    failing.record_exception(
        "ValueError",
        "boom",
        "Traceback (most recent call last): ...",
    );
    let err_trace = failing.context().trace_id();
    failing.end(None);

    assert!(tracer.flush(FLUSH));
    let read = read_store(dir.path()).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.traces.len(), 2);

    // ---- the OK trace's info
    let t = &read.traces[0];
    let info = &t.info;
    assert_eq!(info.trace_id, ok_trace.to_mlflow());
    assert_eq!(info.state, "OK");
    assert_eq!(info.request_time, "2026-11-25T12:09:26.743Z");
    assert_eq!(info.execution_duration_ms, Some(1234));
    assert_eq!(
        info.trace_location,
        json!({"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "0"}})
    );
    assert_eq!(info.tags[tag::TRACE_NAME], "answer");
    assert_eq!(info.tags["env"], "test");
    assert_eq!(info.trace_metadata[meta::SCHEMA_VERSION], "3");
    // MLflow keeps 247 characters of the inputs' JSON text and marks the cut with "...".
    let trace_inputs = &info.trace_metadata[meta::INPUTS];
    assert_eq!(trace_inputs.chars().count(), 250);
    assert!(trace_inputs.ends_with("..."));
    assert!(inputs.as_str().starts_with(&trace_inputs[..247]));
    assert_eq!(info.trace_metadata[meta::OUTPUTS], "\"done\"");
    // The preview limit is 1000 characters: these inputs fit whole.
    assert_eq!(info.request_preview.as_deref(), Some(inputs.as_str()));
    assert_eq!(info.response_preview.as_deref(), Some("\"done\""));

    // ---- the OK trace's spans
    assert_eq!(t.data.spans.len(), 2);
    let request_id = Value::String(format!("\"{}\"", ok_trace.to_mlflow()));
    for s in &t.data.spans {
        assert_eq!(s.attributes[attr::REQUEST_ID], request_id, "{}", s.name);
        assert_eq!(s.trace_id, ok_trace.to_base64());
        assert_eq!(TraceId::from_base64(&s.trace_id), Some(ok_trace));
        assert_eq!(s.status.code, "STATUS_CODE_OK");
    }
    let root_d = t.root().unwrap();
    assert_eq!(root_d.name, "answer");
    assert_eq!(root_d.parent_span_id, None);
    assert_eq!(root_d.span_id, root_id.to_base64());
    assert_eq!(root_d.start_time_unix_nano, T0);
    assert_eq!(root_d.end_time_unix_nano, Some(T0 + 1_234_567_890));
    assert_eq!(root_d.attributes[attr::SPAN_TYPE], json!("\"CHAIN\""));
    assert_eq!(root_d.attribute(attr::INPUTS), Some(inputs.to_value()));
    let llm_d = t.data.spans.iter().find(|s| s.name == "llm").unwrap();
    assert_eq!(SpanId::from_base64(&llm_d.span_id), Some(llm_id));
    assert_eq!(
        llm_d.parent_span_id.as_deref(),
        Some(root_id.to_base64().as_str())
    );
    // Attribute values are JSON text, as MLflow stores them.
    assert_eq!(llm_d.attributes[attr::SPAN_TYPE], json!("\"LLM\""));
    assert_eq!(llm_d.attributes[attr::LOG_LEVEL], json!("20"));
    assert_eq!(llm_d.attribute(attr::SPAN_TYPE), Some(json!("LLM")));
    // Event attributes are plain JSON values.
    assert_eq!(llm_d.events.len(), 1);
    assert_eq!(llm_d.events[0].name, "token");
    assert_eq!(llm_d.events[0].time_unix_nano, T0 + 2_000);
    assert_eq!(
        Value::Object(llm_d.events[0].attributes.clone()),
        json!({"i": 1})
    );

    // ---- the ERROR trace
    let e = &read.traces[1];
    assert_eq!(e.info.trace_id, err_trace.to_mlflow());
    assert_eq!(e.info.state, "ERROR");
    assert_eq!(e.info.tags[tag::TRACE_NAME], "failing");
    // No inputs: the metadata key is there, empty, as MLflow writes it.
    assert_eq!(e.info.trace_metadata[meta::INPUTS], "");
    let s = &e.data.spans[0];
    assert_eq!(s.status.code, "STATUS_CODE_ERROR");
    assert_eq!(s.status.message, "ValueError: boom");
    assert_eq!(s.attributes[attr::LOG_LEVEL], json!("40"));
    assert_eq!(s.events[0].name, "exception");
    assert_eq!(
        s.events[0].attributes["exception.type"],
        json!("ValueError")
    );
    assert_eq!(s.events[0].attributes["exception.message"], json!("boom"));

    // ---- the file: one segment, one framed line per trace
    let segs = segments(dir.path());
    assert_eq!(segs.len(), 1);
    let text = fs::read_to_string(&segs[0]).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().all(|l| l.starts_with("FT1 ")));
}

/// Writes `n` one-span traces to `dir`, closes the writer, and returns their ids in write order.
fn write_traces(dir: &Path, n: usize) -> Vec<String> {
    let tracer = store_tracer(dir);
    let ids = (0..n)
        .map(|i| {
            let mut root = tracer.start_root(format!("t{i}"), RootOptions::default());
            root.set_attribute(attr::INPUTS, RawJson::from_value(&json!({ "i": i })));
            let id = root.context().trace_id().to_mlflow();
            root.end(None);
            id
        })
        .collect();
    // Shutdown closes the segment, as a process exit would.
    assert!(tracer.shutdown(FLUSH));
    ids
}

/// Byte ranges of the record lines in a segment.
fn record_spans(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    out
}

fn ids_of(traces: &[TraceDict]) -> Vec<String> {
    traces.iter().map(|t| t.info.trace_id.clone()).collect()
}

#[test]
fn a_torn_record_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let ids = write_traces(dir.path(), 5);
    let seg = segments(dir.path()).pop().unwrap();
    let bytes = fs::read(&seg).unwrap();
    let recs = record_spans(&bytes);
    assert_eq!(recs.len(), 5);

    // A writer killed mid-append leaves the first half of a record at the end.
    let partial = &bytes[recs[0].clone()][..recs[0].len() / 2];
    OpenOptions::new()
        .append(true)
        .open(&seg)
        .unwrap()
        .write_all(partial)
        .unwrap();
    let read = read_store(dir.path()).unwrap();
    assert_eq!(ids_of(&read.traces), ids);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("damaged record"),
        "{}",
        read.warnings[0]
    );

    // Cut the file in the middle of the last complete record instead.
    let last = recs[4].clone();
    let f = OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len((last.start + last.len() / 2) as u64).unwrap();
    drop(f);
    let read = read_store(dir.path()).unwrap();
    assert_eq!(ids_of(&read.traces), ids[..4]);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains(&format!("at byte {}", last.start)),
        "{}",
        read.warnings[0]
    );

    // The damaged store stays usable: a new writer starts a new segment beside it.
    let more = write_traces(dir.path(), 1);
    let read = read_store(dir.path()).unwrap();
    assert_eq!(ids_of(&read.traces), [&ids[..4], &more[..]].concat());
    assert_eq!(read.warnings.len(), 1);
}

#[test]
fn a_corrupted_middle_record_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let ids = write_traces(dir.path(), 5);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    let recs = record_spans(&bytes);
    // Flip a letter in the payload of the third record (case change: still valid UTF-8 and no
    // newline, so only the checksum can notice).
    let mid = recs[2].clone();
    let at = (mid.start + mid.len() / 2..mid.end)
        .find(|&i| bytes[i].is_ascii_alphabetic())
        .unwrap();
    bytes[at] ^= 0x20;
    fs::write(&seg, &bytes).unwrap();

    let read = read_store(dir.path()).unwrap();
    let want: Vec<String> = [0, 1, 3, 4].iter().map(|&i| ids[i].clone()).collect();
    assert_eq!(ids_of(&read.traces), want);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("checksum mismatch"),
        "{}",
        read.warnings[0]
    );
}

#[test]
fn an_unwritable_store_drops_with_a_count_and_one_warning() {
    ferrotrace_core::diag::set_quiet(true);
    let dir = tempfile::tempdir().unwrap();
    // Tests run as root, so permissions would not stop writes; a regular file where a folder
    // must go does.
    let file = dir.path().join("a-file");
    fs::write(&file, "not a folder").unwrap();
    let tracer = store_tracer(&file.join("store"));

    const N: u64 = 50;
    let started = Instant::now();
    for i in 0..N {
        let root = tracer.start_root(format!("t{i}"), RootOptions::default());
        tracer.start_child("c", root.context(), None).end(None);
        root.end(None);
    }
    // Only a hang detector: the failing store is the worker's problem, never the caller's.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(tracer.flush(FLUSH));

    let st = tracer.stats();
    assert_eq!(st.traces_completed, N);
    assert_eq!(st.traces_exported, 0);
    assert_eq!(st.dropped_traces.get("export_failed"), Some(&N));
    assert_eq!(st.dropped_spans.get("export_failed"), Some(&(2 * N)));
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
    let w = warnings_containing("to the local destination");
    assert_eq!(w.len(), 1, "{w:?}");
}

#[test]
fn records_of_one_trace_id_merge_their_spans() {
    // Two services of one distributed trace writing to the same folder.
    let dir = tempfile::tempdir().unwrap();
    let tracer = ferrotrace_core::Tracer::new(ferrotrace_core::config::Config {
        local_dir: dir.path().to_owned(),
        ..Default::default()
    });
    let client = tracer.start_root("client", ferrotrace_core::tracer::RootOptions::default());
    let tp = client.context().traceparent();
    client.end(None);
    let server = tracer.start_root(
        "server",
        ferrotrace_core::tracer::RootOptions {
            remote_parent: Some(tp),
            ..Default::default()
        },
    );
    server.end(None);
    assert!(tracer.flush(std::time::Duration::from_secs(5)));
    let read = ferrotrace_core::store::read_store(dir.path()).unwrap();
    assert_eq!(read.traces.len(), 1);
    let names: Vec<&str> = read.traces[0]
        .data
        .spans
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["client", "server"]);
}

#[test]
fn records_and_recent_traces_carry_the_process_metadata_under_the_traces_own() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = store_tracer(dir.path());
    tracer.set_process_metadata(std::collections::BTreeMap::from([
        ("mlflow.source.name".to_owned(), "app.py".to_owned()),
        ("team".to_owned(), "from-process".to_owned()),
    ]));
    let mut ids = Vec::new();
    for own in [None, Some("from-user")] {
        let root = tracer.start_root("t", RootOptions::default());
        if let Some(v) = own {
            assert!(root.context().update_trace(|d| {
                d.metadata.insert("team".into(), v.into());
            }));
        }
        ids.push(root.context().trace_id().to_mlflow());
        root.end(None);
    }
    assert!(tracer.flush(FLUSH));
    let read = read_store(dir.path()).unwrap();
    let teams: Vec<&str> = read
        .traces
        .iter()
        .map(|t| t.info.trace_metadata["team"].as_str())
        .collect();
    assert_eq!(teams, ["from-process", "from-user"]);
    for (t, id) in read.traces.iter().zip(&ids) {
        assert_eq!(t.info.trace_metadata["mlflow.source.name"], "app.py");
        // get_trace (the recent traces) gives the record's dict.
        assert_eq!(tracer.get_trace(id, FLUSH).unwrap().as_ref(), Some(t));
    }
}
