//! Traces the queue had no room for: a second bounded channel drained by its own thread, which
//! finalizes them (redaction happens there, before any disk write) and writes them to each
//! destination's spill folder (or straight into the local store). The application thread only
//! ever does a `try_send`; the worker is free to be stuck on a slow server meanwhile.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use parking_lot::Mutex;

use super::batch::Finalized;
use super::spill::SpillStore;
use super::watch::Watch;
use super::worker::WorkerShared;
use super::Queued;
use crate::export::{Exporter, LocalStoreExporter};
use crate::model::Trace;
use crate::stats::DropReason;

/// How often the overflow thread looks at the worker while no overflow arrives.
const WATCH_TICK: Duration = Duration::from_millis(250);

/// Where one destination's overflow goes.
pub(crate) enum Target {
    /// A remote destination's spill folder (shared with its lane).
    Spill(Arc<Mutex<SpillStore>>),
    /// The local store, written by a writer of its own (its own segment files).
    Local(Mutex<LocalStoreExporter>),
}

/// The overflow targets of the destinations that can take overflow. With none (the memory
/// destination alone), a full queue drops (`queue_full`).
pub(crate) struct Overflow {
    pub(crate) targets: Vec<Target>,
    /// Destinations without a target: they never see overflowed traces, so those count as
    /// dropped (`queue_full`) even though the other destinations have them.
    pub(crate) missing: usize,
    pub(crate) shared: WorkerShared,
    /// Estimated bytes waiting in the overflow channel.
    pub(crate) bytes: Arc<AtomicU64>,
    /// Estimated bytes written since the worker last returned freed memory (`memory.rs`).
    pub(crate) handled: AtomicU64,
}

impl Overflow {
    pub(crate) fn enabled(&self) -> bool {
        !self.targets.is_empty()
    }

    /// Finalizes and writes traces that never went through the worker, a batch (at most
    /// `max_batch` traces) at a time: the recent-traces cache keeps a batch alive while it holds
    /// any of its traces, so one batch of everything a flush drained would stay in memory whole.
    pub(crate) fn write_raw(&self, traces: Vec<Trace>) {
        let max = self.shared.max_batch.max(1);
        let mut traces = traces.into_iter();
        let mut cached = Default::default();
        loop {
            let mut chunk: Vec<Trace> = traces.by_ref().take(max).collect();
            if chunk.is_empty() {
                return;
            }
            // The overflow targets (spill folders, the local store) write shared metadata out.
            let batch = self.shared.finalize(&mut chunk, &mut cached, false);
            self.write_finalized(&batch);
        }
    }

    /// Writes finalized traces to every target and counts the result once per trace.
    pub(crate) fn write_finalized(&self, finalized: &Finalized) {
        let (batch, shared) = (&finalized.traces[..], &finalized.shared);
        if batch.is_empty() {
            return;
        }
        let stats = &self.shared.stats;
        let (mut spilled, mut failed) = (false, false);
        for target in &self.targets {
            let ok = match target {
                Target::Spill(s) => {
                    spilled = true;
                    s.lock().write(batch, shared, stats).is_ok()
                }
                Target::Local(l) => {
                    let mut l = l.lock();
                    let ok = l.export(batch, shared).is_ok();
                    for (reason, traces, spans) in l.take_dropped() {
                        stats.drop_counted(reason, traces, spans);
                    }
                    ok
                }
            };
            failed |= !ok;
        }
        let traces = batch.len() as u64;
        let spans: u64 = batch.iter().map(|t| t.spans.len() as u64).sum();
        if self.targets.is_empty() {
            // Overflow from before the exporters were built, and none of them keeps any.
            crate::diag::warn(
                "queue_full",
                "the export queue is full (the destination is slower than the application); traces are being dropped and counted in stats()",
            );
            stats.drop_counted(DropReason::QueueFull, traces, spans);
        } else if failed || self.missing > 0 {
            let message = if failed {
                "the export queue was full and the overflow could not be written to disk; traces dropped"
            } else {
                "the export queue was full: the overflow was written to disk for the destinations that keep a spill folder, the others miss those traces (counted as queue_full)"
            };
            crate::diag::warn("spill_write", message);
            stats.drop_counted(DropReason::QueueFull, traces, spans);
        } else if spilled {
            stats.traces_spilled.fetch_add(traces, Relaxed);
        } else {
            // Written straight into the local store: delivered, but not an export call whose
            // latency would mean anything.
            stats.traces_exported.fetch_add(traces, Relaxed);
            stats.spans_exported.fetch_add(spans, Relaxed);
        }
    }
}

/// The overflow thread: writes what arrives, a batch at a time, until the channel closes.
/// Between batches it watches the worker (see [`Watch`]).
pub(crate) fn run(rx: Receiver<Queued>, overflow: Arc<Overflow>, watch: Option<Watch>) {
    let max = overflow.shared.max_batch.max(1);
    loop {
        if let Some(w) = &watch {
            w.check(&overflow);
        }
        let first = match rx.recv_timeout(WATCH_TICK) {
            Ok(q) => q,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        crate::diag::warn(
            "queue_full",
            "the export queue is full (the destination is slower than the application); the overflow is written to disk (spill folder or local store) and counted in stats()",
        );
        let mut batch = vec![take(first, &overflow)];
        while batch.len() < max {
            match rx.try_recv() {
                Ok(q) => batch.push(take(q, &overflow)),
                Err(_) => break,
            }
        }
        overflow.write_raw(batch);
    }
}

/// Drains what is in the channel now (flush, and the exit hook's rescue).
pub(crate) fn drain(rx: &Receiver<Queued>, overflow: &Overflow) {
    let mut batch = Vec::new();
    while let Ok(q) = rx.try_recv() {
        batch.push(take(q, overflow));
    }
    overflow.write_raw(batch);
}

fn take(q: Queued, overflow: &Overflow) -> Trace {
    overflow.bytes.fetch_sub(q.bytes, Relaxed);
    overflow.handled.fetch_add(q.bytes, Relaxed);
    q.trace.take()
}

#[cfg(test)]
mod tests;
