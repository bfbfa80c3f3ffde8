//! Trace sampling: decided once at the root from the trace id, so it is deterministic across
//! tracers (and services) and a sampled-out trace is a decision, not a loss.

mod common;

use common::{memory_config, FLUSH};
use ferrotrace_core::config::Config;
use ferrotrace_core::model::{SpanId, TraceId, TraceParent};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn tracer_at(ratio: f64) -> Tracer {
    Tracer::new(Config {
        sampling_ratio: ratio,
        ..memory_config()
    })
}

fn end_trace(tracer: &Tracer, opts: RootOptions) -> bool {
    let root = tracer.start_root("root", opts);
    let sampled = root.context().sampled();
    tracer.start_child("child", root.context(), None).end(None);
    root.end(None);
    sampled
}

#[test]
fn ratio_zero_samples_everything_out_without_counting_drops() {
    let tracer = tracer_at(0.0);
    for _ in 0..200 {
        assert!(!end_trace(&tracer, RootOptions::default()));
    }
    assert!(tracer.flush(FLUSH));
    assert!(tracer.memory_traces().is_empty());
    let st = tracer.stats();
    assert_eq!(st.traces_started, 200);
    assert_eq!(st.traces_sampled_out, 200);
    assert_eq!(st.traces_exported, 0);
    assert_eq!(st.traces_dropped, 0);
    assert_eq!(st.spans_dropped, 0);
    assert!(st.loss_summary().is_none());
    // Spans are still started and ended (the binding's bookkeeping runs), just not kept.
    assert_eq!((st.spans_started, st.spans_ended), (400, 400));
}

#[test]
fn ratio_quarter_keeps_about_a_quarter() {
    let tracer = tracer_at(0.25);
    const N: u64 = 4000;
    let mut kept = 0;
    for _ in 0..N {
        kept += u64::from(end_trace(&tracer, RootOptions::default()));
    }
    assert!(tracer.flush(FLUSH));
    // Binomial(4000, 0.25): mean 1000, sd ~27.4; 6 sd either side.
    assert!((835..=1165).contains(&kept), "kept {kept} of {N}");
    let st = tracer.stats();
    assert_eq!(st.traces_sampled_out, N - kept);
    assert_eq!(st.traces_exported, kept);
    assert_eq!(tracer.memory_traces().len() as u64, kept);
    assert_eq!(st.traces_dropped, 0);
}

#[test]
fn the_same_trace_id_gets_the_same_decision_on_every_tracer() {
    // Two services at the same ratio continuing the same traces must agree, or traces would be
    // kept in one service and missing in the other.
    let (a, b) = (tracer_at(0.5), tracer_at(0.5));
    let mut kept = 0;
    for _ in 0..1000 {
        let remote = TraceParent {
            trace_id: TraceId::random(),
            parent_id: SpanId::random(),
            sampled: true,
        };
        let opts = RootOptions {
            remote_parent: Some(remote),
            ..RootOptions::default()
        };
        let (da, db) = (end_trace(&a, opts), end_trace(&b, opts));
        assert_eq!(da, db, "{}", remote.trace_id);
        assert_eq!(da, ferrotrace_core::process::sampled(remote.trace_id, 0.5));
        kept += u64::from(da);
    }
    // Both decisions occur: the agreement above is not the trivial "always" or "never".
    assert!((350..=650).contains(&kept), "kept {kept}");
    assert!(a.flush(FLUSH) && b.flush(FLUSH));
    let ids = |t: &Tracer| {
        let mut v: Vec<TraceId> = t.memory_traces().iter().map(|t| t.info.trace_id).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn a_per_trace_ratio_overrides_the_configured_one() {
    let tracer = tracer_at(1.0);
    let none = RootOptions {
        sampling_ratio: Some(0.0),
        ..RootOptions::default()
    };
    assert!(!end_trace(&tracer, none));
    assert!(end_trace(&tracer, RootOptions::default()));
    let all = RootOptions {
        sampling_ratio: Some(1.0),
        ..RootOptions::default()
    };
    assert!(end_trace(&tracer_at(0.0), all));
    assert!(tracer.flush(FLUSH));
    assert_eq!(tracer.memory_traces().len(), 1);
    assert_eq!(tracer.stats().traces_sampled_out, 1);
}
