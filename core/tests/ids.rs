//! Ids as the tracer mints them: unique, in MLflow's `tr-<32 hex>` form, and carried across
//! services through W3C `traceparent`.

mod common;

use std::collections::HashSet;

use common::{assert_well_formed, memory_tracer, span, FLUSH};
use ferrotrace_core::model::{SpanId, TraceDict, TraceId, TraceParent};
use ferrotrace_core::tracer::RootOptions;

#[test]
fn ids_are_unique_over_many_traces_and_threads() {
    let tracer = memory_tracer();
    const THREADS: usize = 4;
    const TRACES: usize = 1000;
    const CHILDREN: usize = 4;
    // Each thread has its own id generator; ids must not collide across them either.
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let tracer = &tracer;
            s.spawn(move || {
                for _ in 0..TRACES {
                    let root = tracer.start_root("r", RootOptions::default());
                    for _ in 0..CHILDREN {
                        tracer.start_child("c", root.context(), None).end(None);
                    }
                    root.end(None);
                }
            });
        }
    });
    assert!(tracer.flush(FLUSH));
    let traces = tracer.memory_traces();
    assert_eq!(traces.len(), THREADS * TRACES);
    let trace_ids: HashSet<TraceId> = traces.iter().map(|t| t.info.trace_id).collect();
    let span_ids: HashSet<SpanId> = traces
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.span_id))
        .collect();
    assert_eq!(trace_ids.len(), THREADS * TRACES);
    assert_eq!(span_ids.len(), THREADS * TRACES * (1 + CHILDREN));
    assert!(!trace_ids.contains(&TraceId(0)));
    assert!(!span_ids.contains(&SpanId(0)));
}

#[test]
fn trace_ids_have_the_mlflow_form() {
    let tracer = memory_tracer();
    for _ in 0..200 {
        tracer.start_root("r", RootOptions::default()).end(None);
    }
    assert!(tracer.flush(FLUSH));
    for t in tracer.memory_traces() {
        let s = t.info.trace_id.to_mlflow();
        let hex = s.strip_prefix("tr-").expect("tr- prefix");
        assert_eq!(hex.len(), 32, "{s}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{s} is not lowercase hex"
        );
        assert_eq!(TraceId::parse(&s), Some(t.info.trace_id));
        // The stored form names the trace the same way.
        assert_eq!(TraceDict::from(&t).info.trace_id, s);
    }
}

#[test]
fn traceparent_continues_a_remote_trace() {
    // Service A starts a trace and calls service B with a traceparent header.
    let upstream = memory_tracer();
    let a_root = upstream.start_root("a", RootOptions::default());
    let a_call = upstream.start_child("call_b", a_root.context(), None);
    let header = a_call.context().traceparent().to_string();
    assert!(
        header.starts_with("00-") && header.ends_with("-01"),
        "{header}"
    );

    // Service B (another tracer) continues it.
    let downstream = memory_tracer();
    let remote = TraceParent::parse(&header).expect("our own header parses");
    let b_root = downstream.start_root(
        "b",
        RootOptions {
            remote_parent: Some(remote),
            ..RootOptions::default()
        },
    );
    assert_eq!(b_root.context().trace_id(), a_root.context().trace_id());
    assert!(b_root.context().sampled());
    let b_child = downstream.start_child("b_work", b_root.context(), None);
    // B's own outgoing header names B's span as the parent, same trace.
    let onward = b_child.context().traceparent();
    assert_eq!(onward.trace_id, a_root.context().trace_id());
    assert_eq!(onward.parent_id, b_child.context().span_id());
    b_child.end(None);
    b_root.end(None);
    a_call.end(None);
    a_root.end(None);
    assert!(downstream.flush(FLUSH));
    assert!(upstream.flush(FLUSH));

    let a = &upstream.memory_traces()[0];
    let b = &downstream.memory_traces()[0];
    assert_well_formed(b);
    assert_eq!(b.info.trace_id, a.info.trace_id);
    assert_eq!(span(a, "call_b").span_id, remote.parent_id);
    let root = b.root().expect("a root");
    assert_eq!(root.name, "b");
    // The root's parent is the remote span, which is not part of B's trace.
    assert_eq!(root.parent_id, Some(remote.parent_id));
    assert_eq!(span(b, "b_work").parent_id, Some(root.span_id));
    // Stored, the remote parent survives as base64 of its bytes.
    let dict = TraceDict::from(b);
    let stored_root = dict.root().unwrap();
    assert_eq!(
        stored_root.parent_span_id.as_deref(),
        Some(remote.parent_id.to_base64().as_str())
    );
    assert_eq!(dict.info.trace_id, remote.trace_id.to_mlflow());
}

#[test]
fn a_traceparent_continued_in_the_same_process_joins_the_open_trace() {
    // A client span calls a handler of this same process (another thread) with its header.
    let tracer = memory_tracer();
    let root = tracer.start_root("client-root", RootOptions::default());
    let header = root.context().traceparent().to_string();
    let handler = std::thread::scope(|s| {
        s.spawn(|| {
            let remote = TraceParent::parse(&header).unwrap();
            let h = tracer.start_root(
                "server-handler",
                RootOptions {
                    remote_parent: Some(remote),
                    ..RootOptions::default()
                },
            );
            assert!(!h.is_root(), "joined the open trace as a child");
            let inner = tracer.start_child("server-inner", h.context(), None);
            inner.end(None);
            h.end(None).span_id
        })
        .join()
        .unwrap()
    });
    root.end(None);
    assert!(tracer.flush(FLUSH));
    let traces = tracer.memory_traces();
    assert_eq!(traces.len(), 1, "one trace, not one piece per side");
    let t = &traces[0];
    assert_well_formed(t);
    assert_eq!(t.spans.len(), 3);
    assert_eq!(t.root().unwrap().name, "client-root");
    let h = span(t, "server-handler");
    assert_eq!(h.span_id, handler);
    assert_eq!(h.parent_id, Some(t.root().unwrap().span_id));
    assert_eq!(span(t, "server-inner").parent_id, Some(handler));
    assert_eq!(tracer.stats().traces_started, 1);

    // Once the caller's trace has ended, a continued span is this service's own piece.
    let root = tracer.start_root("client-root", RootOptions::default());
    let remote = root.context().traceparent();
    root.end(None);
    let late = tracer.start_root(
        "late-handler",
        RootOptions {
            remote_parent: Some(remote),
            ..RootOptions::default()
        },
    );
    assert!(late.is_root());
    late.end(None);
    assert!(tracer.flush(FLUSH));
    assert_eq!(tracer.memory_traces().len(), 3);
}

#[test]
fn an_unsampled_remote_parent_drops_the_trace() {
    let tracer = memory_tracer();
    let remote =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
    assert!(!remote.sampled);
    let root = tracer.start_root(
        "b",
        RootOptions {
            remote_parent: Some(remote),
            ..RootOptions::default()
        },
    );
    let child = tracer.start_child("c", root.context(), None);
    // The decision travels downstream: the child's header says "not sampled" too.
    assert!(!child.context().sampled());
    let onward = child.context().traceparent().to_string();
    assert!(onward.ends_with("-00"), "{onward}");
    assert!(onward.contains("4bf92f3577b34da6a3ce929d0e0e4736"));
    child.end(None);
    root.end(None);
    assert!(tracer.flush(FLUSH));

    assert!(tracer.memory_traces().is_empty());
    let st = tracer.stats();
    assert_eq!(st.traces_started, 1);
    assert_eq!(st.traces_sampled_out, 1);
    assert_eq!(st.traces_exported, 0);
    // Not sampled is a decision, not a loss.
    assert_eq!(st.traces_dropped, 0);
    assert_eq!(st.spans_ended, 2);
}
