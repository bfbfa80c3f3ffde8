//! The hand-off from application threads to the export worker: a full queue drops and counts
//! instead of blocking, `flush` waits for delivery (bounded), and export failures are counted
//! with a reason and reported once.
//!
//! Warnings are rate-limited per kind for the whole process, so each kind of warning is provoked
//! by one test only in this binary.

mod common;

use std::time::{Duration, Instant};

use common::{memory_config, test_tracer, warnings_containing, Behaviour, FLUSH};
use ferrotrace_core::api::MlflowApi;
use ferrotrace_core::config::Config;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

/// Ends one root with one child: a trace of two spans.
fn end_trace(tracer: &Tracer) {
    let root = tracer.start_root("root", RootOptions::default());
    tracer.start_child("child", root.context(), None).end(None);
    root.end(None);
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    ferrotrace_core::diag::set_quiet(true);
    let (gate, gate_rx) = crossbeam_channel::bounded::<()>(0);
    const QUEUE: u64 = 4;
    let config = Config {
        max_queue_traces: QUEUE as usize,
        // The worker holds at most one trace in the stuck export call.
        max_batch_traces: 1,
        ..memory_config()
    };
    let (tracer, rec) = test_tracer(config, Behaviour::Gated(gate_rx));

    const N: u64 = 300;
    let started = Instant::now();
    for _ in 0..N {
        end_trace(&tracer);
    }
    // Only a hang detector: with a blocking hand-off this loop would never finish.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "ending {N} traces took {:?}",
        started.elapsed()
    );

    let st = common::stats_once_pending_at_most(&tracer, QUEUE + 1);
    assert_eq!(st.traces_completed, N);
    assert_eq!(rec.count(), 0, "the exporter is still gated");
    let dropped = st.dropped_traces["queue_full"];
    // Everything beyond one trace in the exporter and a full queue must have been dropped.
    assert!(dropped >= N - 1 - QUEUE, "dropped {dropped}");
    assert!(
        dropped <= N - QUEUE,
        "dropped {dropped}, the queue holds {QUEUE}"
    );
    assert_eq!(st.dropped_spans["queue_full"], 2 * dropped);
    assert!(st.queue_depth <= QUEUE);
    assert!(!warnings_containing("export queue is full").is_empty());

    // Release the exporter: what was queued is delivered, and nothing more is lost.
    drop(gate);
    assert!(tracer.flush(FLUSH));
    let st = tracer.stats();
    assert_eq!(st.dropped_traces["queue_full"], dropped);
    assert_eq!(st.traces_exported, rec.count() as u64);
    assert_eq!(st.traces_exported + dropped, st.traces_completed);
    assert_eq!(st.queue_depth, 0);

    // The queue has room again.
    end_trace(&tracer);
    assert!(tracer.flush(FLUSH));
    assert_eq!(tracer.stats().traces_exported, N - dropped + 1);
}

#[test]
fn flush_returns_only_after_the_traces_are_exported() {
    let (tracer, rec) = test_tracer(memory_config(), Behaviour::Slow(Duration::from_millis(150)));
    // Nothing sealed yet: there is nothing to wait for.
    assert!(tracer.flush(Duration::from_millis(1)));
    let started = Instant::now();
    for _ in 0..3 {
        end_trace(&tracer);
    }
    assert!(tracer.flush(FLUSH));
    // Every export sleeps before it records, so a flush that did not wait would see fewer.
    assert_eq!(rec.count(), 3);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let st = tracer.stats();
    assert_eq!(st.traces_exported, 3);
    assert_eq!(st.spans_exported, 6);
    assert!(st.export_latency_us_max >= 150_000);
}

#[test]
fn flush_on_a_stuck_exporter_times_out_quickly() {
    let (gate, gate_rx) = crossbeam_channel::bounded::<()>(0);
    let (tracer, rec) = test_tracer(memory_config(), Behaviour::Gated(gate_rx));
    end_trace(&tracer);
    let started = Instant::now();
    assert!(!tracer.flush(Duration::from_millis(50)));
    // Bounded: the timeout, not the exporter, decides when flush returns.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(rec.count(), 0);

    drop(gate);
    assert!(tracer.flush(FLUSH));
    assert_eq!(rec.count(), 1);
}

#[test]
fn export_failure_is_counted_and_warned_about() {
    ferrotrace_core::diag::set_quiet(true);
    let (tracer, rec) = test_tracer(memory_config(), Behaviour::Fail);
    for _ in 0..5 {
        end_trace(&tracer);
    }
    // Flush still succeeds: the worker handled every trace, by failing to deliver it.
    assert!(tracer.flush(FLUSH));
    assert_eq!(rec.count(), 0);
    let st = tracer.stats();
    assert_eq!(st.dropped_traces.get("export_failed"), Some(&5));
    assert_eq!(st.dropped_spans.get("export_failed"), Some(&10));
    assert_eq!(st.traces_dropped, 5);
    assert_eq!(st.traces_exported, 0);
    assert!(st.export_errors >= 1);
    assert!(st
        .loss_summary()
        .unwrap()
        .contains("export_failed: 5 trace(s), 10 span(s)"));
    // One warning, naming the destination and the cause; repeats within 30 s are suppressed.
    let w = warnings_containing("could not deliver");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("test destination"), "{}", w[0]);
    assert!(w[0].contains("the test destination refuses"), "{}", w[0]);
}

#[test]
fn shutdown_delivers_what_is_queued_and_a_later_trace_restarts_the_worker() {
    let (tracer, rec) = test_tracer(memory_config(), Behaviour::Slow(Duration::from_millis(20)));
    for _ in 0..4 {
        end_trace(&tracer);
    }
    assert!(tracer.shutdown(FLUSH));
    assert_eq!(rec.count(), 4);
    end_trace(&tracer);
    assert!(tracer.flush(FLUSH));
    assert_eq!(rec.count(), 5);
    assert_eq!(tracer.stats().traces_dropped, 0);
}

#[test]
fn a_span_dropped_without_end_is_counted_and_a_root_takes_its_trace() {
    let tracer = ferrotrace_core::Tracer::new(ferrotrace_core::config::Config {
        memory: true,
        ..Default::default()
    });
    let root = tracer.start_root(
        "forgotten_root",
        ferrotrace_core::tracer::RootOptions::default(),
    );
    let child = tracer.start_child("forgotten_child", root.context(), None);
    drop(child);
    drop(root);
    let st = tracer.stats();
    assert_eq!(st.dropped_spans.get("span_not_ended"), Some(&2));
    assert_eq!(st.dropped_traces.get("span_not_ended"), Some(&1));
    assert_eq!(st.traces_pending, 0);
    assert!(tracer.memory_traces().is_empty());
}

#[test]
fn get_trace_finds_recent_traces_finalized_and_rejects_bad_ids() {
    let tracer = ferrotrace_core::Tracer::new(ferrotrace_core::config::Config {
        memory: true,
        trace_buffer_max: 2,
        ..Default::default()
    });
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let root = tracer.start_root(name, ferrotrace_core::tracer::RootOptions::default());
        ids.push(root.context().trace_id().to_mlflow());
        root.end(None);
    }
    let t = tracer
        .get_trace(&ids[2], std::time::Duration::from_secs(5))
        .unwrap()
        .expect("recent");
    assert_eq!(t.info.tags["mlflow.traceName"], "c");
    assert_eq!(t.info.trace_metadata["mlflow.trace_schema.version"], "3");
    assert!(tracer
        .get_trace(&ids[1], std::time::Duration::from_secs(5))
        .unwrap()
        .is_some());
    // Only the 2 most recent are kept; no server is configured to ask for the oldest.
    assert!(tracer
        .get_trace(&ids[0], std::time::Duration::from_secs(5))
        .unwrap()
        .is_none());
    assert!(tracer
        .get_trace("nope", std::time::Duration::from_secs(1))
        .is_err());
}

#[test]
fn a_root_left_open_past_the_trace_timeout_is_exported_with_state_error() {
    use std::time::Duration;
    let tracer = ferrotrace_core::Tracer::new(ferrotrace_core::config::Config {
        memory: true,
        trace_timeout: Some(Duration::from_millis(200)),
        trace_timeout_check_interval: Duration::from_millis(20),
        ..Default::default()
    });
    let root = tracer.start_root("stuck", ferrotrace_core::tracer::RootOptions::default());
    let child = tracer.start_child("done_step", root.context(), None);
    child.end(None);
    let quick = tracer.start_root("quick", ferrotrace_core::tracer::RootOptions::default());
    quick.end(None);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tracer.memory_traces().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        tracer.flush(Duration::from_secs(1));
    }
    let traces = tracer.memory_traces();
    let stuck = traces
        .iter()
        .find(|t| t.root().unwrap().name == "stuck")
        .expect("exported by the timeout");
    assert_eq!(stuck.info.state, ferrotrace_core::model::TraceState::Error);
    let r = stuck.root().unwrap();
    assert_eq!(r.status.code, ferrotrace_core::model::StatusCode::Error);
    assert_eq!(r.events[0].name, "exception");
    assert!(r.events[0]
        .attributes
        .get("exception.message")
        .unwrap()
        .as_str()
        .contains("timed out"));
    assert_eq!(stuck.spans.len(), 2, "the ended child goes with it");
    let quick_trace = traces
        .iter()
        .find(|t| t.root().unwrap().name == "quick")
        .unwrap();
    assert_eq!(
        quick_trace.info.state,
        ferrotrace_core::model::TraceState::Ok
    );
    // The real root ending later is counted, not exported twice.
    root.end(None);
    assert_eq!(
        tracer.stats().dropped_spans.get("span_after_root_ended"),
        Some(&1)
    );
}

/// The export thread runs `FERROTRACE_EXPORT_NICE` below the application's priority (Linux: the
/// nice value is per thread), so a busy machine runs the application first.
#[cfg(target_os = "linux")]
#[test]
fn the_export_thread_runs_at_a_lower_priority() {
    let nice_of = |task: &std::path::Path| -> Option<i64> {
        let stat = std::fs::read_to_string(task.join("stat")).ok()?;
        // After the command: state is field 3 of stat(5); nice is field 19.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(16)?
            .parse()
            .ok()
    };
    let own = nice_of(std::path::Path::new("/proc/thread-self")).unwrap();
    let mut config = memory_config();
    config.delivery.export_nice = 7;
    let tracer = Tracer::new(config);
    end_trace(&tracer);
    assert!(tracer.flush(FLUSH));
    let export_nices: Vec<i64> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| {
            let path = t.ok()?.path();
            let name = std::fs::read_to_string(path.join("comm")).ok()?;
            // comm holds 15 bytes of the name "ferrotrace-export".
            (name.trim() == "ferrotrace-expo")
                .then(|| nice_of(&path))
                .flatten()
        })
        .collect();
    // Other tests of this binary run tracers of their own at the default (10).
    assert!(
        export_nices.contains(&(own + 7).min(19)),
        "own nice {own}, export threads {export_nices:?}"
    );
}

#[test]
fn an_exporter_of_its_own_gets_whole_traces_with_the_process_metadata() {
    let (tracer, rec) = test_tracer(Config::default(), Behaviour::Accept);
    tracer.set_process_metadata(std::collections::BTreeMap::from([(
        "mlflow.source.name".to_owned(),
        "app.py".to_owned(),
    )]));
    tracer
        .start_root("t", ferrotrace_core::tracer::RootOptions::default())
        .end(None);
    assert!(tracer.flush(FLUSH));
    let traces = rec.traces.lock();
    let meta = &traces[0].info.metadata;
    assert_eq!(meta["mlflow.source.name"], "app.py");
    assert_eq!(meta["mlflow.trace_schema.version"], "3");
}
