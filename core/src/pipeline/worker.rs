//! The export worker thread: batches from the queue, finalized once, handed to every lane;
//! spilled traces replayed when the queue is idle.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver};
use parking_lot::{Mutex, RwLock};

use super::batch::{Batch, Finalized, RecentTrace};
use super::lane::{Lane, Outcome};
use super::memory::Trimmer;
use super::overflow::{self, Overflow};
use super::spill::SpillStore;
use super::watch::{self, Inflight};
use super::{Control, Queued};
use crate::model::keys::{meta::SCHEMA_VERSION, TRACE_SCHEMA_VERSION};
use crate::model::{SharedMetadata, Trace};
use crate::process::{prepare_shared, LazyRedactor};
use crate::stats::Stats;

/// How often an idle worker looks at its spill folders.
const TICK: Duration = Duration::from_millis(200);
/// A replayed batch of spilled traces (read back and sent) counts as this many bytes for the
/// [`Trimmer`].
const REPLAYED_BATCH_BYTES: u64 = 1 << 17;

/// After exporting, while traces keep coming, the worker waits this long for more without
/// watching the queue (only the control channel): a sender then finds no parked receiver to
/// wake, where otherwise every trace cost the application's thread a futex call and the
/// machine a context switch (about four `futex` calls per traced LLM call, measured). Flush,
/// shutdown and a queue half full (see `Pipeline::nudge`) end the wait at once; when nothing
/// came in, the next wait parks on the queue as before. Traces reach their destination at most
/// this much later.
pub(crate) const LINGER: Duration = Duration::from_millis(5);
/// The worker lingers only after a batch this small: traces that come one at a time (an LLM
/// call each, a request each) are what a wake per trace costs most; a full batch already
/// shares one wake among many traces, and the application keeps its previous rhythm.
const LINGER_MAX_BATCH: usize = 16;

/// How long the worker waits for the recent-traces cache before skipping it.
pub(crate) const RECENT_LOCK_WAIT: Duration = Duration::from_millis(20);

/// What the worker shares with the tracer.
#[derive(Clone)]
pub(crate) struct WorkerShared {
    pub(crate) stats: Arc<Stats>,
    pub(crate) process_metadata: Arc<RwLock<BTreeMap<String, String>>>,
    pub(crate) max_batch: usize,
    /// Recently finalized traces, newest last, for `get_trace` without a server round trip.
    pub(crate) recent: Arc<Mutex<VecDeque<RecentTrace>>>,
    pub(crate) recent_max: usize,
    /// The redaction rules in force (replaced when the configuration changes).
    pub(crate) redactor: Arc<RwLock<Arc<LazyRedactor>>>,
}

impl WorkerShared {
    /// Redacts and finalizes traces, the one step before a trace is exported or written to
    /// disk anywhere (worker, overflow thread, exit rescue), into a batch remembered for
    /// `get_trace`. The process metadata goes with the batch, not into each trace, unless
    /// `whole` (a destination reads each trace's metadata, see
    /// [`crate::export::Exporter::writes_shared_metadata`]): then it is copied into them here,
    /// in place. `cached` is the caller's last copy of it, reused while it is unchanged.
    pub(crate) fn finalize(
        &self,
        traces: &mut Vec<Trace>,
        cached: &mut Arc<SharedMetadata>,
        whole: bool,
    ) -> Batch {
        {
            // Compared or copied, never held over the batch: a read lock that a fork catches
            // held is never released in the child, and would block its writers for good.
            let current = self.process_metadata.read();
            if !is_shared_of(cached, &current) {
                let mut shared = current.clone();
                shared.insert(SCHEMA_VERSION.into(), TRACE_SCHEMA_VERSION.into());
                *cached = Arc::new(shared);
            }
        }
        let redactor = self.redactor.read().clone();
        let redactions: u64 = traces
            .iter_mut()
            .map(|t| prepare_shared(t, cached, redactor.get()))
            .sum();
        if redactions > 0 {
            self.stats.redactions.fetch_add(redactions, Relaxed);
        }
        let shared = if whole {
            for t in traces.iter_mut() {
                t.info.add_metadata(cached);
            }
            Arc::default()
        } else {
            cached.clone()
        };
        let batch = Arc::new(Finalized {
            // Moved, not copied, into one allocation sized to the batch.
            traces: traces.drain(..).collect(),
            shared,
        });
        self.remember(&batch);
        batch
    }

    fn remember(&self, batch: &Batch) {
        if self.recent_max == 0 {
            return;
        }
        let keep = batch.traces.len().min(self.recent_max);
        let evicted: Vec<RecentTrace> = {
            // Only a cache: skipped rather than waited for. In a forked child it may be held for
            // good by the parent's worker, which the fork did not copy.
            let Some(mut recent) = self.recent.try_lock_for(RECENT_LOCK_WAIT) else {
                return;
            };
            let over = (recent.len() + keep).saturating_sub(self.recent_max);
            let evicted = recent.drain(..over).collect();
            let n = batch.traces.len();
            recent.extend((n - keep..n).map(|index| RecentTrace::new(batch, index)));
            evicted
        };
        // A batch whose last trace left is freed here, with the lock released.
        drop(evicted);
    }
}

/// Whether `shared` is the process metadata `process` plus the schema version, which every
/// trace has (so no trace needs its own copy of it).
fn is_shared_of(shared: &SharedMetadata, process: &BTreeMap<String, String>) -> bool {
    shared.get(SCHEMA_VERSION).map(String::as_str) == Some(TRACE_SCHEMA_VERSION)
        && shared.len() == process.len() + usize::from(!process.contains_key(SCHEMA_VERSION))
        && process
            .iter()
            .all(|(k, v)| k == SCHEMA_VERSION || shared.get(k) == Some(v))
}

/// Everything the worker thread owns or drains.
pub(crate) struct Parts {
    pub(crate) lanes: Vec<Lane>,
    pub(crate) data: Receiver<Queued>,
    pub(crate) queued_bytes: Arc<AtomicU64>,
    pub(crate) over: Receiver<Queued>,
    pub(crate) overflow: Arc<Overflow>,
    pub(crate) ctl: Receiver<Control>,
    /// Set while the worker lingers (see [`LINGER`]).
    pub(crate) lingering: Arc<AtomicBool>,
    pub(crate) inflight: Arc<Mutex<Inflight>>,
    /// Each lane's spill folder (by lane index), if it has one.
    pub(crate) spills: Vec<Option<Arc<Mutex<SpillStore>>>>,
}

struct Worker {
    p: Parts,
    shared: WorkerShared,
    batch: Vec<Trace>,
    /// The process metadata the last batch went out with.
    metadata: Arc<SharedMetadata>,
    /// Some destination reads each trace's metadata: it is copied into the traces.
    whole: bool,
    /// Set at shutdown: batches after it are spilled without a send.
    deadline: Option<Instant>,
    trimmer: Trimmer,
}

pub(crate) fn run(parts: Parts, shared: WorkerShared) {
    let mut w = Worker {
        batch: Vec::with_capacity(shared.max_batch),
        metadata: Arc::default(),
        whole: parts
            .lanes
            .iter()
            .any(|lane| !lane.caps.writes_shared_metadata),
        p: parts,
        shared,
        deadline: None,
        trimmer: Trimmer::default(),
    };
    loop {
        let (data, ctl) = (w.p.data.clone(), w.p.ctl.clone());
        // In the middle of a spilled segment: the next batch of it goes as soon as nothing
        // else is waiting.
        let tick = if w.p.lanes.iter().any(Lane::is_replaying) {
            Duration::ZERO
        } else {
            TICK
        };
        select! {
            recv(data) -> msg => match msg {
                Ok(q) => {
                    w.push(q);
                    w.fill();
                    let sparse = w.batch.len() <= LINGER_MAX_BATCH;
                    w.export();
                    if sparse && w.p.data.is_empty() {
                        match w.linger() {
                            Ok(true) => {}
                            Ok(false) => return,
                            Err(()) => break,
                        }
                    }
                }
                Err(_) => break,
            },
            recv(ctl) -> msg => match msg {
                Ok(c) => {
                    if !w.control(c) {
                        return;
                    }
                }
                Err(_) => break,
            },
            default(tick) => {}
        }
        if w.p.data.is_empty() {
            if w.replay_one() {
                w.trimmer.handled(REPLAYED_BATCH_BYTES);
            } else if !w.p.overflow.enabled() && !w.p.over.is_empty() {
                // Overflow from before the exporters were built, with nowhere to go.
                overflow::drain(&w.p.over, &w.p.overflow);
            } else if w.p.over.is_empty() {
                // The whole pipeline is idle: a trim now holds no thread of the app up.
                w.trimmer.handled(w.p.overflow.handled.swap(0, Relaxed));
                w.trimmer.idle();
            }
        }
    }
    w.drain();
    w.stop_replay();
}

impl Worker {
    /// Handles a control message; false once the worker has shut down.
    fn control(&mut self, c: Control) -> bool {
        match c {
            Control::Flush(reply, deadline) => {
                self.flush(deadline);
                let _ = reply.send(());
            }
            Control::Shutdown(reply, deadline) => {
                self.shutdown(deadline);
                let _ = reply.send(());
                return false;
            }
            Control::Wake => {}
        }
        true
    }

    /// Waits up to [`LINGER`] on the control channel alone (see there), handling a message
    /// that comes meanwhile: false once the worker has shut down, `Err` if the channel closed.
    fn linger(&mut self) -> Result<bool, ()> {
        use crossbeam_channel::RecvTimeoutError;
        self.p.lingering.store(true, Relaxed);
        let got = self.p.ctl.recv_timeout(LINGER);
        self.p.lingering.store(false, Relaxed);
        match got {
            Ok(c) => Ok(self.control(c)),
            Err(RecvTimeoutError::Timeout) => Ok(true),
            Err(RecvTimeoutError::Disconnected) => Err(()),
        }
    }

    fn push(&mut self, q: Queued) {
        self.p.queued_bytes.fetch_sub(q.bytes, Relaxed);
        self.trimmer.handled(q.bytes);
        self.batch.push(q.trace.take());
    }

    fn fill(&mut self) {
        while self.batch.len() < self.shared.max_batch {
            match self.p.data.try_recv() {
                Ok(q) => self.push(q),
                Err(_) => break,
            }
        }
    }

    /// Exports everything queued right now, a batch at a time.
    fn drain(&mut self) {
        loop {
            self.fill();
            if self.batch.is_empty() {
                break;
            }
            self.export();
        }
        overflow::drain(&self.p.over, &self.p.overflow);
    }

    fn flush(&mut self, deadline: Instant) {
        self.set_deadline(Some(deadline));
        self.drain();
        // What is spilled counts as handed over; still, send it now if the destination is up.
        while Instant::now() < deadline && self.replay_one() {}
        for lane in self.p.lanes.iter_mut() {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Err(e) = lane.exporter.flush(left) {
                crate::diag::warn(
                    "flush_failed",
                    format!("flushing the {} destination failed: {e}", lane.caps.name),
                );
            }
        }
        self.set_deadline(None);
    }

    fn shutdown(&mut self, deadline: Instant) {
        self.set_deadline(Some(deadline));
        self.deadline = Some(deadline);
        self.drain();
        // Time left is spent on the spilled backlog while it moves (a batch at a time, its
        // progress recorded), so even a short-lived process leaves less of it to the next.
        while Instant::now() < deadline && self.replay_one() {}
        self.stop_replay();
        for lane in self.p.lanes.iter_mut() {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Err(e) = lane.exporter.shutdown(left) {
                crate::diag::warn(
                    "flush_failed",
                    format!("closing the {} destination failed: {e}", lane.caps.name),
                );
            }
        }
    }

    fn stop_replay(&mut self) {
        for lane in self.p.lanes.iter_mut() {
            lane.stop_replay();
        }
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        for lane in self.p.lanes.iter_mut() {
            lane.exporter.deadline().set(deadline);
        }
    }

    /// Replays one batch of spilled traces of the first lane that has some; whether anything
    /// was done.
    fn replay_one(&mut self) -> bool {
        let max = self.shared.max_batch;
        let stats = self.shared.stats.clone();
        self.p.inflight.lock().start(None);
        let done = self
            .p
            .lanes
            .iter_mut()
            .any(|lane| lane.replay_one(&stats, max));
        self.p.inflight.lock().end();
        done
    }

    /// Finalizes the batch once and hands it to every lane. A trace counts once, by its worst
    /// outcome: dropped (with the reason) over spilled over exported.
    fn export(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = self
            .shared
            .finalize(&mut self.batch, &mut self.metadata, self.whole);
        self.p.inflight.lock().start(Some(batch.clone()));
        let stats = &self.shared.stats;
        let spans: u64 = batch.traces.iter().map(|t| t.spans.len() as u64).sum();
        let traces = batch.traces.len() as u64;
        let started = Instant::now();
        let no_send = self.deadline.is_some_and(|d| Instant::now() >= d);
        let inflight = &self.p.inflight;
        let outcomes: Vec<Outcome> = self
            .p
            .lanes
            .iter_mut()
            .enumerate()
            .map(|(i, lane)| {
                inflight.lock().lane_at = i;
                lane.deliver(&batch, stats, no_send, || inflight.lock().has_copy(i))
            })
            .collect();
        let copies = inflight.lock().end();
        watch::settle(copies, &outcomes, &self.p.spills);
        let worst = outcomes.into_iter().max().unwrap_or(Outcome::Delivered);
        match worst {
            Outcome::Delivered => {
                stats.record_export(traces, spans, started.elapsed().as_micros() as u64)
            }
            Outcome::Spilled => {
                stats.traces_spilled.fetch_add(traces, Relaxed);
            }
            Outcome::Dropped(reason) => {
                stats.drop_counted(reason, traces, spans);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
