//! `MLFLOW_TRACE_TIMEOUT_SECONDS`: traces whose root stays open too long are exported anyway,
//! with state ERROR, as MLflow does. Without a timeout, `MLFLOW_TRACE_BUFFER_TTL_SECONDS`: a
//! trace open that long is abandoned, as MLflow's in-progress buffer forgets it. Roots are
//! watched only when one of the two is set; one sweeper thread per process checks them every
//! `MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::open_trace::{OpenStub, OpenTrace};
use super::{LiveSpan, Tracer};

/// What happens to a watched trace still open at its deadline.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// Exported with state ERROR (`MLFLOW_TRACE_TIMEOUT_SECONDS`).
    Timeout,
    /// Abandoned, counted as dropped (`MLFLOW_TRACE_BUFFER_TTL_SECONDS`).
    Ttl,
}

/// Watched roots and the fork generation whose sweeper runs (`u64::MAX`: none yet).
pub(crate) struct Watched {
    roots: Mutex<Vec<(Instant, Weak<OpenTrace>, Expiry)>>,
    sweeper_generation: AtomicU64,
}

impl Default for Watched {
    fn default() -> Self {
        Watched {
            roots: Mutex::new(Vec::new()),
            sweeper_generation: AtomicU64::new(u64::MAX),
        }
    }
}

pub(crate) fn as_ns(timeout: Option<Duration>) -> u64 {
    timeout.map_or(0, |t| t.as_nanos().clamp(1, u128::from(u64::MAX)) as u64)
}

/// Tracks a span of a watched trace while the binding holds it (called by `make_span` only
/// when a timeout is set).
#[cold]
pub(crate) fn track(span: &LiveSpan) {
    let rec = &span.rec;
    span.ctx.trace.track_open(OpenStub {
        span_id: rec.span_id,
        parent_id: rec.parent_id,
        name: rec.name.clone(),
        start_ns: rec.start_ns,
        attributes: rec.attributes.clone(),
        is_root: span.is_root,
    });
}

/// Copies an attribute set on an open span of a watched trace to its tracked copy.
#[cold]
pub(crate) fn mirror_attribute(span: &LiveSpan, key: &str, value: &crate::model::RawJson) {
    let (key, value) = (key.to_owned(), value.clone());
    span.ctx
        .trace
        .mirror(span.rec.span_id, |s| s.attributes.set(key, value));
}

/// Copies a span's new name to its tracked copy.
#[cold]
pub(crate) fn mirror_name(span: &LiveSpan) {
    let name = span.rec.name.clone();
    span.ctx.trace.mirror(span.rec.span_id, |s| s.name = name);
}

/// Starts watching a new root (called by `start_root` when a timeout is set).
pub(crate) fn watch(tracer: &Tracer, root: &LiveSpan, timeout_ns: u64) {
    watch_for(tracer, root, timeout_ns, Expiry::Timeout);
}

/// Starts watching a new root for the buffer TTL (called by `start_root` when a TTL is set and
/// no timeout): no span is tracked, the trace is only let go at its deadline.
pub(crate) fn watch_ttl(tracer: &Tracer, root: &LiveSpan, ttl_ns: u64) {
    watch_for(tracer, root, ttl_ns, Expiry::Ttl);
}

fn watch_for(tracer: &Tracer, root: &LiveSpan, after_ns: u64, expiry: Expiry) {
    let deadline = Instant::now() + Duration::from_nanos(after_ns);
    let watched = &tracer.inner.watched;
    watched
        .roots
        .lock()
        .push((deadline, Arc::downgrade(&root.ctx.trace), expiry));
    let generation = crate::runtime::fork::generation();
    if watched
        .sweeper_generation
        .swap(generation, Ordering::AcqRel)
        != generation
    {
        let t = tracer.clone();
        let spawned = std::thread::Builder::new()
            .name("ferrotrace-timeout".into())
            .spawn(move || sweep(t, generation));
        if spawned.is_err() {
            crate::diag::warn("timeout_thread", "could not start the trace-timeout thread; MLFLOW_TRACE_TIMEOUT_SECONDS is not applied");
        }
    }
}

fn sweep(tracer: Tracer, generation: u64) {
    loop {
        let interval = tracer.config().trace_timeout_check_interval;
        std::thread::sleep(interval);
        if crate::runtime::fork::generation() != generation {
            return; // a forked child starts its own sweeper
        }
        let config = tracer.config();
        let (timeout, ttl) = (config.trace_timeout, config.trace_buffer_ttl);
        let now = Instant::now();
        let expired: Vec<(Arc<OpenTrace>, Expiry)> = {
            let mut roots = tracer.inner.watched.roots.lock();
            let mut due = Vec::new();
            roots.retain(|(deadline, weak, expiry)| match weak.upgrade() {
                Some(t) if t.is_sealed() => false,
                Some(t) if *deadline <= now => {
                    due.push((t, *expiry));
                    false
                }
                Some(_) => true,
                None => false,
            });
            due
        };
        for (trace, expiry) in expired {
            if expiry == Expiry::Ttl {
                if let Some(spans) = trace.abandon() {
                    let secs = ttl.map_or(0.0, |t| t.as_secs_f64());
                    crate::diag::warn(
                        "trace_buffer_ttl",
                        format!(
                            "trace {} was still open {secs} seconds after it started (MLFLOW_TRACE_BUFFER_TTL_SECONDS): abandoned as MLflow abandons it, its {spans} ended span(s) and any that end later are not exported (counted in stats() as trace_buffer_ttl)",
                            trace.id.to_mlflow()
                        ),
                    );
                }
                continue;
            }
            let secs = timeout.map_or(0.0, |t| t.as_secs_f64());
            let message = format!(
                "Trace {} is timed out after {secs} seconds. The operation may be stuck or taking too long to complete. To increase the timeout, set the environment variable MLFLOW_TRACE_TIMEOUT_SECONDS to a larger value.",
                trace.id.to_mlflow()
            );
            if trace.expire(&message) {
                crate::diag::warn(
                    "trace_timeout",
                    format!("{message} The trace was exported with state ERROR."),
                );
            }
        }
    }
}
