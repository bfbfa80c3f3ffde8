//! `MLFLOW_TRACE_TIMEOUT_SECONDS`: an expired trace is exported whole, its root with the inputs
//! and attributes set so far, and every span still open marked as MLflow marks the root.

use std::time::{Duration, Instant};

use ferrotrace_core::config::Config;
use ferrotrace_core::model::{RawJson, SpanRecord, StatusCode, Trace, TraceState};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn wait_for(tracer: &Tracer, n: usize) -> Vec<Trace> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tracer.memory_traces().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        tracer.flush(Duration::from_secs(1));
    }
    tracer.memory_traces()
}

fn span<'a>(t: &'a Trace, name: &str) -> &'a SpanRecord {
    t.spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

fn exception_message(s: &SpanRecord) -> String {
    let e = s
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("an exception event");
    assert_eq!(
        e.attributes.get("exception.type").unwrap().as_str(),
        "\"MlflowTracingException\""
    );
    e.attributes
        .get("exception.message")
        .unwrap()
        .as_str()
        .to_owned()
}

#[test]
fn an_expired_trace_carries_root_inputs_and_marks_open_spans() {
    let tracer = Tracer::new(Config {
        memory: true,
        trace_timeout: Some(Duration::from_millis(200)),
        trace_timeout_check_interval: Duration::from_millis(20),
        ..Default::default()
    });
    let mut root = tracer.start_root("stuck", RootOptions::default());
    root.set_attribute("mlflow.spanInputs", RawJson::from_trusted(r#"{"q": "hi"}"#));
    root.set_attribute("mlflow.spanType", RawJson::string("AGENT"));
    let done = tracer.start_child("done_step", root.context(), None);
    done.end(None);
    let mut open = tracer.start_child("first_name", root.context(), None);
    open.set_name("open_step");
    open.set_attribute("mlflow.spanInputs", RawJson::from_trusted("[1, 2]"));
    let inner = tracer.start_child("open_inner", open.context(), None);

    let traces = wait_for(&tracer, 1);
    let t = traces.first().expect("exported by the timeout");
    assert_eq!(t.info.state, TraceState::Error);
    assert_eq!(
        t.spans.len(),
        4,
        "{:?}",
        t.spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );

    let r = span(t, "stuck");
    assert_eq!(r.status.code, StatusCode::Error);
    assert!(exception_message(r).contains("timed out"));
    assert_eq!(
        r.attributes.get("mlflow.spanInputs").unwrap().as_str(),
        r#"{"q": "hi"}"#
    );
    assert_eq!(
        r.attributes.get("mlflow.spanType").unwrap().as_str(),
        "\"AGENT\""
    );
    assert_eq!(
        r.attributes.get("mlflow.spanLogLevel").unwrap().as_str(),
        "40"
    );

    let d = span(t, "done_step");
    assert_eq!(d.status.code, StatusCode::Ok);

    let o = span(t, "open_step");
    assert_eq!(o.status.code, StatusCode::Error);
    assert_eq!(o.parent_id, Some(r.span_id));
    assert_eq!(
        o.attributes.get("mlflow.spanInputs").unwrap().as_str(),
        "[1, 2]"
    );
    let m = exception_message(o);
    assert!(m.contains("still open") && m.contains("timed out"), "{m}");
    let i = span(t, "open_inner");
    assert_eq!(
        (i.status.code, i.parent_id),
        (StatusCode::Error, Some(o.span_id))
    );
    assert!(i.end_ns >= i.start_ns && i.end_ns <= r.end_ns);

    // The real spans ending later are counted, not exported twice.
    inner.end(None);
    open.end(None);
    root.end(None);
    tracer.flush(Duration::from_secs(5));
    assert_eq!(tracer.memory_traces().len(), 1);
    assert_eq!(
        tracer.stats().dropped_spans.get("span_after_root_ended"),
        Some(&3)
    );
}

#[test]
fn without_a_timeout_traces_export_as_usual() {
    let tracer = Tracer::new(Config {
        memory: true,
        ..Default::default()
    });
    let mut root = tracer.start_root("r", RootOptions::default());
    root.set_attribute("k", RawJson::int(1));
    let child = tracer.start_child("c", root.context(), None);
    child.end(None);
    root.end(None);
    assert!(tracer.flush(Duration::from_secs(5)));
    let t = &tracer.memory_traces()[0];
    assert_eq!(t.info.state, TraceState::Ok);
    assert_eq!(t.spans.len(), 2);
}
