//! Counters the tracer keeps about itself: nothing is lost without a count and a reason.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

mod counts;
pub use counts::SpanCounts;

/// Why a span or trace did not reach its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The hand-off queue to the export worker was full.
    QueueFull,
    /// The exporter failed (store not writable, server error) and the trace could not be kept.
    ExportFailed,
    /// A span ended after its trace's root span had ended and the trace was sealed.
    SpanAfterRootEnded,
    /// Open traces abandoned in a forked child (they belong to the parent process).
    InheritedByFork,
    /// A span was discarded without `end()` (a forgotten detached span, an abandoned generator);
    /// when it is a root, its whole trace is lost with it.
    SpanNotEnded,
    /// The destination refused the trace for good (HTTP 400, 401, 403, 404, 413, 422...).
    Rejected,
    /// The spill folder reached `FERROTRACE_SPILL_MAX_BYTES`; its oldest traces were removed.
    SpillFull,
    /// A span started under an ended span its binding no longer kept (the Node addon keeps the
    /// last 4,096 per thread for callbacks that run after their parent ended).
    ParentExpired,
    /// The local store reached `FERROTRACE_LOCAL_MAX_BYTES`; its oldest segments were removed.
    LocalStoreRotated,
    /// A spilled record could not be read back (torn, corrupt, or not a trace).
    DamagedRecord,
    /// A trace whose root span had not ended when the process exited (`process.exit()` or
    /// `sys.exit()` inside a traced call, a SIGTERM): it can no longer be recorded.
    OpenAtExit,
    /// A trace still open `MLFLOW_TRACE_BUFFER_TTL_SECONDS` after it started: abandoned, as
    /// MLflow abandons it (its spans, and any that end later, are not exported).
    TraceBufferTtl,
}

impl DropReason {
    pub const ALL: [DropReason; 12] = [
        DropReason::QueueFull,
        DropReason::ExportFailed,
        DropReason::SpanAfterRootEnded,
        DropReason::InheritedByFork,
        DropReason::SpanNotEnded,
        DropReason::Rejected,
        DropReason::SpillFull,
        DropReason::ParentExpired,
        DropReason::LocalStoreRotated,
        DropReason::DamagedRecord,
        DropReason::OpenAtExit,
        DropReason::TraceBufferTtl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::ExportFailed => "export_failed",
            DropReason::SpanAfterRootEnded => "span_after_root_ended",
            DropReason::InheritedByFork => "inherited_by_fork",
            DropReason::SpanNotEnded => "span_not_ended",
            DropReason::Rejected => "rejected",
            DropReason::SpillFull => "spill_full",
            DropReason::ParentExpired => "parent_expired",
            DropReason::LocalStoreRotated => "local_store_rotated",
            DropReason::DamagedRecord => "damaged_record",
            DropReason::OpenAtExit => "open_at_exit",
            DropReason::TraceBufferTtl => "trace_buffer_ttl",
        }
    }
}

const N_REASONS: usize = DropReason::ALL.len();

/// Live counters, updated with relaxed atomics.
#[derive(Default)]
pub struct Stats {
    /// `spans_started` and `spans_ended`, counted per thread (no atomic add per span).
    pub(crate) spans: SpanCounts,
    pub traces_started: AtomicU64,
    pub traces_completed: AtomicU64,
    pub traces_sampled_out: AtomicU64,
    pub traces_exported: AtomicU64,
    pub spans_exported: AtomicU64,
    pub export_batches: AtomicU64,
    pub export_errors: AtomicU64,
    /// Requests an exporter sent again after a transient failure.
    pub export_retries: AtomicU64,
    pub export_latency_us_last: AtomicU64,
    pub export_latency_us_max: AtomicU64,
    /// Traces written to a spill folder (destination down, or the queue full).
    pub traces_spilled: AtomicU64,
    /// Traces delivered from a spill folder (this process's or an earlier one's).
    pub traces_replayed: AtomicU64,
    /// Values replaced by redaction rules.
    pub redactions: AtomicU64,
    /// Failures of the tracer itself that it recovered from (a binding's caught panic): the
    /// user's call went on; its span may lack a value.
    pub internal_errors: AtomicU64,
    /// Destinations that could not be built on the export thread (see `export::select`).
    pub exporter_errors: AtomicU64,
    dropped_traces: [AtomicU64; N_REASONS],
    /// Traces open when this process was forked from its parent (see [`Stats::forked`]).
    open_at_fork: AtomicU64,
    dropped_spans: [AtomicU64; N_REASONS],
}

impl Stats {
    #[inline]
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// Counts `traces` traces holding `spans` spans as dropped for `reason`; returns the number
    /// of traces dropped for that reason before this call.
    /// Traces started whose root span has neither ended nor been discarded, not counting
    /// those a forked child inherited open from its parent (see [`Stats::forked`]).
    pub fn open_traces(&self) -> u64 {
        self.open_since_start()
            .saturating_sub(self.open_at_fork.load(Relaxed))
    }

    fn open_since_start(&self) -> u64 {
        let dropped = |r: DropReason| self.dropped_traces[r as usize].load(Relaxed);
        self.traces_started
            .load(Relaxed)
            .saturating_sub(self.traces_completed.load(Relaxed))
            .saturating_sub(self.traces_sampled_out.load(Relaxed))
            .saturating_sub(dropped(DropReason::SpanNotEnded))
            .saturating_sub(dropped(DropReason::OpenAtExit))
            .saturating_sub(dropped(DropReason::TraceBufferTtl))
    }

    /// In a forked child (atomics only: called from the fork handler): the traces open at the
    /// fork are the parent's to report.
    pub fn forked(&self) {
        self.open_at_fork.store(self.open_since_start(), Relaxed);
    }

    pub fn drop_counted(&self, reason: DropReason, traces: u64, spans: u64) -> u64 {
        let i = reason as usize;
        self.dropped_spans[i].fetch_add(spans, Relaxed);
        self.dropped_traces[i].fetch_add(traces, Relaxed)
    }

    pub fn record_export(&self, traces: u64, spans: u64, latency_us: u64) {
        self.traces_exported.fetch_add(traces, Relaxed);
        self.spans_exported.fetch_add(spans, Relaxed);
        self.export_batches.fetch_add(1, Relaxed);
        self.export_latency_us_last.store(latency_us, Relaxed);
        self.export_latency_us_max.fetch_max(latency_us, Relaxed);
    }

    /// A consistent-enough copy for users (each counter is read once).
    pub fn snapshot(&self, queue_depth: usize, queue_bytes: u64) -> StatsSnapshot {
        let load = |c: &AtomicU64| c.load(Relaxed);
        let mut dropped_traces = BTreeMap::new();
        let mut dropped_spans = BTreeMap::new();
        for r in DropReason::ALL {
            let (t, s) = (
                load(&self.dropped_traces[r as usize]),
                load(&self.dropped_spans[r as usize]),
            );
            if t > 0 || s > 0 {
                dropped_traces.insert(r.as_str().to_owned(), t);
                dropped_spans.insert(r.as_str().to_owned(), s);
            }
        }
        let (spans_started, spans_ended) = self.spans.totals();
        StatsSnapshot {
            spans_started,
            spans_ended,
            traces_started: load(&self.traces_started),
            traces_completed: load(&self.traces_completed),
            traces_sampled_out: load(&self.traces_sampled_out),
            traces_exported: load(&self.traces_exported),
            spans_exported: load(&self.spans_exported),
            export_batches: load(&self.export_batches),
            export_errors: load(&self.export_errors),
            export_retries: load(&self.export_retries),
            export_latency_us_last: load(&self.export_latency_us_last),
            export_latency_us_max: load(&self.export_latency_us_max),
            traces_spilled: load(&self.traces_spilled),
            traces_replayed: load(&self.traces_replayed),
            redactions: load(&self.redactions),
            internal_errors: load(&self.internal_errors),
            exporter_errors: load(&self.exporter_errors),
            traces_pending: load(&self.traces_completed)
                .saturating_sub(load(&self.traces_exported))
                .saturating_sub(load(&self.traces_spilled))
                // Traces dropped while open were never completed: they are not pending either.
                .saturating_sub(
                    dropped_traces
                        .iter()
                        .filter(|(k, _)| {
                            k.as_str() != DropReason::OpenAtExit.as_str()
                                && k.as_str() != DropReason::TraceBufferTtl.as_str()
                        })
                        .map(|(_, v)| v)
                        .sum::<u64>(),
                ),
            traces_dropped: dropped_traces.values().sum(),
            spans_dropped: dropped_spans.values().sum(),
            dropped_traces,
            dropped_spans,
            queue_depth: queue_depth as u64,
            queue_bytes,
        }
    }
}

/// What `stats()` returns in every language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub spans_started: u64,
    pub spans_ended: u64,
    pub traces_started: u64,
    pub traces_completed: u64,
    pub traces_sampled_out: u64,
    pub traces_exported: u64,
    pub spans_exported: u64,
    pub export_batches: u64,
    /// Batches an exporter could not deliver.
    pub export_errors: u64,
    /// Requests sent again after a transient failure (server down, 5xx, 429).
    pub export_retries: u64,
    pub export_latency_us_last: u64,
    pub export_latency_us_max: u64,
    /// Values replaced by redaction rules (`[REDACTED:<rule>]`).
    pub redactions: u64,
    /// Internal failures recovered from (each also a rate-limited warning).
    pub internal_errors: u64,
    /// Destinations that could not be set up (an unreadable CA bundle: each also a warning
    /// naming the setting); their traces went to the local store.
    pub exporter_errors: u64,
    pub traces_dropped: u64,
    pub spans_dropped: u64,
    /// Traces written to a spill folder to be delivered later.
    pub traces_spilled: u64,
    /// Traces delivered from a spill folder.
    pub traces_replayed: u64,
    /// Traces completed but neither exported, spilled nor dropped yet (queued or being
    /// exported).
    pub traces_pending: u64,
    /// Dropped traces by reason (`queue_full`, `export_failed`, ...); only non-zero reasons.
    pub dropped_traces: BTreeMap<String, u64>,
    pub dropped_spans: BTreeMap<String, u64>,
    pub queue_depth: u64,
    /// Estimated bytes of the queued traces.
    pub queue_bytes: u64,
}

impl StatsSnapshot {
    /// One line for the exit log, or `None` when nothing was lost.
    pub fn loss_summary(&self) -> Option<String> {
        if self.traces_dropped == 0 && self.spans_dropped == 0 {
            return None;
        }
        // Per reason both counts: a trace open at exit may be counted with no span.
        let reasons: Vec<String> = self
            .dropped_spans
            .iter()
            .map(|(k, s)| {
                let t = self.dropped_traces.get(k).copied().unwrap_or(0);
                format!("{k}: {t} trace(s), {s} span(s)")
            })
            .collect();
        Some(format!(
            "{} trace(s) / {} span(s) were not delivered ({}); exported {} trace(s)",
            self.traces_dropped,
            self.spans_dropped,
            reasons.join(", "),
            self.traces_exported
        ))
    }
}
