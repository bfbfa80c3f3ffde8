//! HOT PATH: start and end spans, seal traces, hand them to the export queue.
//!
//! The binding decides which span is active (contextvars, AsyncLocalStorage) and passes the
//! parent explicitly; nothing here looks at thread-locals to guess parents. Starting a span is an
//! id, a clock read and a record; ending one is a push onto its trace's list under an uncontended
//! lock; ending the root moves the whole trace into the queue with `try_send`.

mod leaves;
mod open_trace;
mod record;
mod span;
mod timeout;
mod unsampled;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

pub use leaves::{LeafBatch, LeafIds, LeafSpec};
pub use open_trace::{TraceDraft, TraceUpdate};
pub use span::{LiveSpan, SpanContext};

use crate::config::Config;
use crate::error::Result;
use crate::model::{SpanId, SpanName, Trace, TraceId, TraceParent};
use crate::pipeline::{Delivery, ExporterFactory, Sealed};
use crate::runtime::now_ns;
use crate::stats::{DropReason, Stats, StatsSnapshot};
use open_trace::OpenTrace;

/// How a root span starts.
#[derive(Clone, Copy, Debug, Default)]
pub struct RootOptions {
    /// Continue a trace started in another service (`traceparent`).
    pub remote_parent: Option<TraceParent>,
    /// Overrides the configured sampling ratio for this trace.
    pub sampling_ratio: Option<f64>,
    /// Start time; now if `None`.
    pub start_ns: Option<u64>,
}

/// A handle to a tracer: the hot path's settings and counters, and the delivery of its traces
/// (a [`Delivery`], to which the cold-path calls here delegate). Clones share all.
///
/// ```
/// use ferrotrace_core::{config::Config, tracer::{RootOptions, Tracer}, model::RawJson};
/// let tracer = Tracer::new(Config { memory: true, ..Config::default() });
/// let mut root = tracer.start_root("agent", RootOptions::default());
/// let mut child = tracer.start_child("llm", root.context(), None);
/// child.set_attribute("mlflow.spanType", RawJson::string("LLM"));
/// child.end(None);
/// root.end(None);
/// assert!(tracer.flush(std::time::Duration::from_secs(5)));
/// let traces = tracer.memory_traces();
/// assert_eq!(traces[0].spans.len(), 2);
/// ```
#[derive(Clone)]
pub struct Tracer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) stats: Arc<Stats>,
    /// Where sealed traces go, and everything of the cold path.
    delivery: Arc<Delivery>,
    last_trace_id: Mutex<Option<TraceId>>,
    enabled: AtomicBool,
    /// `config.sampling_ratio` as f64 bits: read by every root without taking the config lock.
    sampling_ratio: AtomicU64,
    /// The tail-sampling rule ([`crate::process::TailRule`] bits): read by ratio-dropped roots.
    tail_rule: AtomicU64,
    /// Some function declared a positive sampling ratio of its own (see `unsampled`).
    positive_override: AtomicBool,
    /// `config.trace_timeout` in ns, 0 when off: read by every root.
    trace_timeout_ns: AtomicU64,
    /// `config.trace_buffer_ttl` in ns, 0 when off or when a timeout is set (MLflow's timeout
    /// replaces the TTL): read by every sampled root that has no timeout.
    trace_ttl_ns: AtomicU64,
    /// Roots watched for `MLFLOW_TRACE_TIMEOUT_SECONDS` or `MLFLOW_TRACE_BUFFER_TTL_SECONDS`.
    pub(crate) watched: timeout::Watched,
    /// Open traces whose `traceparent` was handed out (see [`SpanContext::traceparent`]): a
    /// remote root continuing one of them in this process joins it, as in MLflow.
    propagated: Mutex<Vec<std::sync::Weak<OpenTrace>>>,
}

impl Tracer {
    /// A tracer with its own pipeline and the exporters its configuration names.
    pub fn new(config: Config) -> Tracer {
        Self::with_exporter_factory(config, crate::pipeline::default_factory())
    }

    /// A tracer whose exporters come from `factory`, called on the export thread (tests: slow
    /// or failing exporters).
    pub fn with_exporter_factory(config: Config, factory: ExporterFactory) -> Tracer {
        crate::runtime::fork::install(after_fork);
        let stats = Arc::<Stats>::default();
        Tracer {
            inner: Arc::new(Inner {
                delivery: Arc::new(Delivery::new(config.clone(), stats.clone(), factory)),
                stats,
                last_trace_id: Mutex::new(None),
                enabled: AtomicBool::new(true),
                sampling_ratio: AtomicU64::new(config.sampling_ratio.to_bits()),
                tail_rule: AtomicU64::new(crate::process::TailRule::new(&config.process.tail).0),
                positive_override: AtomicBool::new(false),
                trace_timeout_ns: AtomicU64::new(timeout::as_ns(config.trace_timeout)),
                trace_ttl_ns: AtomicU64::new(ttl_ns(&config)),
                watched: timeout::Watched::default(),
                propagated: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The delivery side (for the API layer: the recent-traces cache, the redaction rules).
    pub(crate) fn delivery(&self) -> &Arc<Delivery> {
        &self.inner.delivery
    }

    // ---- hot path -------------------------------------------------------------------------

    /// Starts the root span of a new trace (or of this service's part of a remote trace). A
    /// `remote_parent` naming a trace of this process that is still open (its `traceparent` was
    /// handed out here: a service calling itself, or a handler on a thread of the caller's
    /// process) gives a child in that trace instead, under the span the header names: MLflow
    /// records such a span in the local trace, not as a separate piece of it.
    pub fn start_root(&self, name: impl Into<SpanName>, opts: RootOptions) -> LiveSpan {
        if let Some(tp) = &opts.remote_parent {
            if let Some(trace) = self.propagated_open(tp.trace_id) {
                return self.make_span(
                    trace,
                    Some(tp.parent_id),
                    name.into(),
                    opts.start_ns,
                    false,
                );
            }
        }
        // Read the clock once: a new trace's id carries its start millisecond.
        let start_ns = opts.start_ns.unwrap_or_else(now_ns);
        let (trace_id, parent_id, remote_sampled) = match opts.remote_parent {
            Some(tp) => (tp.trace_id, Some(tp.parent_id), tp.sampled),
            None => (TraceId::ordered(start_ns), None, true),
        };
        let ratio = opts
            .sampling_ratio
            .unwrap_or_else(|| f64::from_bits(self.inner.sampling_ratio.load(Ordering::Relaxed)));
        let mut sampled = remote_sampled && crate::process::sampled(trace_id, ratio);
        let mut tentative = None;
        if !sampled && remote_sampled {
            // The opt-in tail rule records what the ratio drops and decides at seal. A trace
            // the calling service dropped stays dropped.
            let tail = crate::process::TailRule(self.inner.tail_rule.load(Ordering::Relaxed));
            if tail.is_on() {
                sampled = true;
                tentative = Some(tail);
            }
        }
        let stats = &self.inner.stats;
        // Inside a span-less unsampled call this root belongs to that call's trace.
        if sampled || !unsampled::inside() {
            Stats::inc(&stats.traces_started);
            if !sampled {
                Stats::inc(&stats.traces_sampled_out);
            }
        }
        let timeout_ns = self.inner.trace_timeout_ns.load(Ordering::Relaxed);
        let watched = timeout_ns > 0 && sampled;
        let mut trace = OpenTrace::new(trace_id, sampled, watched, self.clone());
        if let Some(tail) = tentative {
            trace = trace.tentative(tail);
        }
        let trace = Arc::new(trace);
        let span = self.make_span(trace, parent_id, name.into(), Some(start_ns), true);
        if watched {
            timeout::watch(self, &span, timeout_ns);
        } else if sampled {
            let ttl_ns = self.inner.trace_ttl_ns.load(Ordering::Relaxed);
            if ttl_ns > 0 {
                timeout::watch_ttl(self, &span, ttl_ns);
            }
        }
        span
    }

    /// Starts a child of `parent` (same trace, same sampling decision).
    #[inline]
    pub fn start_child(
        &self,
        name: impl Into<SpanName>,
        parent: &SpanContext,
        start_ns: Option<u64>,
    ) -> LiveSpan {
        self.make_span(
            parent.trace.clone(),
            Some(parent.span_id),
            name.into(),
            start_ns,
            false,
        )
    }

    #[inline]
    fn make_span(
        &self,
        trace: Arc<OpenTrace>,
        parent_id: Option<SpanId>,
        name: SpanName,
        start_ns: Option<u64>,
        is_root: bool,
    ) -> LiveSpan {
        self.inner.stats.spans.started();
        let span_id = SpanId::random();
        let start_ns = start_ns.unwrap_or_else(now_ns);
        let span = LiveSpan {
            rec: record::OpenRecord::new(trace.id, span_id, parent_id, name, start_ns),
            ctx: SpanContext { trace, span_id },
            is_root,
        };
        if span.ctx.trace.watched {
            timeout::track(&span);
        }
        span
    }

    /// Remembers that `trace`'s context left through a `traceparent` (cold: once per header).
    /// Ended traces are pruned when the list doubles, so a header costs O(1) amortized.
    #[cold]
    pub(crate) fn note_propagated(&self, trace: &Arc<OpenTrace>) {
        /// Open traces remembered at most; the oldest half goes past it.
        const MAX_PROPAGATED: usize = 4096;
        let mut list = self.inner.propagated.lock();
        // Headers of one trace usually come one after another.
        if list
            .last()
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(trace)))
        {
            return;
        }
        if list.len() >= 32 && list.len().is_power_of_two() {
            list.retain(|w| w.upgrade().is_some_and(|t| !t.is_sealed()));
            if list.len() >= MAX_PROPAGATED {
                list.drain(..MAX_PROPAGATED / 2);
            }
        }
        list.push(Arc::downgrade(trace));
    }

    /// The open trace `id` whose `traceparent` this process handed out, if still open.
    fn propagated_open(&self, id: TraceId) -> Option<Arc<OpenTrace>> {
        let list = self.inner.propagated.lock();
        list.iter()
            .rev()
            .filter_map(|w| w.upgrade())
            .find(|t| t.id == id && !t.is_sealed())
    }

    /// Queues a sealed trace (`bytes`: its size estimate; `spans`: its span count, for drops)
    /// for the export worker without waiting.
    pub(crate) fn submit(&self, trace: Sealed, bytes: u64, spans: u64) {
        self.submit_all(std::iter::once((trace, bytes, spans)));
    }

    /// [`Tracer::submit`] for each of `traces`, under one look at the pipeline.
    #[inline]
    pub(crate) fn submit_all(&self, traces: impl Iterator<Item = (Sealed, u64, u64)>) {
        self.inner.delivery.submit_all(traces);
    }

    /// Starts delivery now if an earlier process left spilled traces for a remote destination,
    /// so they are replayed without waiting for this process's first trace (the caller never
    /// waits on the disk).
    pub fn resume_spilled(&self) {
        self.inner.delivery.resume_spilled();
    }

    // ---- cold path: delegated to the delivery --------------------------------------------

    /// Waits until every trace sealed so far has been handed to the destination, at most
    /// `timeout`. Returns `false` on timeout. Never called by the tracer on an application thread.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.inner.delivery.flush(timeout)
    }

    /// Delivers what is queued and stops the worker (a later trace starts a new one). Returns
    /// `false` if the worker did not finish within `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.inner.delivery.shutdown(timeout)
    }

    /// The exit hook of every binding: delivers what is queued within `timeout`, then reports on
    /// stderr what did not make it (nothing when all was delivered). Traces still open (their
    /// root span never ended) are counted as dropped (`open_at_exit`). Returns `false` on
    /// timeout.
    pub fn exit(&self, timeout: Duration) -> bool {
        self.exit_with_open(timeout, 0)
    }

    /// [`Tracer::exit`] for a binding that also holds traces the core has not seen yet:
    /// `open_elsewhere` roots it started lazily (nothing native exists until they end) and that
    /// are still open, counted as dropped (`open_at_exit`) with the core's own open traces.
    pub fn exit_with_open(&self, timeout: Duration, open_elsewhere: u64) -> bool {
        self.inner.delivery.exit(timeout, open_elsewhere)
    }

    /// Changes the configuration. When the destination changes (or, for an MLflow server, its
    /// experiment, credentials or TLS settings), traces already queued are delivered to the old
    /// one first (bounded by the exit timeout); the next trace starts a pipeline for the new one.
    pub fn configure(&self, f: impl FnOnce(&mut Config) -> Result<()>) -> Result<()> {
        let mut cfg = self.inner.delivery.config();
        f(&mut cfg)?;
        let inner = &self.inner;
        inner
            .sampling_ratio
            .store(cfg.sampling_ratio.to_bits(), Ordering::Relaxed);
        inner
            .trace_timeout_ns
            .store(timeout::as_ns(cfg.trace_timeout), Ordering::Relaxed);
        inner.trace_ttl_ns.store(ttl_ns(&cfg), Ordering::Relaxed);
        inner.tail_rule.store(
            crate::process::TailRule::new(&cfg.process.tail).0,
            Ordering::Relaxed,
        );
        inner.delivery.configure(cfg);
        Ok(())
    }

    pub fn config(&self) -> Config {
        self.inner.delivery.config()
    }

    /// Metadata added to every trace (source file, user): set once by the binding.
    pub fn set_process_metadata(&self, metadata: BTreeMap<String, String>) {
        self.inner.delivery.set_process_metadata(metadata);
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.inner.delivery.stats()
    }

    /// Traces delivered to the memory destination so far.
    pub fn memory_traces(&self) -> Vec<Trace> {
        self.inner.delivery.memory_traces()
    }

    /// Empties the memory destination.
    pub fn clear_memory(&self) {
        self.inner.delivery.clear_memory();
    }

    /// Redacts a tag value set after export with the rules in force (counted in
    /// `stats().redactions`).
    pub fn redact_tag_value(&self, key: &str, value: &mut String) {
        let n = self
            .inner
            .delivery
            .redactor()
            .get()
            .redact_keyed(key, value);
        if n > 0 {
            self.inner.stats.redactions.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The id of the most recently sealed trace in this process.
    pub fn last_trace_id(&self) -> Option<TraceId> {
        *self.inner.last_trace_id.lock()
    }

    pub(crate) fn set_last_trace_id(&self, id: TraceId) {
        *self.inner.last_trace_id.lock() = Some(id);
    }

    /// Global on/off switch read by the bindings before they start a span.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::Relaxed)
    }

    /// Counts a span the binding could not record because its parent, an ended span, was no
    /// longer kept (`parent_expired`), and warns (rate-limited).
    pub fn count_parent_expired(&self) {
        self.inner
            .stats
            .drop_counted(DropReason::ParentExpired, 0, 1);
        crate::diag::warn(
            "parent_expired",
            "a span started under an ended span that is no longer kept was not recorded (a callback that ran long after its parent ended); counted in stats()",
        );
    }

    /// Counts a failure of the tracer that a binding recovered from (`internal_errors` in
    /// stats()) and warns (rate-limited). `what` names the step that failed.
    pub fn count_internal_error(&self, what: &str) {
        Stats::inc(&self.inner.stats.internal_errors);
        crate::diag::warn(
            "internal_error",
            format!("internal error in {what}; the call went on and its span may lack a value (counted in stats()[\"internal_errors\"])"),
        );
    }

    pub fn set_enabled(&self, on: bool) {
        self.inner.enabled.store(on, Ordering::Relaxed);
    }
}

/// The buffer TTL in ns, 0 when unset or when a trace timeout replaces it.
fn ttl_ns(cfg: &Config) -> u64 {
    match cfg.trace_timeout {
        Some(_) => 0,
        None => timeout::as_ns(cfg.trace_buffer_ttl),
    }
}

static GLOBAL: OnceLock<Tracer> = OnceLock::new();

/// In a forked child (from the fork handler: atomics only).
fn after_fork() {
    if let Some(t) = GLOBAL.get() {
        t.inner.stats.forked();
    }
}

/// The process-wide tracer the bindings use, configured from the environment on first use.
/// Every language runtime in the process (Python, Node's main thread and its workers) shares it.
pub fn global() -> &'static Tracer {
    GLOBAL.get_or_init(|| {
        let (config, warnings) = Config::from_env();
        // One warning for all: the rate limit would keep all but the first of one kind.
        if !warnings.is_empty() {
            crate::diag::warn("config", warnings.join("\nferrotrace: WARNING: "));
        }
        let tracer = Tracer::new(config);
        crate::pipeline::delivery::set_global(tracer.inner.delivery.clone());
        tracer.resume_spilled();
        tracer
    })
}
