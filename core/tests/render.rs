//! The CLI's text views of stored traces: the trace table and the span tree show names, types,
//! statuses and inputs, with long values cut to one readable line.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::FLUSH;
use ferrotrace_core::config::Config;
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{
    Attributes, RawJson, SpanEvent, SpanId, SpanRecord, SpanStatus, StatusCode, Trace, TraceDict,
    TraceId, TraceInfo,
};
use ferrotrace_core::process::finalize_trace;
use ferrotrace_core::store::{read_store, render_list, render_tree};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;
use serde_json::json;

// 2026-11-25T12:09:26.743Z
const T0: u64 = 1_795_608_566_743_000_000;
const MS: u64 = 1_000_000;

fn rec(
    id: u64,
    parent: Option<u64>,
    name: &str,
    ty: &str,
    (start_ms, end_ms): (u64, u64),
    attrs: &[(&'static str, RawJson)],
) -> SpanRecord {
    let mut attributes = Attributes::new();
    attributes.set(attr::SPAN_TYPE, RawJson::string(ty));
    for (k, v) in attrs {
        attributes.set(*k, v.clone());
    }
    SpanRecord {
        trace_id: TraceId(0xe675b48826079ec2382f73b81044c153),
        span_id: SpanId(id),
        parent_id: parent.map(SpanId),
        name: name.to_owned().into(),
        start_ns: T0 + start_ms * MS,
        end_ns: T0 + end_ms * MS,
        status: SpanStatus {
            code: StatusCode::Ok,
            message: String::new(),
        },
        attributes,
        events: Vec::new(),
        links: Vec::new(),
    }
}

/// A fixed trace (ids and times chosen), finalized as the worker would, in stored form.
fn fixed_trace() -> TraceDict {
    let long_query = "z".repeat(10_000);
    let root = rec(
        1,
        None,
        "agent_run",
        "AGENT",
        (0, 1500),
        &[
            (
                attr::INPUTS,
                RawJson::from_value(&json!({"question": "What is ferrotrace?"})),
            ),
            (attr::OUTPUTS, RawJson::string("A tracing SDK")),
        ],
    );
    let retrieve = rec(
        2,
        Some(1),
        "retrieve",
        "RETRIEVER",
        (1, 201),
        &[(
            attr::INPUTS,
            RawJson::from_value(&json!({ "query": long_query })),
        )],
    );
    let mut llm = rec(
        3,
        Some(1),
        "llm",
        "LLM",
        (300, 1300),
        &[(
            attr::TOKEN_USAGE,
            RawJson::from_value(
                &json!({"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}),
            ),
        )],
    );
    llm.status = SpanStatus {
        code: StatusCode::Error,
        message: "TimeoutError: the model\ndid not answer".into(),
    };
    llm.events.push(SpanEvent {
        name: "exception".into(),
        time_ns: T0 + 1300 * MS,
        attributes: Attributes::new(),
    });
    let parse = rec(4, Some(3), "parse", "PARSER", (1200, 1250), &[]);
    let mut trace = Trace {
        info: TraceInfo {
            trace_id: TraceId(0xe675b48826079ec2382f73b81044c153),
            request_time_ms: T0 / MS,
            execution_duration_ms: 1500,
            tags: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
            ..TraceInfo::default()
        },
        // End order, root last, as the tracer hands them over.
        spans: [retrieve, parse, llm, root]
            .map(Arc::new)
            .into_iter()
            .collect(),
    };
    trace.info.state = ferrotrace_core::model::TraceState::Ok;
    finalize_trace(&mut trace, &BTreeMap::new());
    TraceDict::from(&trace)
}

#[test]
fn the_tree_of_a_fixed_trace() {
    let tree = render_tree(&fixed_trace());
    // Reviewed by hand: children sorted by start, types in brackets, durations from the span
    // times, the 10k-character query cut to 96 characters (`{"query": "`, 84 z, "…"), the
    // newline in the status message escaped.
    let want = r#"Trace tr-e675b48826079ec2382f73b81044c153  agent_run  OK
  started 2026-11-25 12:09:26 UTC, 1500 ms, 4 span(s)
  tag env = prod
  tokenUsage = {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
agent_run [AGENT] 1500.0 ms OK
│  in : {"question": "What is ferrotrace?"}
│  out: "A tracing SDK"
├─ retrieve [RETRIEVER] 200.0 ms OK
│     in : {"query": "{84 z}…
└─ llm [LLM] 1000.0 ms ERROR: TimeoutError: the model\ndid not answer
   │  event exception
   └─ parse [PARSER] 50.0 ms OK"#
        .replace("{84 z}", &"z".repeat(84));
    assert_eq!(tree, want, "\n{tree}");
}

#[test]
fn the_list_of_fixed_traces() {
    let list = render_list(&[fixed_trace()]);
    let want = "\
TRACE ID                             NAME       STATE  START (UTC)          DURATION  SPANS
tr-e675b48826079ec2382f73b81044c153  agent_run  OK     2026-11-25 12:09:26  1500 ms   4
1 trace(s)";
    assert_eq!(list, want, "\n{list}");
}

#[test]
fn traces_from_the_store_render_with_names_types_statuses_and_cut_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let tracer = Tracer::new(Config {
        local_dir: dir.path().to_owned(),
        ..Config::default()
    });
    let big = "w".repeat(10_000);
    let mut root = tracer.start_root("pipeline", RootOptions::default());
    root.set_attribute(attr::SPAN_TYPE, RawJson::string("CHAIN"));
    root.set_attribute(attr::INPUTS, RawJson::from_value(&json!({ "doc": big })));
    let mut tool = tracer.start_child("search_tool", root.context(), None);
    tool.set_attribute(attr::SPAN_TYPE, RawJson::string("TOOL"));
    tool.record_exception("IOError", "disk", "...");
    tool.end(None);
    root.end(None);
    let mut other = tracer.start_root("second", RootOptions::default());
    other.set_status(StatusCode::Error, "bad");
    other.end(None);
    assert!(tracer.flush(FLUSH));

    let read = read_store(dir.path()).unwrap();
    assert_eq!(read.traces.len(), 2);
    let list = render_list(&read.traces);
    for needle in ["pipeline", "second", "OK", "ERROR", "2 trace(s)"] {
        assert!(list.contains(needle), "{needle} missing from\n{list}");
    }
    assert!(list.contains(&read.traces[0].info.trace_id));

    let tree = render_tree(&read.traces[0]);
    for needle in [
        "pipeline [CHAIN]",
        "search_tool [TOOL]",
        "ERROR: IOError: disk",
        "event exception",
        "in : {\"doc\": \"www",
    ] {
        assert!(tree.contains(needle), "{needle} missing from\n{tree}");
    }
    // The 10k-character input is cut: no line comes near it.
    assert!(!tree.contains(&big[..200]));
    assert!(tree.lines().all(|l| l.chars().count() < 200), "\n{tree}");
    let input_line = tree.lines().find(|l| l.contains("in : ")).unwrap();
    assert!(input_line.ends_with('…'), "{input_line}");
}
