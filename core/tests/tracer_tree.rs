//! Tree assembly: the spans a binding starts with explicit parents come out as one well-formed
//! tree per trace, and traces built at the same time never share spans.

mod common;

use std::collections::{HashMap, HashSet};

use common::{assert_well_formed, memory_tracer, span, FLUSH};
use ferrotrace_core::model::{RawJson, SpanId, Trace};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::LiveSpan;

#[test]
fn nested_children_and_siblings_get_the_right_parents() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let a = tracer.start_child("a", root.context(), None);
    let a1 = tracer.start_child("a1", a.context(), None);
    let a2 = tracer.start_child("a2", a1.context(), None);
    let b = tracer.start_child("b", root.context(), None);
    // End out of start order: parentage comes from the contexts, not from the end order.
    b.end(None);
    a2.end(None);
    a1.end(None);
    a.end(None);
    let root_id = root.context().span_id();
    root.end(None);
    assert!(tracer.flush(FLUSH));

    let traces = tracer.memory_traces();
    assert_eq!(traces.len(), 1);
    let t = &traces[0];
    assert_well_formed(t);
    assert_eq!(t.spans.len(), 5);
    assert_eq!(t.root().unwrap().span_id, root_id);
    assert_eq!(t.root().unwrap().name, "root");
    let id = |n: &str| span(t, n).span_id;
    assert_eq!(span(t, "root").parent_id, None);
    assert_eq!(span(t, "a").parent_id, Some(id("root")));
    assert_eq!(span(t, "b").parent_id, Some(id("root")));
    assert_eq!(span(t, "a1").parent_id, Some(id("a")));
    assert_eq!(span(t, "a2").parent_id, Some(id("a1")));
    // Exported in start order, as MLflow lists spans: the root first.
    assert_eq!(t.spans.first().unwrap().name, "root");
    assert_eq!(tracer.last_trace_id(), Some(t.info.trace_id));
}

#[test]
fn a_trace_with_many_spans_keeps_every_parent_link() {
    let tracer = memory_tracer();
    let mut rng = fastrand::Rng::with_seed(7);
    let root = tracer.start_root("root", RootOptions::default());
    // Every span picks a random earlier span as parent; all stay open until the end so any of
    // them can be a parent. `want` is the parent we asked for, by name.
    let mut open: Vec<LiveSpan> = Vec::new();
    let mut want: HashMap<String, String> = HashMap::new();
    for i in 0..3000 {
        let name = format!("s{i}");
        let k = rng.usize(..=open.len());
        let (ctx, parent_name) = if k == open.len() {
            (root.context(), "root".to_owned())
        } else {
            (open[k].context(), open[k].record().name.to_string())
        };
        let mut s = tracer.start_child(name.clone(), ctx, None);
        s.set_attribute("i", RawJson::int(i));
        want.insert(name, parent_name);
        open.push(s);
    }
    while let Some(s) = open.pop() {
        s.end(None);
    }
    root.end(None);
    assert!(tracer.flush(FLUSH));

    let traces = tracer.memory_traces();
    assert_eq!(traces.len(), 1);
    let t = &traces[0];
    assert_well_formed(t);
    assert_eq!(t.spans.len(), 3001);
    let by_id: HashMap<SpanId, &str> = t
        .spans
        .iter()
        .map(|s| (s.span_id, s.name.as_str()))
        .collect();
    for s in t.spans.iter().filter(|s| s.name != "root") {
        let parent = by_id[&s.parent_id.expect("child without parent")];
        assert_eq!(parent, want[s.name.as_str()], "parent of {}", s.name);
    }
    let st = tracer.stats();
    assert_eq!((st.spans_started, st.spans_ended), (3001, 3001));
    assert_eq!(st.spans_exported, 3001);
}

/// Builds `n` traces on this thread, two at a time with their spans interleaved, each span named
/// after its thread and trace so a span that strays into another trace is recognised.
fn interleaved_traces(tracer: &ferrotrace_core::Tracer, thread: usize, n: usize) {
    for pair in 0..n / 2 {
        let tags = [
            format!("t{thread}-p{pair}-x"),
            format!("t{thread}-p{pair}-y"),
        ];
        let roots: Vec<LiveSpan> = tags
            .iter()
            .map(|t| tracer.start_root(format!("{t}/root"), RootOptions::default()))
            .collect();
        let mut children = Vec::new();
        for step in 0..4 {
            for (r, tag) in roots.iter().zip(&tags) {
                let c = tracer.start_child(format!("{tag}/c{step}"), r.context(), None);
                let g = tracer.start_child(format!("{tag}/c{step}/g"), c.context(), None);
                children.push(g);
                children.push(c);
            }
        }
        // Grandchildren were pushed before their parents, so this ends children first.
        for c in children {
            c.end(None);
        }
        for r in roots {
            r.end(None);
        }
    }
}

#[test]
fn interleaved_traces_on_two_threads_never_mix() {
    let tracer = memory_tracer();
    const PER_THREAD: usize = 400;
    std::thread::scope(|s| {
        for thread in 0..2 {
            let tracer = &tracer;
            s.spawn(move || interleaved_traces(tracer, thread, PER_THREAD));
        }
    });
    assert!(tracer.flush(FLUSH));

    let traces: Vec<Trace> = tracer.memory_traces();
    assert_eq!(traces.len(), 2 * PER_THREAD);
    let mut tags = HashSet::new();
    let mut trace_ids = HashSet::new();
    for t in &traces {
        assert_well_formed(t);
        assert_eq!(t.spans.len(), 9, "root + 4 children + 4 grandchildren");
        let root = t.root().unwrap();
        let tag = root.name.strip_suffix("/root").unwrap();
        for s in &t.spans {
            assert!(
                s.name.starts_with(&format!("{tag}/")),
                "span {} strayed into trace {tag}",
                s.name
            );
            // A grandchild's parent is the child of the same step.
            if let Some(child) = s.name.strip_suffix("/g") {
                assert_eq!(span(t, child).span_id, s.parent_id.unwrap());
            } else if s.span_id != root.span_id {
                assert_eq!(s.parent_id, Some(root.span_id));
            }
        }
        assert!(tags.insert(tag.to_owned()), "trace {tag} exported twice");
        assert!(trace_ids.insert(t.info.trace_id));
    }
    let st = tracer.stats();
    assert_eq!(st.traces_completed, 2 * PER_THREAD as u64);
    assert_eq!(st.traces_exported, 2 * PER_THREAD as u64);
    assert!(st.dropped_traces.is_empty(), "{:?}", st.dropped_traces);
}

#[test]
fn a_span_ending_after_its_root_is_counted_not_exported() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let late = tracer.start_child("late", root.context(), None);
    let on_time = tracer.start_child("on_time", root.context(), None);
    on_time.end(None);
    root.end(None);
    late.end(None);
    assert!(tracer.flush(FLUSH));
    let traces = tracer.memory_traces();
    assert_eq!(traces.len(), 1);
    let names: Vec<&str> = traces[0].spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["root", "on_time"]);
    let st = tracer.stats();
    assert_eq!(st.dropped_spans.get("span_after_root_ended"), Some(&1));
    // The trace itself was delivered: only the span is lost.
    assert_eq!(st.dropped_traces.get("span_after_root_ended"), Some(&0));
}

#[test]
fn a_span_that_never_ends_does_not_make_its_child_the_root() {
    // A binding may lose a span (an abandoned generator): its children end, it never does. The
    // child's parent is then missing from the trace, but the trace's root is still the root.
    let tracer = memory_tracer();
    let mut root = tracer.start_root("root", RootOptions::default());
    root.set_attribute(
        ferrotrace_core::model::keys::attr::INPUTS,
        RawJson::string("root input"),
    );
    let lost = tracer.start_child("lost", root.context(), None);
    let mut orphan = tracer.start_child("orphan", lost.context(), None);
    orphan.set_attribute(
        ferrotrace_core::model::keys::attr::INPUTS,
        RawJson::string("orphan input"),
    );
    orphan.end(None);
    root.end(None);
    drop(lost); // dropped without end(): never reaches the trace
    assert!(tracer.flush(FLUSH));

    let t = &tracer.memory_traces()[0];
    assert_eq!(t.spans.len(), 2);
    assert_eq!(t.root().unwrap().name, "root");
    assert_eq!(t.info.tags["mlflow.traceName"], "root");
    assert_eq!(t.info.request_preview.as_deref(), Some("\"root input\""));
    let dict = ferrotrace_core::model::TraceDict::from(t);
    assert_eq!(dict.root().unwrap().name, "root");
}
