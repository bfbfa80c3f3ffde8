//! `MLFLOW_TRACE_BUFFER_TTL_SECONDS`: a trace still open that long after it started is
//! abandoned, as MLflow's in-progress trace buffer forgets it: not exported, and counted as
//! dropped (`trace_buffer_ttl`) with its spans, including those that end after it.

use std::time::{Duration, Instant};

use ferrotrace_core::config::Config;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn ttl_tracer(ttl_ms: u64, timeout: Option<Duration>) -> Tracer {
    Tracer::new(Config {
        memory: true,
        trace_buffer_ttl: Some(Duration::from_millis(ttl_ms)),
        trace_timeout: timeout,
        trace_timeout_check_interval: Duration::from_millis(20),
        ..Default::default()
    })
}

fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_trace_open_past_the_ttl_is_abandoned_and_counted() {
    let tracer = ttl_tracer(150, None);
    let root = tracer.start_root("long", RootOptions::default());
    let done = tracer.start_child("done_step", root.context(), None);
    done.end(None);
    let open = tracer.start_child("open_step", root.context(), None);
    // A trace that ends within the TTL is exported as usual.
    let quick = tracer.start_root("quick", RootOptions::default());
    quick.end(None);

    assert!(
        wait_until(|| tracer.stats().dropped_traces.get("trace_buffer_ttl") == Some(&1)),
        "{:?}",
        tracer.stats()
    );
    // The span that ended before the TTL is let go with the trace.
    assert_eq!(
        tracer.stats().dropped_spans.get("trace_buffer_ttl"),
        Some(&1)
    );
    // Spans that end afterwards, the root too, are counted with it, not exported.
    open.end(None);
    root.end(None);
    tracer.flush(Duration::from_secs(5));
    let names: Vec<String> = tracer
        .memory_traces()
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.name.to_string()))
        .collect();
    assert_eq!(names, ["quick"]);
    let stats = tracer.stats();
    assert_eq!(stats.dropped_traces.get("trace_buffer_ttl"), Some(&1));
    assert_eq!(stats.dropped_spans.get("trace_buffer_ttl"), Some(&3));
    assert_eq!(stats.dropped_spans.get("span_after_root_ended"), None);
    // Neither open nor pending: it is accounted for once, as dropped.
    assert_eq!(stats.traces_pending, 0, "{stats:?}");
    tracer.exit(Duration::from_secs(2));
    assert_eq!(tracer.stats().dropped_traces.get("open_at_exit"), None);
}

#[test]
fn a_root_dropped_without_end_after_the_ttl_is_not_counted_twice() {
    let tracer = ttl_tracer(100, None);
    let root = tracer.start_root("forgotten", RootOptions::default());
    assert!(wait_until(|| tracer
        .stats()
        .dropped_traces
        .get("trace_buffer_ttl")
        == Some(&1)));
    drop(root);
    let stats = tracer.stats();
    assert_eq!(
        stats.dropped_traces.get("span_not_ended"),
        None,
        "{stats:?}"
    );
    assert_eq!(stats.dropped_spans.get("trace_buffer_ttl"), Some(&1));
    assert_eq!(stats.traces_dropped, 1);
}

#[test]
fn a_trace_timeout_replaces_the_ttl_as_in_mlflow() {
    // With MLFLOW_TRACE_TIMEOUT_SECONDS set, MLflow's buffer is the timeout cache: the trace is
    // exported with state ERROR at the timeout, and the (shorter) TTL does not apply.
    let tracer = ttl_tracer(50, Some(Duration::from_millis(400)));
    let root = tracer.start_root("slow", RootOptions::default());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(tracer.stats().dropped_traces.get("trace_buffer_ttl"), None);
    assert!(wait_until(|| !tracer.memory_traces().is_empty()));
    drop(root);
    assert_eq!(tracer.stats().dropped_traces.get("trace_buffer_ttl"), None);
}

#[test]
fn without_a_ttl_a_long_trace_is_kept() {
    let tracer = Tracer::new(Config {
        memory: true,
        trace_timeout_check_interval: Duration::from_millis(20),
        ..Default::default()
    });
    let root = tracer.start_root("long", RootOptions::default());
    std::thread::sleep(Duration::from_millis(150));
    root.end(None);
    tracer.flush(Duration::from_secs(5));
    assert_eq!(tracer.memory_traces().len(), 1);
}
