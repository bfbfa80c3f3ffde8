//! The opt-in tail rule: traces the sampling ratio drops are kept when they end in error or
//! their root ran long enough; the rest are counted as sampled out, never as lost.

mod common;

use std::time::Duration;

use common::{memory_config, FLUSH};
use ferrotrace_core::config::{Config, ProcessSettings, TailSampling};
use ferrotrace_core::model::{SpanId, StatusCode, TraceId, TraceParent};
use ferrotrace_core::runtime::now_ns;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn tracer(tail: TailSampling) -> Tracer {
    Tracer::new(Config {
        sampling_ratio: 0.0,
        process: ProcessSettings {
            tail,
            ..ProcessSettings::default()
        },
        ..memory_config()
    })
}

/// Ends a root (with one child) that ran `ms` milliseconds, in error or not.
fn run(tracer: &Tracer, name: &str, ms: u64, error: bool) {
    let end = now_ns();
    let opts = RootOptions {
        start_ns: Some(end - ms * 1_000_000),
        ..RootOptions::default()
    };
    let mut root = tracer.start_root(name.to_owned(), opts);
    tracer.start_child("child", root.context(), None).end(None);
    if error {
        root.set_status(StatusCode::Error, "boom");
    }
    root.end(Some(end));
}

#[test]
fn errors_are_kept_the_rest_sampled_out() {
    let t = tracer(TailSampling {
        keep_errors: true,
        keep_slower_than: None,
    });
    for i in 0..90 {
        run(&t, &format!("t{i}"), 1, i % 3 == 0);
    }
    assert!(t.flush(FLUSH));
    let traces = t.memory_traces();
    assert_eq!(traces.len(), 30);
    assert!(traces.iter().all(|tr| tr.spans.len() == 2));
    assert!(traces
        .iter()
        .all(|tr| tr.info.state == ferrotrace_core::model::TraceState::Error));
    let st = t.stats();
    assert_eq!(st.traces_started, 90);
    assert_eq!(st.traces_sampled_out, 60);
    assert_eq!((st.traces_completed, st.traces_exported), (30, 30));
    assert_eq!(
        (st.traces_dropped, st.spans_dropped, st.traces_pending),
        (0, 0, 0)
    );
}

#[test]
fn slow_roots_are_kept() {
    let t = tracer(TailSampling {
        keep_errors: false,
        keep_slower_than: Some(Duration::from_millis(50)),
    });
    run(&t, "fast", 5, true);
    run(&t, "slow", 80, false);
    run(&t, "edge", 50, false);
    assert!(t.flush(FLUSH));
    let mut names: Vec<String> = t
        .memory_traces()
        .iter()
        .map(|tr| tr.root().unwrap().name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["edge", "slow"]);
    assert_eq!(t.stats().traces_sampled_out, 1);
}

#[test]
fn rule_off_records_nothing_and_a_dropping_caller_is_followed() {
    let off = tracer(TailSampling::default());
    let root = off.start_root("r", RootOptions::default());
    assert!(
        !root.context().sampled(),
        "unsampled spans are not recorded"
    );
    root.end(None);

    let on = tracer(TailSampling {
        keep_errors: true,
        keep_slower_than: None,
    });
    let root = on.start_root("tentative", RootOptions::default());
    assert!(root.context().sampled(), "recorded until the rule decides");
    assert!(
        !root.context().traceparent().sampled,
        "downstream sees the ratio's decision"
    );
    root.end(None);
    let remote = TraceParent {
        trace_id: TraceId::random(),
        parent_id: SpanId::random(),
        sampled: false,
    };
    let mut root = on.start_root(
        "child-service",
        RootOptions {
            remote_parent: Some(remote),
            ..RootOptions::default()
        },
    );
    assert!(!root.context().sampled(), "the caller dropped the trace");
    root.set_status(StatusCode::Error, "boom");
    root.end(None);
    assert!(on.flush(FLUSH) && off.flush(FLUSH));
    assert!(on.memory_traces().is_empty());
    assert_eq!(on.stats().traces_sampled_out, 2);
}

#[test]
fn the_rule_is_set_from_code() {
    use ferrotrace_core::config::{ConfigUpdate, NameStyle, ProcessUpdate};
    let t = tracer(TailSampling::default());
    t.configure(|c| {
        c.apply(
            ConfigUpdate {
                process: ProcessUpdate {
                    keep_errors: Some(true),
                    ..ProcessUpdate::default()
                },
                ..ConfigUpdate::default()
            },
            NameStyle::Snake,
        )
    })
    .unwrap();
    run(&t, "err", 1, true);
    run(&t, "ok", 1, false);
    assert!(t.flush(FLUSH));
    assert_eq!(t.memory_traces().len(), 1);
}
