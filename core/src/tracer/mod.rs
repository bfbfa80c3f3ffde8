//! HOT PATH: start and end spans, seal traces, hand them to the export queue.
//!
//! The binding decides which span is active (contextvars, AsyncLocalStorage) and passes the
//! parent explicitly; nothing here looks at thread-locals to guess parents. Starting a span is an
//! id, a clock read and a record; ending one is a push onto its trace's list under an uncontended
//! lock; ending the root moves the whole trace into the queue with `try_send`.

mod clock;
mod counts;
mod leaves;
mod mlflow;
mod open_trace;
mod record;
mod span;
mod timeout;
mod unsampled;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

pub(crate) use clock::after_fork as clock_after_fork;
pub use clock::{monotonic_ns, now_ns, wall_ns_at, ClockPair};
pub use counts::SpanCounts;
pub use leaves::{LeafBatch, LeafIds, LeafSpec};
pub(crate) use open_trace::Sealed;
pub use open_trace::{TraceDraft, TraceUpdate};
pub use span::{LiveSpan, SpanContext};

use crate::config::{Config, Destination};
use crate::error::Result;
use crate::export::{Exporter, LocalStoreExporter, MemoryExporter, MemorySink};
use crate::model::{SpanId, SpanName, Trace, TraceId, TraceParent};
use crate::pipeline::{fork, request, Control, Pipeline, SendError, WorkerShared};
use crate::stats::{DropReason, Stats, StatsSnapshot};
use open_trace::OpenTrace;

/// Builds the exporters for a configuration, one per destination (replaceable in tests). Each
/// gets every trace; several run at once for MLflow + OTLP dual export.
pub type ExporterFactory =
    Box<dyn Fn(&Config, &MemorySink) -> Vec<Box<dyn Exporter>> + Send + Sync>;

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

/// A handle to a tracer: configuration, counters, and the export pipeline. Clones share all.
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
    config: RwLock<Config>,
    pipeline: RwLock<Option<Pipeline>>,
    factory: ExporterFactory,
    memory: MemorySink,
    process_metadata: Arc<RwLock<BTreeMap<String, String>>>,
    last_trace_id: Mutex<Option<TraceId>>,
    /// Recently finalized traces (the worker fills it), for `get_trace`.
    pub(crate) recent: Arc<Mutex<std::collections::VecDeque<crate::pipeline::RecentTrace>>>,
    enabled: AtomicBool,
    /// `config.sampling_ratio` as f64 bits: read by every root without taking the config lock.
    sampling_ratio: AtomicU64,
    /// In sync mode (`MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false`) the longest a root's end waits
    /// for its export, in ms; 0 in async mode. Read by every root end.
    sync_wait_ms: AtomicU64,
    /// The tail-sampling rule ([`crate::process::TailRule`] bits): read by ratio-dropped roots.
    tail_rule: AtomicU64,
    /// Some function declared a positive sampling ratio of its own (see `unsampled`).
    positive_override: AtomicBool,
    /// The compiled redaction rules, shared with the export worker.
    redactor: Arc<RwLock<Arc<crate::process::LazyRedactor>>>,
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
    /// The REST client for the configured MLflow server and the fork generation it was built
    /// in; built on first use, reset by `configure`.
    mlflow_client: Mutex<Option<(u64, crate::export::mlflow::MlflowClient)>>,
}

fn default_factory(cfg: &Config, memory: &MemorySink) -> Vec<Box<dyn Exporter>> {
    crate::export::otlp::destinations(cfg, || primary_exporter(cfg, memory))
}

fn primary_exporter(cfg: &Config, memory: &MemorySink) -> Box<dyn Exporter> {
    match cfg.destination() {
        Destination::Memory => Box::new(MemoryExporter::with_sink(memory.clone())),
        Destination::Local(dir) => Box::new(LocalStoreExporter::with_max_bytes(
            dir,
            cfg.delivery.local_max_bytes,
        )),
        Destination::Mlflow(uri) => match crate::export::MlflowExporter::new(cfg) {
            Ok(exporter) => Box::new(exporter),
            Err(e) => {
                crate::diag::warn(
                    "mlflow_config",
                    format!("cannot export to the MLflow server at {uri}: {e}; traces go to the local store"),
                );
                Box::new(LocalStoreExporter::with_max_bytes(
                    cfg.local_dir.clone(),
                    cfg.delivery.local_max_bytes,
                ))
            }
        },
    }
}

impl Tracer {
    /// A tracer with its own pipeline and the exporter its configuration names.
    pub fn new(config: Config) -> Tracer {
        Self::with_exporter_factory(config, Box::new(default_factory))
    }

    /// A tracer whose exporter comes from `factory` (tests: slow or failing exporters).
    pub fn with_exporter_factory(config: Config, factory: ExporterFactory) -> Tracer {
        fork::install();
        Tracer {
            inner: Arc::new(Inner {
                stats: Arc::default(),
                config: RwLock::new(config.clone()),
                pipeline: RwLock::new(None),
                factory,
                memory: MemorySink::default(),
                process_metadata: Arc::default(),
                last_trace_id: Mutex::new(None),
                recent: Arc::default(),
                enabled: AtomicBool::new(true),
                sampling_ratio: AtomicU64::new(config.sampling_ratio.to_bits()),
                tail_rule: AtomicU64::new(crate::process::TailRule::new(&config.process.tail).0),
                positive_override: AtomicBool::new(false),
                redactor: Arc::new(RwLock::new(Arc::new(crate::process::LazyRedactor::new(
                    &config.process.redact,
                )))),
                trace_timeout_ns: AtomicU64::new(timeout::as_ns(config.trace_timeout)),
                trace_ttl_ns: AtomicU64::new(ttl_ns(&config)),
                sync_wait_ms: AtomicU64::new(sync_wait_ms(&config)),
                watched: timeout::Watched::default(),
                propagated: Mutex::new(Vec::new()),
                mlflow_client: Mutex::new(None),
            }),
        }
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
        let (trace_id, parent_id, remote_sampled) = match opts.remote_parent {
            Some(tp) => (tp.trace_id, Some(tp.parent_id), tp.sampled),
            None => (TraceId::random(), None, true),
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
        let span = self.make_span(trace, parent_id, name.into(), opts.start_ns, true);
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
    pub(crate) fn submit_all(&self, traces: impl Iterator<Item = (Sealed, u64, u64)>) {
        let stats = &self.inner.stats;
        // (traces, spans) not queued: for want of room, and for want of a pipeline.
        let (mut full, mut closed) = ((0u64, 0u64), (0u64, 0u64));
        let mut sent = false;
        {
            let mut guard = self.inner.pipeline.read();
            if !matches!(guard.as_ref(), Some(p) if p.fork_generation == fork::generation()) {
                drop(guard);
                self.start_pipeline();
                guard = self.inner.pipeline.read();
            }
            for (trace, bytes, spans) in traces {
                let result = match guard.as_ref() {
                    Some(p) => p.try_send(trace, bytes),
                    None => Err(SendError::Closed),
                };
                match result {
                    Ok(()) => sent = true,
                    Err(SendError::Full) => full = (full.0 + 1, full.1 + spans),
                    Err(SendError::Closed) => closed = (closed.0 + 1, closed.1 + spans),
                }
            }
        }
        if sent {
            let wait_ms = self.inner.sync_wait_ms.load(Ordering::Relaxed);
            if wait_ms > 0 {
                // MLflow's sync mode: the root's end returns once its trace is delivered.
                self.flush(Duration::from_millis(wait_ms));
            }
        }
        if closed.0 > 0 {
            stats.drop_counted(DropReason::ExportFailed, closed.0, closed.1);
        }
        if full.0 > 0 {
            let before = stats.drop_counted(DropReason::QueueFull, full.0, full.1);
            // Only the 1st, 2nd, 4th, 8th... drop reaches the (locking) warning path: a
            // saturated queue must not add a global lock to every application call.
            if (before + 1).next_power_of_two() > before + full.0 {
                return;
            }
            crate::diag::warn(
                "queue_full",
                "the export queue is full (the destination is slower than the application); traces are being dropped and counted in stats()",
            );
        }
    }

    /// Starts delivery now if an earlier process left spilled traces for a remote destination,
    /// so they are replayed without waiting for this process's first trace. The folder scan
    /// runs on a short thread of its own: the caller never waits on the disk.
    pub fn resume_spilled(&self) {
        let cfg = self.inner.config.read().clone();
        let remote =
            matches!(cfg.destination(), Destination::Mlflow(_)) || cfg.otlp.endpoint.is_some();
        if !cfg.delivery.spill || !remote {
            return;
        }
        let tracer = self.clone();
        let _ = std::thread::Builder::new()
            .name("ferrotrace-resume".into())
            .spawn(move || {
                if crate::pipeline::spill::SpillStore::any_pending(&cfg.delivery.spill_dir) {
                    tracer.start_pipeline();
                }
            });
    }

    fn start_pipeline(&self) {
        let mut slot = self.inner.pipeline.write();
        let generation = fork::generation();
        if let Some(p) = slot.as_ref() {
            if p.fork_generation == generation {
                return;
            }
        }
        if let Some(inherited) = slot.take() {
            // A forked child: the parent's worker may have been inside a lock or a one-time
            // init at the fork, and it does not exist here to finish.
            inherited.abandon();
            let fresh = Arc::new(self.inner.redactor.read().uncompiled());
            *self.inner.redactor.write() = fresh;
        }
        // A forked child gets its own SIGTERM watcher once it has something to deliver.
        crate::pipeline::sigterm::ensure_watcher();
        let cfg = self.inner.config.read().clone();
        let exporters = (self.inner.factory)(&cfg, &self.inner.memory);
        let shared = WorkerShared {
            stats: self.inner.stats.clone(),
            process_metadata: self.inner.process_metadata.clone(),
            max_batch: cfg.max_batch_traces,
            recent: self.inner.recent.clone(),
            recent_max: cfg.trace_buffer_max,
            redactor: self.inner.redactor.clone(),
        };
        *slot = Some(Pipeline::start(
            exporters,
            cfg.max_queue_traces,
            &cfg.delivery,
            shared,
            generation,
        ));
    }

    // ---- cold path ------------------------------------------------------------------------

    /// Waits until every trace sealed so far has been handed to the destination, at most
    /// `timeout`. Returns `false` on timeout. Never called by the tracer on an application thread.
    pub fn flush(&self, timeout: Duration) -> bool {
        let ctl = match self.inner.pipeline.read().as_ref() {
            Some(p) if p.fork_generation == fork::generation() => p.control(),
            _ => return true,
        };
        let deadline = std::time::Instant::now() + timeout;
        request(&ctl, |tx| Control::Flush(tx, deadline), timeout)
    }

    /// Delivers what is queued and stops the worker (a later trace starts a new one). Returns
    /// `false` if the worker did not finish within `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let p = self.inner.pipeline.write().take();
        match p {
            Some(p) if p.fork_generation == fork::generation() => p.shutdown(timeout),
            Some(p) => {
                p.abandon();
                true
            }
            None => true,
        }
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
        // One exit at a time: a SIGTERM that arrives while an exit hook delivers (a pool
        // worker's finalizer) must not end the process before that delivery is done. Bounded,
        // and a lock a fork caught held only costs the wait.
        static EXITING: Mutex<()> = Mutex::new(());
        let _one = EXITING.try_lock_for(timeout + Duration::from_millis(500));
        let before = self.stats();
        let open = self.inner.stats.open_traces() + open_elsewhere;
        if open > 0 {
            // A lazy root is one span; the core's open traces may hold more, uncounted here.
            self.inner
                .stats
                .drop_counted(DropReason::OpenAtExit, open, open_elsewhere);
        }
        // Retries in progress stop now: what cannot be sent goes to the spill folder.
        crate::export::mlflow::stop_retrying(true);
        let ok = self.shutdown(timeout);
        crate::export::mlflow::stop_retrying(false);
        let stats = self.stats();
        if !ok {
            // Counted before the rescue spilled them: after it, none is pending any more.
            // "not delivered" only when some were: a line a user (or a test) greps for loss.
            let lost = match stats.traces_pending {
                0 => String::new(),
                n => format!(", {n} not delivered"),
            };
            crate::diag::warn(
                "exit",
                format!(
                    "{} trace(s) were pending at exit and the exit timeout ({:.1} s) ran out: {} delivered, {} written to the spill folder{lost}",
                    before.traces_pending,
                    timeout.as_secs_f64(),
                    stats.traces_exported.saturating_sub(before.traces_exported),
                    stats.traces_spilled.saturating_sub(before.traces_spilled),
                ),
            );
        }
        if let Some(loss) = stats.loss_summary() {
            crate::diag::warn("exit_loss", loss);
        }
        let kept = stats.traces_spilled.saturating_sub(stats.traces_replayed);
        if kept > 0 {
            crate::diag::warn(
                "exit_spilled",
                format!(
                    "{kept} trace(s) are kept in the spill folder ({}) for the next process with the same configuration (or `ferrotrace push`)",
                    self.inner.config.read().delivery.spill_dir.display()
                ),
            );
        }
        ok
    }

    /// Changes the configuration. When the destination changes (or, for an MLflow server, its
    /// experiment, credentials or TLS settings), traces already queued are delivered to the old
    /// one first (bounded by the exit timeout); the next trace starts a pipeline for the new one.
    pub fn configure(&self, f: impl FnOnce(&mut Config) -> Result<()>) -> Result<()> {
        let mut cfg = self.inner.config.read().clone();
        f(&mut cfg)?;
        let timeout = cfg.exit_timeout;
        let destination_changed = exporter_settings_changed(&self.inner.config.read(), &cfg);
        *self.inner.mlflow_client.lock() = None;
        self.inner
            .sampling_ratio
            .store(cfg.sampling_ratio.to_bits(), Ordering::Relaxed);
        self.inner
            .trace_timeout_ns
            .store(timeout::as_ns(cfg.trace_timeout), Ordering::Relaxed);
        self.inner
            .trace_ttl_ns
            .store(ttl_ns(&cfg), Ordering::Relaxed);
        self.inner
            .sync_wait_ms
            .store(sync_wait_ms(&cfg), Ordering::Relaxed);
        self.inner.tail_rule.store(
            crate::process::TailRule::new(&cfg.process.tail).0,
            Ordering::Relaxed,
        );
        if cfg.process.redact != self.inner.config.read().process.redact {
            *self.inner.redactor.write() =
                Arc::new(crate::process::LazyRedactor::new(&cfg.process.redact));
        }
        *self.inner.config.write() = cfg;
        if destination_changed {
            self.shutdown(timeout);
            self.resume_spilled();
        }
        Ok(())
    }

    pub fn config(&self) -> Config {
        self.inner.config.read().clone()
    }

    /// Metadata added to every trace (source file, user): set once by the binding.
    pub fn set_process_metadata(&self, metadata: BTreeMap<String, String>) {
        *self.inner.process_metadata.write() = metadata;
    }

    pub fn stats(&self) -> StatsSnapshot {
        let (depth, bytes) = self
            .inner
            .pipeline
            .read()
            .as_ref()
            .map_or((0, 0), |p| (p.depth(), p.bytes()));
        self.inner.stats.snapshot(depth, bytes)
    }

    /// Traces delivered to the memory destination so far.
    pub fn memory_traces(&self) -> Vec<Trace> {
        self.inner.memory.lock().clone()
    }

    /// Empties the memory destination.
    pub fn clear_memory(&self) {
        self.inner.memory.lock().clear();
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

fn sync_wait_ms(cfg: &Config) -> u64 {
    if cfg.delivery.async_logging {
        0
    } else {
        (cfg.delivery.sync_timeout.as_millis() as u64).max(1)
    }
}

/// Whether a running exporter was built from settings that `new` changes.
/// The buffer TTL in ns, 0 when unset or when a trace timeout replaces it.
fn ttl_ns(cfg: &Config) -> u64 {
    match cfg.trace_timeout {
        Some(_) => 0,
        None => timeout::as_ns(cfg.trace_buffer_ttl),
    }
}

fn exporter_settings_changed(old: &Config, new: &Config) -> bool {
    old.destination() != new.destination()
        || old.otlp != new.otlp
        || (matches!(new.destination(), Destination::Mlflow(_))
            && (old.experiment_id != new.experiment_id
                || old.experiment_name != new.experiment_name
                || old.http != new.http
                || old.sdk_language != new.sdk_language))
}

static GLOBAL: OnceLock<Tracer> = OnceLock::new();

/// In a forked child (from the fork handler: atomics only).
pub(crate) fn after_fork() {
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
        tracer.resume_spilled();
        tracer
    })
}
