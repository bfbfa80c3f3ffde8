//! Helpers shared by the integration tests: tracers with test exporters and tree checks.
//!
//! Each test file is its own binary and uses a different subset of these, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use ferrotrace_core::config::Config;
use ferrotrace_core::export::{Capabilities, Exporter};
use ferrotrace_core::model::{SharedMetadata, SpanRecord, Trace};
use ferrotrace_core::stats::StatsSnapshot;
use ferrotrace_core::Tracer;
use parking_lot::Mutex;

/// Generous: only there so a hang fails the test instead of stalling the run.
pub const FLUSH: Duration = Duration::from_secs(20);

pub fn memory_config() -> Config {
    Config {
        memory: true,
        ..Config::default()
    }
}

pub fn memory_tracer() -> Tracer {
    Tracer::new(memory_config())
}

/// A tracer whose pipeline uses the exporter `make` builds.
pub fn tracer_with<E: Exporter + 'static>(
    config: Config,
    make: impl Fn() -> E + Send + Sync + 'static,
) -> Tracer {
    Tracer::with_exporter_factory(config, Box::new(move |_, _, _| vec![Box::new(make()) as _]))
}

/// Keeps every exported trace, optionally waiting on a gate or sleeping before each batch.
#[derive(Clone, Default)]
pub struct Recorder {
    pub traces: Arc<Mutex<Vec<Trace>>>,
    pub batches: Arc<AtomicUsize>,
}

impl Recorder {
    pub fn count(&self) -> usize {
        self.traces.lock().len()
    }
}

/// What a [`TestExporter`] does before accepting a batch.
#[derive(Clone)]
pub enum Behaviour {
    Accept,
    /// Sleep, then accept.
    Slow(Duration),
    /// Block until the gate's sender is dropped, then accept.
    Gated(Receiver<()>),
    /// Reject every batch.
    Fail,
}

pub struct TestExporter {
    pub rec: Recorder,
    pub behaviour: Behaviour,
}

impl Exporter for TestExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new("test")
    }

    fn export(&mut self, batch: &[Trace], _: &SharedMetadata) -> ferrotrace_core::Result<()> {
        match &self.behaviour {
            Behaviour::Accept => {}
            Behaviour::Slow(d) => std::thread::sleep(*d),
            // `recv` returns Err once every sender is gone: that is the release.
            Behaviour::Gated(gate) => while gate.recv().is_ok() {},
            Behaviour::Fail => {
                return Err(ferrotrace_core::Error::Export(
                    "the test destination refuses".into(),
                ))
            }
        }
        self.rec.batches.fetch_add(1, Ordering::SeqCst);
        self.rec.traces.lock().extend_from_slice(batch);
        Ok(())
    }
}

/// A tracer exporting to a [`TestExporter`]; returns the recorder to inspect.
pub fn test_tracer(config: Config, behaviour: Behaviour) -> (Tracer, Recorder) {
    let rec = Recorder::default();
    let r = rec.clone();
    let tracer = tracer_with(config, move || TestExporter {
        rec: r.clone(),
        behaviour: behaviour.clone(),
    });
    (tracer, rec)
}

/// The structural invariants every exported trace must hold: every span carries the trace's
/// id, ids are unique, exactly one span is the root, and every other span's parent is a span of
/// the same trace.
pub fn assert_well_formed(trace: &Trace) {
    let ids: HashSet<_> = trace.spans.iter().map(|s| s.span_id).collect();
    assert_eq!(ids.len(), trace.spans.len(), "duplicate span ids");
    for s in &trace.spans {
        assert_eq!(
            s.trace_id, trace.info.trace_id,
            "span {} in wrong trace",
            s.name
        );
        assert!(
            s.end_ns >= s.start_ns,
            "span {} ends before it starts",
            s.name
        );
    }
    let roots: Vec<&Arc<SpanRecord>> = trace
        .spans
        .iter()
        .filter(|s| s.parent_id.is_none_or(|p| !ids.contains(&p)))
        .collect();
    assert_eq!(roots.len(), 1, "exactly one root expected");
}

/// The span called `name` (names are unique in the tests that use this).
pub fn span<'a>(trace: &'a Trace, name: &str) -> &'a SpanRecord {
    let mut found = trace.spans.iter().filter(|s| s.name == name);
    let s = found.next().unwrap_or_else(|| panic!("no span {name}"));
    assert!(found.next().is_none(), "two spans named {name}");
    s
}

/// Warnings recorded so far that contain `needle`.
pub fn warnings_containing(needle: &str) -> Vec<String> {
    ferrotrace_core::diag::recent_warnings()
        .into_iter()
        .filter(|w| w.contains(needle))
        .collect()
}

/// `tracer`'s stats once at most `pending` traces wait (queued or being exported). What overflows
/// the queue before the export thread has built the exporters waits in the overflow channel
/// until that thread knows whether it can be written anywhere, and is counted then.
pub fn stats_once_pending_at_most(tracer: &Tracer, pending: u64) -> StatsSnapshot {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let st = tracer.stats();
        if st.traces_pending <= pending || std::time::Instant::now() > until {
            return st;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
