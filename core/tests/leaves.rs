//! Leaves recorded a batch at a time (`Tracer::record_leaves`) are the traces, counts and
//! decisions that starting and ending each as a root span would have given.

mod common;

use std::time::Duration;

use common::{memory_config, test_tracer, Behaviour, FLUSH};
use ferrotrace_core::config::{Config, ProcessSettings, TailSampling};
use ferrotrace_core::model::{RawJson, SpanName, Trace};
use ferrotrace_core::tracer::{LeafSpec, RootOptions};
use ferrotrace_core::{SpanContext, Tracer};

/// One leaf's data: name, type, inputs, outputs, start and end.
struct Leaf(&'static str, RawJson, &'static str, &'static str, u64, u64);

/// Records `leaves` in one batch, all roots.
fn record(tracer: &Tracer, leaves: &[Leaf]) -> std::sync::Arc<ferrotrace_core::tracer::LeafBatch> {
    record_under(tracer, leaves, &vec![None; leaves.len()])
}

/// Records `leaves` in one batch, leaf `i` under `parents[i]` (`None`: a root).
fn record_under(
    tracer: &Tracer,
    leaves: &[Leaf],
    parents: &[Option<&SpanContext>],
) -> std::sync::Arc<ferrotrace_core::tracer::LeafBatch> {
    let mut text = String::new();
    let names: Vec<SpanName> = leaves.iter().map(|l| SpanName::from(l.0)).collect();
    let mut ranges = Vec::new();
    for l in leaves {
        let i = text.len();
        text.push_str(l.2);
        let o = text.len();
        text.push_str(l.3);
        ranges.push((i..o, o..text.len()));
    }
    let specs = leaves.iter().zip(&names).zip(ranges).zip(parents).map(
        |(((l, name), (inputs, outputs)), parent)| LeafSpec {
            parent: *parent,
            name,
            span_type: &l.1,
            start_ns: l.4,
            end_ns: l.5,
            inputs,
            outputs,
        },
    );
    tracer.record_leaves(text, specs).expect("valid ranges")
}

/// The same leaf started and ended the usual way: as a root span.
fn as_root(tracer: &Tracer, l: &Leaf) {
    as_span(tracer, l, None);
}

/// The same leaf started and ended the usual way, under `parent` (`None`: a root).
fn as_span(tracer: &Tracer, l: &Leaf, parent: Option<&SpanContext>) {
    let mut span = match parent {
        Some(p) => tracer.start_child(l.0, p, Some(l.4)),
        None => tracer.start_root(
            l.0,
            RootOptions {
                start_ns: Some(l.4),
                ..RootOptions::default()
            },
        ),
    };
    span.set_attribute("mlflow.spanType", l.1.clone());
    span.set_attribute("mlflow.spanInputs", RawJson::copied(l.2));
    span.set_attribute("mlflow.spanOutputs", RawJson::copied(l.3));
    span.end(Some(l.5));
}

/// A trace with its ids zeroed, to compare traces of different ids.
fn without_ids(t: &Trace) -> Trace {
    let mut t = t.clone();
    t.info.trace_id = Default::default();
    for s in t.spans.iter_mut() {
        let s = std::sync::Arc::make_mut(s);
        s.trace_id = Default::default();
        s.span_id = Default::default();
        s.parent_id = s.parent_id.map(|_| Default::default());
    }
    t
}

fn leaves() -> Vec<Leaf> {
    let long = r#"{"query":"a value long enough to be stored out of line","k":[1,2,3]}"#;
    vec![
        Leaf(
            "add",
            RawJson::from_static("\"UNKNOWN\""),
            r#"{"a":1,"b":2}"#,
            "3",
            5_000_000_000,
            5_002_500_000,
        ),
        Leaf(
            "llm",
            RawJson::string("LLM"),
            long,
            r#""ok""#,
            6_000_000_000,
            6_000_000_001,
        ),
        // An end before the start reads as the start, as `end` makes it.
        Leaf(
            "odd",
            RawJson::string("TOOL"),
            "null",
            "null",
            7_000_000_000,
            6_999_999_999,
        ),
    ]
}

#[test]
fn a_batch_gives_the_traces_and_counts_of_roots_started_and_ended_one_by_one() {
    let (batched, roots) = (Tracer::new(memory_config()), Tracer::new(memory_config()));
    let batch = record(&batched, &leaves());
    for l in &leaves() {
        as_root(&roots, l);
    }
    assert!(batched.flush(FLUSH) && roots.flush(FLUSH));
    let (got, want) = (batched.memory_traces(), roots.memory_traces());
    assert_eq!(got.len(), 3);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(without_ids(g), without_ids(w), "leaf {i}");
        assert_eq!(g.info.trace_id, batch.ids(i).trace_id);
        assert_eq!(g.spans[0].span_id, batch.ids(i).span_id);
        // What the binding reads back for a leaf is what was exported.
        assert_eq!(batch.record(i), *g.spans[0]);
    }
    let (b, r) = (batched.stats(), roots.stats());
    assert_eq!(
        (
            b.traces_started,
            b.traces_completed,
            b.traces_exported,
            b.spans_started,
            b.spans_ended
        ),
        (
            r.traces_started,
            r.traces_completed,
            r.traces_exported,
            r.spans_started,
            r.spans_ended
        ),
    );
    assert_eq!(b.traces_completed, 3);
    assert_eq!(batched.last_trace_id(), Some(batch.ids(2).trace_id));
}

#[test]
fn a_range_outside_the_text_records_nothing() {
    let tracer = Tracer::new(memory_config());
    let (name, ty) = (SpanName::from("x"), RawJson::from_static("\"UNKNOWN\""));
    let spec = |inputs, outputs| LeafSpec {
        parent: None,
        name: &name,
        span_type: &ty,
        start_ns: 1,
        end_ns: 2,
        inputs,
        outputs,
    };
    let text = "{}é".to_owned();
    assert!(tracer
        .record_leaves(text.clone(), [spec(0..2, 2..4), spec(0..2, 2..9)])
        .is_none());
    // Not on a character boundary (inside the two bytes of é).
    assert!(tracer.record_leaves(text, [spec(0..2, 2..3)]).is_none());
    let st = tracer.stats();
    assert_eq!(
        (st.traces_started, st.spans_started, st.traces_completed),
        (0, 0, 0)
    );
}

#[test]
fn sampling_and_the_tail_rule_decide_leaves_as_they_decide_roots() {
    let never = Tracer::new(Config {
        sampling_ratio: 0.0,
        ..memory_config()
    });
    let batch = record(&never, &leaves());
    assert!(never.flush(FLUSH));
    assert!(never.memory_traces().is_empty());
    let st = never.stats();
    assert_eq!(
        (
            st.traces_started,
            st.traces_sampled_out,
            st.traces_completed
        ),
        (3, 3, 0)
    );
    assert_eq!(never.last_trace_id(), None);
    assert!(!batch.ids(0).sampled());
    // An unsampled span reads without the log level only the export would have added.
    assert!(batch
        .record(0)
        .attributes
        .get("mlflow.spanLogLevel")
        .is_none());

    // Slower than 2 ms: only the first leaf (2.5 ms) is kept.
    let tail = Tracer::new(Config {
        sampling_ratio: 0.0,
        process: ProcessSettings {
            tail: TailSampling {
                keep_errors: true,
                keep_slower_than: Some(Duration::from_millis(2)),
            },
            ..ProcessSettings::default()
        },
        ..memory_config()
    });
    let batch = record(&tail, &leaves());
    assert!(tail.flush(FLUSH));
    let traces = tail.memory_traces();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].info.trace_id, batch.ids(0).trace_id);
    let st = tail.stats();
    assert_eq!(
        (
            st.traces_started,
            st.traces_sampled_out,
            st.traces_completed
        ),
        (3, 2, 1)
    );
    assert_eq!(tail.last_trace_id(), Some(batch.ids(0).trace_id));
    let ctx = batch.ids(1).context(&tail);
    assert!(
        ctx.sampled() && !ctx.traceparent().sampled,
        "tentative, as a root's would be"
    );
}

#[test]
fn a_leafs_context_is_of_an_ended_trace() {
    let tracer = Tracer::new(memory_config());
    let batch = record(&tracer, &leaves()[..1]);
    let ctx = batch.ids(0).context(&tracer);
    assert_eq!(
        (ctx.trace_id(), ctx.span_id()),
        (batch.ids(0).trace_id, batch.ids(0).span_id)
    );
    assert!(!ctx.update_trace(|d| d.request_preview = Some("late".into())));
    tracer.start_child("late", &ctx, None).end(None);
    assert!(tracer.flush(FLUSH));
    let st = tracer.stats();
    assert_eq!(st.dropped_spans.get("span_after_root_ended"), Some(&1));
    assert_eq!(tracer.memory_traces()[0].spans.len(), 1);
}

#[test]
fn a_full_queue_drops_the_batchs_overflow_and_counts_it() {
    ferrotrace_core::diag::set_quiet(true);
    let (gate, gate_rx) = crossbeam_channel::bounded::<()>(0);
    let config = Config {
        max_queue_traces: 2,
        max_batch_traces: 1,
        ..memory_config()
    };
    let (tracer, rec) = test_tracer(config, Behaviour::Gated(gate_rx));
    let many: Vec<Leaf> = (0..40).map(|_| leaves().remove(0)).collect();
    record(&tracer, &many);
    let st = common::stats_once_pending_at_most(&tracer, 3);
    let dropped = st.dropped_traces["queue_full"];
    // The queue holds 2, the gated exporter at most 1 more.
    assert!((37..=38).contains(&dropped), "dropped {dropped}");
    assert_eq!(st.dropped_spans["queue_full"], dropped);
    drop(gate);
    assert!(tracer.flush(FLUSH));
    assert_eq!(rec.count() as u64 + dropped, 40);
    assert_eq!(tracer.stats().traces_completed, 40);
}

#[test]
fn child_leaves_join_their_parents_trace_as_children_ended_one_by_one_would() {
    let (batched, direct) = (Tracer::new(memory_config()), Tracer::new(memory_config()));
    let children = leaves();
    for (tracer, in_batch) in [(&batched, true), (&direct, false)] {
        let opts = RootOptions {
            start_ns: Some(4_000_000_000),
            ..RootOptions::default()
        };
        let root = tracer.start_root("root", opts);
        let mid = tracer.start_child("mid", root.context(), Some(4_500_000_000));
        if in_batch {
            // Children of both open spans, in one batch with a root leaf of its own trace.
            let parents = [Some(root.context()), Some(mid.context()), None];
            let batch = record_under(tracer, &children, &parents);
            assert!(batch.is_child(0) && batch.is_child(1) && !batch.is_child(2));
            assert_eq!(
                batch.context(1, tracer).trace_id(),
                root.context().trace_id()
            );
        } else {
            let parents = [Some(root.context()), Some(mid.context()), None];
            for (l, parent) in children.iter().zip(parents) {
                as_span(tracer, l, parent);
            }
        }
        mid.end(Some(8_000_000_000));
        root.end(Some(9_000_000_000));
        assert!(tracer.flush(FLUSH));
    }
    let sorted = |t: &Tracer| {
        let mut traces: Vec<Trace> = t.memory_traces().iter().map(without_ids).collect();
        traces.sort_by_key(|tr| tr.spans.len());
        traces
    };
    let (got, want) = (sorted(&batched), sorted(&direct));
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].spans.len(), 4);
    // Parent ids were zeroed with the span ids: the tree is compared by names below.
    assert_eq!(got, want);
    let t = &batched
        .memory_traces()
        .into_iter()
        .find(|t| t.spans.len() == 4)
        .unwrap();
    let id_of = |name: &str| t.spans.iter().find(|s| s.name == name).unwrap().span_id;
    let parent_of = |name: &str| t.spans.iter().find(|s| s.name == name).unwrap().parent_id;
    assert_eq!(parent_of("add"), Some(id_of("root")));
    assert_eq!(parent_of("llm"), Some(id_of("mid")));
    let (b, d) = (batched.stats(), direct.stats());
    assert_eq!(
        (b.spans_started, b.spans_ended, b.traces_completed),
        (d.spans_started, d.spans_ended, d.traces_completed)
    );
}

#[test]
fn a_child_leaf_of_a_sealed_trace_is_counted_as_ended_after_its_root() {
    let tracer = Tracer::new(memory_config());
    let root = tracer.start_root("root", RootOptions::default());
    let ctx = root.context().clone();
    root.end(None);
    let (name, ty) = (SpanName::from("late"), RawJson::from_static("\"UNKNOWN\""));
    let spec = LeafSpec {
        parent: Some(&ctx),
        name: &name,
        span_type: &ty,
        start_ns: 1,
        end_ns: 2,
        inputs: 0..2,
        outputs: 2..4,
    };
    tracer.record_leaves("{}{}".to_owned(), [spec]).unwrap();
    assert!(tracer.flush(FLUSH));
    assert_eq!(tracer.memory_traces()[0].spans.len(), 1);
    assert_eq!(
        tracer.stats().dropped_spans.get("span_after_root_ended"),
        Some(&1)
    );
}
