//! Finished traces never wait only in memory for a slow or silent destination. The exporter
//! retries a batch for up to its retry window (30 s by default), and everything queued behind
//! it waits too: a SIGTERM, an OOM kill or `kill -9` in that window would lose all of it. When
//! the worker has been sending for longer than [`SPILL_AFTER`], the overflow thread (which is
//! idle then) writes a copy of the batch in flight to the spill folders of the destinations
//! still to take it, each in a segment of its own, and moves what waits in the queue to disk
//! (as overflow). The send goes on; if it succeeds after all, its copy is removed again (unless
//! a replay already claimed it: the server then takes the second copy as an update).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use parking_lot::Mutex;

use super::batch::Batch;
use super::lane::Outcome;
use super::overflow::Overflow;
use super::spill::SpillStore;
use super::Queued;

/// How long the worker may be busy with one send before what it holds is also put on disk.
pub(crate) const SPILL_AFTER: Duration = Duration::from_secs(2);

/// What the worker is sending right now, shared with the exit rescue and the overflow thread.
#[derive(Default)]
pub(crate) struct Inflight {
    /// The batch being delivered (finalized), if the send is one of a new batch.
    pub(crate) batch: Option<Batch>,
    /// Since when the worker has been busy with the current send (a batch, or a replayed one).
    pub(crate) since: Option<Instant>,
    /// The lane delivering `batch` now: those before it are done with it.
    pub(crate) lane_at: usize,
    /// Whether `batch` was copied to disk already.
    pub(crate) copied: bool,
    /// The copies: (lane index, segment).
    pub(crate) copies: Vec<(usize, PathBuf)>,
}

impl Inflight {
    pub(crate) fn start(&mut self, batch: Option<Batch>) {
        self.batch = batch;
        self.since = Some(Instant::now());
        self.lane_at = 0;
        self.copied = false;
        self.copies.clear();
    }

    /// The send is over: returns the copies made of its batch.
    pub(crate) fn end(&mut self) -> Vec<(usize, PathBuf)> {
        self.batch = None;
        self.since = None;
        self.copied = false;
        std::mem::take(&mut self.copies)
    }

    /// Whether lane `lane` has a copy of the batch on disk already.
    pub(crate) fn has_copy(&self, lane: usize) -> bool {
        self.copies.iter().any(|(i, _)| *i == lane)
    }
}

/// The overflow thread's view of the worker.
pub(crate) struct Watch {
    pub(crate) inflight: Arc<Mutex<Inflight>>,
    /// Each lane's spill folder (by lane index), if it has one.
    pub(crate) spills: Vec<Option<Arc<Mutex<SpillStore>>>>,
    pub(crate) data: Receiver<Queued>,
    pub(crate) queued_bytes: Arc<AtomicU64>,
}

impl Watch {
    /// Puts on disk what a worker busy for longer than [`SPILL_AFTER`] holds in memory.
    pub(crate) fn check(&self, overflow: &Overflow) {
        {
            let mut f = self.inflight.lock();
            if f.since.is_none_or(|t| t.elapsed() < SPILL_AFTER) {
                return;
            }
            if let (Some(batch), false) = (f.batch.clone(), f.copied) {
                f.copied = true;
                let stats = &overflow.shared.stats;
                for (i, spill) in self.spills.iter().enumerate().skip(f.lane_at) {
                    let Some(spill) = spill else { continue };
                    match spill
                        .lock()
                        .write_apart(&batch.traces, &batch.shared, stats)
                    {
                        Ok(Some(path)) => f.copies.push((i, path)),
                        Ok(None) => {}
                        Err(e) => crate::diag::warn(
                            "spill_write",
                            format!(
                                "could not write to the spill folder (FERROTRACE_SPILL_DIR): {e}"
                            ),
                        ),
                    }
                }
                if !f.copies.is_empty() {
                    crate::diag::warn(
                        "slow_destination",
                        format!(
                            "the destination has not answered for {} s: the traces being sent and those queued behind them are also kept in the spill folder meanwhile",
                            SPILL_AFTER.as_secs()
                        ),
                    );
                }
            }
        }
        let mut waiting = Vec::new();
        while let Ok(q) = self.data.try_recv() {
            self.queued_bytes.fetch_sub(q.bytes, Relaxed);
            overflow.handled.fetch_add(q.bytes, Relaxed);
            waiting.push(q.trace.take());
        }
        overflow.write_raw(waiting);
    }
}

/// After a send: copies of a batch its lane delivered (or refused for good) are removed; a lane
/// that spilled it keeps its copy as the spilled one.
pub(crate) fn settle(
    copies: Vec<(usize, PathBuf)>,
    outcomes: &[Outcome],
    spills: &[Option<Arc<Mutex<SpillStore>>>],
) {
    for (lane, path) in copies {
        if outcomes.get(lane) == Some(&Outcome::Spilled) {
            continue;
        }
        if let Some(Some(spill)) = spills.get(lane) {
            spill.lock().discard(&path);
        }
    }
}
