//! Properties over generated inputs (proptest; case counts kept small for `cargo test`):
//! span trees assemble right under any interleaving of starts and ends across threads, sampling
//! decisions depend on the trace id alone, and what the core writes is valid JSON within caps.

mod common;

use std::collections::HashMap;
use std::sync::mpsc;

use common::{memory_tracer, FLUSH};
use ferrotrace_core::model::keys::MAX_CHARS_IN_PREVIEW;
use ferrotrace_core::model::{
    write_trace_dict, Location, RawJson, SpanId, TraceDict, TraceId, TraceParent,
};
use ferrotrace_core::process::{preview, sampled, truncate_with_suffix, Redactor, Role};
use ferrotrace_core::tracer::{LiveSpan, RootOptions, SpanContext};
use ferrotrace_core::Tracer;
use proptest::prelude::*;

/// One tracer per property, reused across its cases (a tracer's start and stop cost more than
/// a case); each case starts from an empty memory destination.
fn shared(cell: &'static std::sync::OnceLock<Tracer>) -> Tracer {
    let t = cell.get_or_init(memory_tracer).clone();
    t.clear_memory();
    t
}

/// A tree of `n` spans: `parents[i] < i + 1` is span `i + 1`'s parent (span 0 is the root).
fn tree(max: usize) -> impl Strategy<Value = Vec<usize>> {
    (1..max).prop_flat_map(|n| (1..n).map(|i| (0..i).boxed()).collect::<Vec<_>>())
}

/// One step of a schedule: which span starts or ends next, and on which thread.
#[derive(Clone, Debug)]
enum Step {
    Start(usize),
    End(usize),
}

/// A schedule for a tree: every span starts after its parent started and ends after it
/// started; every child ends before the root (ending after the root is a counted drop by
/// design); otherwise any order, from `seed`.
fn schedule(parents: &[usize], seed: u64) -> Vec<Step> {
    let n = parents.len() + 1;
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut started, mut ended) = (vec![false; n], vec![false; n]);
    started[0] = true;
    let mut steps = vec![Step::Start(0)];
    loop {
        let mut can: Vec<Step> = Vec::new();
        for i in 1..n {
            if !started[i] && started[parents[i - 1]] {
                can.push(Step::Start(i));
            }
            if started[i] && !ended[i] {
                can.push(Step::End(i));
            }
        }
        if can.is_empty() {
            break;
        }
        let step = can.swap_remove(rng.usize(..can.len()));
        match step {
            Step::Start(i) => started[i] = true,
            Step::End(i) => ended[i] = true,
        }
        steps.push(step);
    }
    steps.push(Step::End(0));
    steps
}

/// A worker thread that runs the span operations it is sent.
enum Op {
    Start(usize, Option<SpanContext>, mpsc::Sender<(usize, LiveSpan)>),
    End(LiveSpan, mpsc::Sender<()>),
}

fn worker(tracer: Tracer) -> mpsc::Sender<Op> {
    let (tx, rx) = mpsc::channel::<Op>();
    std::thread::spawn(move || {
        for op in rx {
            match op {
                Op::Start(i, parent, back) => {
                    let span = match parent {
                        Some(p) => tracer.start_child(format!("s{i}"), &p, None),
                        None => tracer.start_root(format!("s{i}"), RootOptions::default()),
                    };
                    let _ = back.send((i, span));
                }
                Op::End(span, back) => {
                    span.end(None);
                    let _ = back.send(());
                }
            }
        }
    });
    tx
}

/// Checks one trace: every span present once, each under the parent the tree gives.
fn check_tree(trace: &ferrotrace_core::model::Trace, parents: &[usize]) {
    let n = parents.len() + 1;
    assert_eq!(trace.spans.len(), n);
    let by_name: HashMap<String, (SpanId, Option<SpanId>)> = trace
        .spans
        .iter()
        .map(|s| (s.name.to_string(), (s.span_id, s.parent_id)))
        .collect();
    assert_eq!(by_name.len(), n, "span names are unique");
    assert_eq!(by_name["s0"].1, None);
    for i in 1..n {
        let want = by_name[&format!("s{}", parents[i - 1])].0;
        assert_eq!(by_name[&format!("s{i}")].1, Some(want), "parent of s{i}");
    }
    assert!(trace
        .spans
        .iter()
        .all(|s| s.trace_id == trace.info.trace_id));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Starts and ends in any order the tree allows, each on any of three threads.
    #[test]
    fn spans_join_their_trace_under_their_parent_whatever_thread_and_order(
        parents in tree(24),
        seed in any::<u64>(),
        threads in proptest::collection::vec(0usize..3, 48),
    ) {
        static T: std::sync::OnceLock<Tracer> = std::sync::OnceLock::new();
        let tracer = shared(&T);
        let workers: Vec<_> = (0..3).map(|_| worker(tracer.clone())).collect();
        let mut live: HashMap<usize, LiveSpan> = HashMap::new();
        let mut ctx: HashMap<usize, SpanContext> = HashMap::new();
        for (k, step) in schedule(&parents, seed).into_iter().enumerate() {
            let w = &workers[threads[k % threads.len()]];
            match step {
                Step::Start(i) => {
                    let parent = (i > 0).then(|| ctx[&parents[i - 1]].clone());
                    let (tx, rx) = mpsc::channel();
                    w.send(Op::Start(i, parent, tx)).unwrap();
                    let (i, span) = rx.recv().unwrap();
                    ctx.insert(i, span.context().clone());
                    live.insert(i, span);
                }
                Step::End(i) => {
                    let (tx, rx) = mpsc::channel();
                    w.send(Op::End(live.remove(&i).unwrap(), tx)).unwrap();
                    rx.recv().unwrap();
                }
            }
        }
        drop(workers);
        prop_assert!(tracer.flush(FLUSH));
        let traces = tracer.memory_traces();
        prop_assert_eq!(traces.len(), 1);
        check_tree(&traces[0], &parents);
        prop_assert_eq!(tracer.stats().traces_dropped, 0);
        prop_assert_eq!(tracer.stats().spans_dropped, 0);
    }

    /// Several trees built at once, truly concurrently: each thread builds its own subtree of
    /// each trace (children started from contexts shared across threads).
    #[test]
    fn concurrent_trees_each_assemble_whole(
        shapes in proptest::collection::vec(tree(12), 1..4),
    ) {
        static T: std::sync::OnceLock<Tracer> = std::sync::OnceLock::new();
        let tracer = shared(&T);
        let mut roots = Vec::new();
        for (t, parents) in shapes.iter().enumerate() {
            let root = tracer.start_root(format!("s0-t{t}"), RootOptions::default());
            roots.push((root, parents.clone()));
        }
        std::thread::scope(|scope| {
            for (t, (root, parents)) in roots.iter().enumerate() {
                let ctx0 = root.context().clone();
                let tracer = &tracer;
                let parents = parents.clone();
                // Depth-first from each child of the root, one thread per child of the root.
                for first in (1..=parents.len()).filter(|&i| parents[i - 1] == 0) {
                    let ctx0 = ctx0.clone();
                    let parents = parents.clone();
                    scope.spawn(move || build(tracer, &parents, first, &ctx0, t));
                }
            }
        });
        for (root, _) in roots {
            root.end(None);
        }
        prop_assert!(tracer.flush(FLUSH));
        let traces = tracer.memory_traces();
        prop_assert_eq!(traces.len(), shapes.len());
        for trace in &traces {
            let t: usize = trace.spans.iter().find(|s| s.parent_id.is_none()).unwrap()
                .name.split("-t").nth(1).unwrap().parse().unwrap();
            let mut renamed = trace.clone();
            let spans: Vec<_> = trace.spans.iter().map(|s| {
                let mut s = (**s).clone();
                s.name = s.name.split("-t").next().unwrap().to_owned().into();
                std::sync::Arc::new(s)
            }).collect();
            renamed.spans = spans.into();
            check_tree(&renamed, &shapes[t]);
        }
    }

    /// The decision depends on the trace id and the ratio alone, and a trace kept at one ratio
    /// is kept at every higher one (so services agree however their ratios are set).
    #[test]
    fn sampling_is_decided_by_the_trace_id(id in any::<u128>(), r1 in 0.0f64..=1.0, r2 in 0.0f64..=1.0) {
        let id = TraceId(id);
        prop_assert_eq!(sampled(id, r1), sampled(id, r1));
        let (lo, hi) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
        prop_assert!(!sampled(id, lo) || sampled(id, hi));
        prop_assert!(sampled(id, 1.0));
        prop_assert!(!sampled(id, 0.0));
    }

    /// Through the tracer: a remote parent's trace id gives the same decision on every tracer.
    #[test]
    fn tracers_with_the_same_ratio_agree(ids in proptest::collection::vec(1u128.., 1..20), ratio in 0.0f64..=1.0) {
        let a = memory_tracer();
        let b = memory_tracer();
        for id in &ids {
            let remote = TraceParent { trace_id: TraceId(*id), parent_id: SpanId(7), sampled: true };
            let opts = || RootOptions { remote_parent: Some(remote), sampling_ratio: Some(ratio), ..Default::default() };
            let (x, y) = (a.start_root("r", opts()), b.start_root("r", opts()));
            prop_assert_eq!(x.context().sampled(), y.context().sampled());
            prop_assert_eq!(x.context().sampled(), sampled(TraceId(*id), ratio));
            x.end(None);
            y.end(None);
        }
    }

    /// Previews stay within MLflow's cap, whatever the text.
    #[test]
    fn previews_stay_within_their_cap(text in ".{0,1500}", messages in proptest::collection::vec(".{0,1200}", 0..3)) {
        for role in [Role::User, Role::Assistant] {
            prop_assert!(preview(&text, role).chars().count() <= MAX_CHARS_IN_PREVIEW);
            let chat = serde_json::json!({"messages": messages.iter()
                .map(|m| serde_json::json!({"role": "user", "content": m})).collect::<Vec<_>>()});
            let p = preview(&chat.to_string(), role);
            prop_assert!(p.chars().count() <= MAX_CHARS_IN_PREVIEW);
        }
        let cut = truncate_with_suffix(&text, 10);
        prop_assert!(cut.chars().count() <= 10);
    }

    /// Redacted JSON is still JSON, whatever values and keys it holds.
    #[test]
    fn redaction_keeps_json_valid(
        pairs in proptest::collection::vec(("[a-z_]{0,12}", ".{0,40}"), 0..8),
        nested in proptest::bool::ANY,
    ) {
        static R: std::sync::OnceLock<Redactor> = std::sync::OnceLock::new();
        let redactor = R.get_or_init(|| Redactor::new(&Default::default()).unwrap());
        let mut obj = serde_json::Map::new();
        for (k, v) in &pairs {
            obj.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        obj.insert("api_key".into(), "sk-proj-Nd42abcdefghijklmnopqrstuv".into());
        let mut v = serde_json::Value::Object(obj);
        if nested {
            v = serde_json::json!({"inner": v.to_string(), "list": [v]});
        }
        let text = RawJson::from_value(&v);
        let redacted = redactor.redact_json(text.as_str());
        prop_assert!(redacted.is_some(), "the api key is redacted");
        let (out, _) = redacted.unwrap();
        prop_assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "{}", out);
        prop_assert!(!out.contains("Nd42abcdefghijklmnopqrstuv"), "{}", out);
    }

    /// Any span names and attribute texts write a record that reads back as the same trace.
    #[test]
    fn any_names_and_values_write_valid_records(
        names in proptest::collection::vec(".{0,30}", 1..5),
        values in proptest::collection::vec(".{0,60}", 1..5),
    ) {
        static T: std::sync::OnceLock<Tracer> = std::sync::OnceLock::new();
        let tracer = shared(&T);
        let mut root = tracer.start_root(names[0].clone(), RootOptions::default());
        for (i, v) in values.iter().enumerate() {
            root.set_attribute(format!("k{i}"), RawJson::string(v));
        }
        for n in &names[1..] {
            tracer.start_child(n.clone(), root.context(), None).end(None);
        }
        root.end(None);
        prop_assert!(tracer.flush(FLUSH));
        let trace = tracer.memory_traces().pop().unwrap();
        let mut out = Vec::new();
        write_trace_dict(&mut out, &trace, Location::of(&trace));
        let dict: TraceDict = serde_json::from_slice(&out).unwrap();
        let mut got: Vec<&str> = dict.data.spans.iter().map(|s| s.name.as_str()).collect();
        let mut want: Vec<&str> = names.iter().map(String::as_str).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
}

/// Builds span `i` of trace `t` and its subtree depth-first under `parent`.
fn build(tracer: &Tracer, parents: &[usize], i: usize, parent: &SpanContext, t: usize) {
    let span = tracer.start_child(format!("s{i}-t{t}"), parent, None);
    for child in (1..=parents.len()).filter(|&c| parents[c - 1] == i) {
        build(tracer, parents, child, span.context(), t);
    }
    span.end(None);
}
