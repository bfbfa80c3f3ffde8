//! One destination's delivery: its exporter, its spill folder, and whether it is up.
//!
//! A batch goes to the exporter (which retries within its budget). When it still fails with a
//! transient error, the batch is spilled and the lane is down: later batches are spilled
//! without a send, in order, until the next probe (doubling waits, 0.5 s up to
//! `FERROTRACE_PROBE_MAX_INTERVAL`); a probe is one single attempt, with the oldest spilled
//! segment or the current batch. Once the destination answers, the spill is replayed. A
//! permanent refusal (4xx) is dropped with reason `rejected`: sending it again cannot help.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::batch::Finalized;
use super::spill::{Claimed, SpillStore};
use crate::error::Error;
use crate::export::{Capabilities, Exporter};
use crate::model::{SharedMetadata, Trace};
use crate::stats::{DropReason, Stats};

const FIRST_PROBE: Duration = Duration::from_millis(500);
/// The most traces one replay step sends (its progress is recorded after each step).
const REPLAY_BATCH: usize = 50;

/// What happened to a batch in one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Delivered,
    Spilled,
    Dropped(DropReason),
}

pub(crate) struct Lane {
    pub(crate) exporter: Box<dyn Exporter>,
    /// The exporter's capabilities, read once when the lane is made.
    pub(crate) caps: Capabilities,
    pub(crate) spill: Option<Arc<Mutex<SpillStore>>>,
    down_until: Option<Instant>,
    backoff: Duration,
    probe_max: Duration,
    /// The spilled segment being replayed, a batch at a time.
    replaying: Option<Replay>,
}

struct Replay {
    claim: Claimed,
    traces: Vec<Trace>,
    /// How many of `traces` were delivered (by this process or an earlier one).
    next: usize,
}

impl Lane {
    pub(crate) fn new(
        exporter: Box<dyn Exporter>,
        caps: Capabilities,
        spill: Option<Arc<Mutex<SpillStore>>>,
        probe_max: Duration,
    ) -> Lane {
        Lane {
            exporter,
            caps,
            spill,
            down_until: None,
            backoff: Duration::ZERO,
            probe_max: probe_max.max(Duration::from_millis(10)),
            replaying: None,
        }
    }

    fn is_resting(&self) -> bool {
        self.down_until.is_some_and(|t| Instant::now() < t)
    }

    fn went_down(&mut self) {
        self.backoff = if self.backoff.is_zero() {
            FIRST_PROBE
        } else {
            (self.backoff * 2).min(self.probe_max)
        }
        .min(self.probe_max);
        let jittered = self.backoff.mul_f64(0.5 + fastrand::f64() * 0.5);
        self.down_until = Some(Instant::now() + jittered);
    }

    fn came_up(&mut self) {
        self.down_until = None;
        self.backoff = Duration::ZERO;
    }

    /// One export call, its retries counted in `stats`.
    fn export_counted(
        &mut self,
        batch: &[Trace],
        shared: &SharedMetadata,
        stats: &Stats,
    ) -> crate::Result<()> {
        let result = self.exporter.export(batch, shared);
        let retries = self.caps.counts.take_retries();
        if retries > 0 {
            stats.export_retries.fetch_add(retries, Relaxed);
        }
        for (reason, traces, spans) in self.caps.counts.take_dropped() {
            stats.drop_counted(reason, traces, spans);
        }
        result
    }

    /// Delivers a finalized batch, or spills it, or drops it with a reason.
    /// `copied`: whether a copy of the batch is on disk for this lane already (made while the
    /// send took long, see [`super::watch`]); a failed send then keeps that copy as the spill.
    pub(crate) fn deliver(
        &mut self,
        batch: &Finalized,
        stats: &Stats,
        no_send: bool,
        copied: impl Fn() -> bool,
    ) -> Outcome {
        if self.spill.is_some() && (no_send || self.is_resting()) {
            return self.spill_batch(batch, stats);
        }
        match self.export_counted(&batch.traces, &batch.shared, stats) {
            Ok(()) => {
                self.came_up();
                Outcome::Delivered
            }
            Err(e) => {
                Stats::inc(&stats.export_errors);
                self.failed(batch.traces.len(), &e);
                if e.is_retryable() {
                    self.went_down();
                    if self.spill.is_some() {
                        if copied() {
                            return Outcome::Spilled;
                        }
                        return self.spill_batch(batch, stats);
                    }
                    Outcome::Dropped(DropReason::ExportFailed)
                } else {
                    Outcome::Dropped(refusal_reason(&e))
                }
            }
        }
    }

    fn failed(&self, traces: usize, e: &Error) {
        let what = if e.is_retryable() {
            if self.spill.is_some() {
                "kept in the spill folder to be sent again when it answers"
            } else {
                "dropped (export_failed)"
            }
        } else {
            "dropped (rejected): sending them again cannot succeed"
        };
        crate::diag::warn(
            warn_kind(e),
            format!(
                "could not deliver {traces} trace(s) to the {} destination: {e}{}; {what}",
                self.caps.name,
                refusal_hint(e)
            ),
        );
    }

    fn spill_batch(&mut self, batch: &Finalized, stats: &Stats) -> Outcome {
        let Some(spill) = &self.spill else {
            return Outcome::Dropped(DropReason::ExportFailed);
        };
        match spill.lock().write(&batch.traces, &batch.shared, stats) {
            Ok(()) => Outcome::Spilled,
            Err(e) => {
                crate::diag::warn(
                    "spill_write",
                    format!("could not write to the spill folder (FERROTRACE_SPILL_DIR): {e}; traces dropped"),
                );
                Outcome::Dropped(DropReason::ExportFailed)
            }
        }
    }

    /// Whether there is spilled work this lane could try now.
    pub(crate) fn wants_replay(&self) -> bool {
        !self.is_resting() && self.spill.as_ref().is_some_and(|s| s.lock().has_pending())
    }

    /// One step of replay: sends the next batch (at most `max_batch` traces) of the spilled
    /// segment being replayed, claiming the oldest one first if none is. Returns whether it made
    /// progress (so the caller may continue). Progress is recorded per batch next to the
    /// segment, so a process that ends in the middle of one leaves the rest, not all of it, to
    /// the next. A transient failure gives the segment back and the lane goes down; a refused
    /// batch is dropped (`rejected`) so it cannot block the rest.
    pub(crate) fn replay_one(&mut self, stats: &Stats, max_batch: usize) -> bool {
        let Some(spill) = self.spill.clone() else {
            return false;
        };
        let mut r = match self.replaying.take() {
            Some(r) => r,
            None => {
                if !self.wants_replay() {
                    return false;
                }
                let Some(claim) = spill.lock().claim_next() else {
                    return false;
                };
                let traces = claim.read_counted(stats);
                let next = claim.delivered().min(traces.len());
                Replay {
                    claim,
                    traces,
                    next,
                }
            }
        };
        // Small steps: a short-lived process, or a slow server, still completes some.
        let end = (r.next + max_batch.clamp(1, REPLAY_BATCH)).min(r.traces.len());
        let chunk = &r.traces[r.next..end];
        if !chunk.is_empty() {
            // Records read back are whole traces: nothing is shared.
            match self.export_counted(chunk, &SharedMetadata::new(), stats) {
                Ok(()) => {
                    self.came_up();
                    stats.traces_replayed.fetch_add(chunk.len() as u64, Relaxed);
                }
                Err(e) if e.is_retryable() => {
                    Stats::inc(&stats.export_errors);
                    self.went_down();
                    spill.lock().release(r.claim);
                    return false;
                }
                Err(e) => {
                    Stats::inc(&stats.export_errors);
                    self.failed(chunk.len(), &e);
                    let spans = chunk.iter().map(|t| t.spans.len() as u64).sum();
                    stats.drop_counted(refusal_reason(&e), chunk.len() as u64, spans);
                }
            }
            r.next = end;
        }
        if r.next < r.traces.len() {
            r.claim.record_delivered(r.next);
            self.replaying = Some(r);
        } else {
            r.claim.forget_progress();
            spill.lock().finish(r.claim);
        }
        true
    }

    /// Whether a segment is being replayed (the worker then does not wait between batches).
    pub(crate) fn is_replaying(&self) -> bool {
        self.replaying.is_some()
    }

    /// Gives the segment being replayed back (its progress stays recorded next to it).
    pub(crate) fn stop_replay(&mut self) {
        if let (Some(r), Some(spill)) = (self.replaying.take(), &self.spill) {
            spill.lock().release(r.claim);
        }
    }
}

/// A permanent failure with an HTTP status is a refusal (`rejected`); anything else (a local
/// store that cannot be written, TLS) keeps the old reason.
fn refusal_reason(e: &Error) -> DropReason {
    if e.http_status().is_some() {
        DropReason::Rejected
    } else {
        DropReason::ExportFailed
    }
}

/// What a refusal usually means, so the message names the cause.
fn refusal_hint(e: &Error) -> &'static str {
    match e.http_status() {
        Some(400) => " (the server could not parse the request)",
        Some(401 | 403) => " (credentials missing or refused)",
        Some(404) => " (the experiment or the endpoint does not exist on this server)",
        Some(413) => " (the request is larger than the server accepts)",
        Some(422) => " (the server could not process the request's content)",
        _ => "",
    }
}

/// Warnings are rate-limited per kind: an authentication problem, a refusal and an outage each
/// get their own line instead of hiding one another.
fn warn_kind(e: &Error) -> &'static str {
    match e {
        Error::Auth { .. } => "export_auth",
        Error::NotFound { .. } | Error::Rejected { .. } => "export_rejected",
        _ => "export_failed",
    }
}
