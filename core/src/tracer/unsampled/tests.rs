use crate::config::Config;
use crate::tracer::{RootOptions, Tracer};

fn tracer_at(ratio: f64) -> Tracer {
    Tracer::new(Config {
        memory: true,
        sampling_ratio: ratio,
        ..Config::default()
    })
}

#[test]
fn only_a_zero_ratio_without_tail_rule_or_positive_override_never_samples() {
    assert!(!tracer_at(0.5).roots_never_sampled());
    let t = tracer_at(0.0);
    assert!(t.roots_never_sampled());
    t.note_ratio_override(0.0);
    assert!(t.roots_never_sampled(), "a zero override changes nothing");
    t.configure(|c| {
        c.process.tail.keep_errors = true;
        Ok(())
    })
    .unwrap();
    assert!(
        !t.roots_never_sampled(),
        "the tail rule may keep a dropped root"
    );
    t.configure(|c| {
        c.process.tail.keep_errors = false;
        Ok(())
    })
    .unwrap();
    assert!(t.roots_never_sampled());
    t.note_ratio_override(0.25);
    assert!(
        !t.roots_never_sampled(),
        "a call inside may start a sampled root"
    );
}

#[test]
fn span_less_calls_count_as_start_root_and_start_child_would() {
    let t = tracer_at(0.0);
    // The same shape both ways: a root with one child, then a lone root.
    let root = t.start_root("r", RootOptions::default());
    t.start_child("c", root.context(), None).end(None);
    root.end(None);
    t.start_root("r2", RootOptions::default()).end(None);
    let spanned = t.stats();
    let u = tracer_at(0.0);
    let out = u.run_unsampled(|| u.run_unsampled(|| 7));
    u.run_unsampled(|| ());
    assert_eq!(out, 7);
    let spanless = u.stats();
    assert_eq!(
        (spanless.traces_started, spanless.traces_sampled_out),
        (spanned.traces_started, spanned.traces_sampled_out)
    );
    assert_eq!((spanless.traces_started, spanless.spans_started), (2, 3));
    assert_eq!(spanless.spans_started, spanless.spans_ended);
    assert_eq!(spanless.spans_started, spanned.spans_started);
}

#[test]
fn a_root_sampled_out_inside_a_span_less_call_is_not_another_trace() {
    let t = tracer_at(0.0);
    t.run_unsampled(|| {
        // What a context manager or generator inside the call starts: no active span there.
        let root = t.start_root("inner", RootOptions::default());
        assert!(!root.context().sampled());
        root.end(None);
    });
    let st = t.stats();
    assert_eq!((st.traces_started, st.traces_sampled_out), (1, 1));
    assert_eq!((st.spans_started, st.spans_ended), (2, 2));
}

#[test]
fn the_depth_is_restored_when_the_call_unwinds() {
    let t = tracer_at(0.0);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.run_unsampled(|| panic!("inside"))
    }));
    assert!(caught.is_err());
    t.run_unsampled(|| ());
    assert_eq!(t.stats().traces_started, 2, "the next call is a root again");
}
