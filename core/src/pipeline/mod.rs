//! COLD PATH: the bounded hand-off from application threads to one export worker per process.
//!
//! Application threads only ever `try_send` a sealed trace. The queue is bounded in traces and
//! in estimated bytes; what does not fit goes to a second bounded channel whose own thread
//! writes it to disk (see [`overflow`]), and only when that is full too is a trace dropped
//! (`queue_full`). The worker drains the queue (up to a batch), finalizes the traces and hands
//! them to each destination's [`lane`], which retries, spills and replays. `flush` and
//! `shutdown` are messages on a separate control channel carrying a reply channel, and every
//! wait on them is bounded. [`Delivery`] starts pipelines and answers the tracer's cold-path
//! calls. The tracer hands traces over as [`Sealed`] ([`TraceSource`] is what it implements),
//! so nothing here names the tracer.

mod batch;
pub(crate) mod delivery;
mod lane;
mod memory;
mod overflow;
pub mod sigterm;
pub mod spill;
mod watch;
mod worker;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TrySendError};
use parking_lot::Mutex;

use crate::config::DeliverySettings;
use crate::export::{Exporter, LocalStoreExporter, SpillKind};
use crate::model::Trace;
pub(crate) use batch::RecentTrace;
pub(crate) use delivery::Delivery;
pub use delivery::ExporterFactory;
use lane::Lane;
use overflow::{Overflow, Target};
use spill::SpillStore;
use watch::{Inflight, Watch};
pub(crate) use worker::{WorkerShared, RECENT_LOCK_WAIT};

pub(crate) enum Control {
    /// Deliver what is queued (and replay what can be) by the deadline, then reply.
    Flush(Sender<()>, Instant),
    /// Deliver what is queued by the deadline, spill the rest, reply and stop.
    Shutdown(Sender<()>, Instant),
    /// The queue is filling while the worker lingers (see [`worker::LINGER`]): take it now.
    Wake,
}

/// What hands a sealed trace over: the trace, moved out when the export side takes it (once: by
/// the worker, the overflow thread or the exit rescue). `index` tells apart the traces of one
/// source (the leaves of a recorded batch).
pub(crate) trait TraceSource: Send + Sync {
    fn take_trace(&self, index: u32) -> Trace;
}

/// A sealed trace on its way to the export worker: a reference to what holds it (an open
/// trace's allocation: a reference count instead of a Box per trace, one allocation fewer on the
/// application thread and one free fewer on the worker's) and its index there.
pub(crate) struct Sealed {
    source: Arc<dyn TraceSource>,
    index: u32,
}

impl Sealed {
    #[inline]
    pub(crate) fn new(source: Arc<dyn TraceSource>, index: u32) -> Sealed {
        Sealed { source, index }
    }

    /// The trace, moved out.
    pub(crate) fn take(self) -> Trace {
        self.source.take_trace(self.index)
    }
}

/// The exporters the configuration names ([`crate::export::select::destinations`]).
pub fn default_factory() -> ExporterFactory {
    Box::new(crate::export::select::destinations)
}

/// Builds a pipeline's exporters on its export thread.
pub(crate) type Build = Box<dyn FnOnce() -> Vec<Box<dyn Exporter>> + Send>;

/// A queued trace with its estimated size.
pub(crate) struct Queued {
    // A pointer per queue slot (to its open trace's allocation), not the whole trace struct.
    pub(crate) trace: Sealed,
    pub(crate) bytes: u64,
}

/// The sending side of the queue plus the worker that drains it.
pub(crate) struct Pipeline {
    data: Sender<Queued>,
    data_rx: Receiver<Queued>,
    queued_bytes: Arc<AtomicU64>,
    max_bytes: u64,
    over: Sender<Queued>,
    over_rx: Receiver<Queued>,
    /// Estimated bytes waiting in the overflow channel.
    over_bytes: Arc<AtomicU64>,
    /// Where overflow goes: set by the export thread once it has built the exporters (until
    /// then the overflow channel holds it).
    overflow: Arc<OnceLock<Arc<Overflow>>>,
    /// What the worker is sending right now, for the exit hook's rescue.
    inflight: Arc<Mutex<Inflight>>,
    ctl: Sender<Control>,
    /// Set while the worker lingers without watching the queue (see [`worker::LINGER`]).
    lingering: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    /// The fork generation this pipeline was started in; a forked child must not use it.
    pub(crate) fork_generation: u64,
    /// The exporters' deadlines: a shutdown sets them before it asks the worker, so a retry in
    /// progress stops at it.
    deadlines: Arc<Deadlines>,
}

/// The exporters' deadlines, shared between the thread that shuts a pipeline down and the
/// export thread, which registers them once it has built the exporters: a shutdown that comes
/// first is applied to them as they are registered.
#[derive(Default)]
struct Deadlines(Mutex<(Option<Instant>, Vec<crate::export::Deadline>)>);

impl Deadlines {
    fn register(&self, d: crate::export::Deadline) {
        let mut g = self.0.lock();
        d.set(g.0);
        g.1.push(d);
    }

    fn set_all(&self, at: Instant) {
        let mut g = self.0.lock();
        g.0 = Some(at);
        for d in &g.1 {
            d.set(Some(at));
        }
    }
}

/// Why a trace was not queued (it is dropped with the [`Sealed`] that carried it).
pub(crate) enum SendError {
    Full,
    Closed,
}

/// Lowers the calling thread's scheduling priority by `nice` (`FERROTRACE_EXPORT_NICE`): on
/// Linux the nice value is per thread, and threads the calling one starts (the trace-info
/// senders) inherit it. Elsewhere it would apply to the whole process, so it is not done.
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: nice(2) changes only the calling thread's priority; lowering it needs no
        // privilege. A failure leaves the priority as it was, which is harmless.
        unsafe {
            libc::nice(nice);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// A cheap estimate of a trace's size in memory and on the wire, made once at seal.
#[inline]
pub(crate) fn estimate_bytes(t: &Trace) -> u64 {
    let mut n = 256;
    for s in &t.spans {
        n += 160 + s.name.len();
        for (k, v) in s.attributes.iter() {
            n += k.len() + v.as_str().len() + 16;
        }
        for e in &s.events {
            n += 64 + e.name.len();
            for (k, v) in e.attributes.iter() {
                n += k.len() + v.as_str().len() + 16;
            }
        }
    }
    n as u64
}

impl Pipeline {
    /// Starts the export thread, which builds the exporters (`build`) and then delivers. The
    /// calling (application) thread only makes the channels and starts the thread.
    pub(crate) fn start(
        build: Build,
        capacity: usize,
        delivery: &DeliverySettings,
        shared: WorkerShared,
        fork_generation: u64,
    ) -> Pipeline {
        let (data, data_rx) = bounded(capacity);
        // The overflow is bounded by bytes only (`max_queue_bytes`, checked in `try_send`):
        // a burst of small traces must reach the disk, not be dropped for want of slots.
        let (over, over_rx) = unbounded();
        let (ctl, ctl_rx) = bounded(64);
        let queued_bytes = Arc::new(AtomicU64::new(0));
        let over_bytes = Arc::new(AtomicU64::new(0));
        let inflight = Arc::new(Mutex::new(Inflight::default()));
        let overflow: Arc<OnceLock<Arc<Overflow>>> = Arc::default();
        let deadlines: Arc<Deadlines> = Arc::default();
        let lingering: Arc<AtomicBool> = Arc::default();
        let pending = PendingParts {
            lingering: lingering.clone(),
            deadlines: deadlines.clone(),
            data: data_rx.clone(),
            queued_bytes: queued_bytes.clone(),
            over: over_rx.clone(),
            over_bytes: over_bytes.clone(),
            overflow: overflow.clone(),
            ctl: ctl_rx,
            inflight: inflight.clone(),
            delivery: delivery.clone(),
        };
        let nice = delivery.export_nice;
        let worker = std::thread::Builder::new()
            .name("ferrotrace-export".into())
            .spawn(move || {
                lower_priority(nice);
                let parts = pending.assemble(build(), &shared);
                worker::run(parts, shared)
            })
            .ok();
        if worker.is_none() {
            crate::diag::warn(
                "worker_spawn",
                "could not start the export thread; traces will be counted as dropped",
            );
        }
        Pipeline {
            data,
            data_rx,
            queued_bytes,
            max_bytes: delivery.max_queue_bytes,
            over,
            over_rx,
            over_bytes,
            overflow,
            inflight,
            ctl,
            lingering,
            worker,
            fork_generation,
            deadlines,
        }
    }

    /// Queues a trace, or hands it to the overflow thread, without waiting.
    #[inline]
    pub(crate) fn try_send(&self, trace: Sealed, bytes: u64) -> Result<(), SendError> {
        let mut trace = trace;
        if self.queued_bytes.load(Relaxed) + bytes <= self.max_bytes {
            self.queued_bytes.fetch_add(bytes, Relaxed);
            match self.data.try_send(Queued { trace, bytes }) {
                Ok(()) => {
                    if self.lingering.load(Relaxed) {
                        self.nudge();
                    }
                    return Ok(());
                }
                Err(TrySendError::Full(q)) => {
                    self.queued_bytes.fetch_sub(bytes, Relaxed);
                    trace = q.trace;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.queued_bytes.fetch_sub(bytes, Relaxed);
                    return Err(SendError::Closed);
                }
            }
        }
        // Before the exporters are built it is not known yet whether overflow can be written:
        // the channel keeps it until the export thread knows (and drops it, counted, if not).
        let overflow_on = self.overflow.get().is_none_or(|o| o.enabled());
        if overflow_on && self.over_bytes.load(Relaxed) + bytes <= self.max_bytes {
            self.over_bytes.fetch_add(bytes, Relaxed);
            match self.over.try_send(Queued { trace, bytes }) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    self.over_bytes.fetch_sub(bytes, Relaxed);
                }
            }
        }
        Err(SendError::Full)
    }

    /// The worker lingers without watching the queue: once the queue is half full (in traces
    /// or bytes), it is woken rather than left to fill the queue up and overflow.
    #[cold]
    fn nudge(&self) {
        let half_slots = self
            .data
            .capacity()
            .is_some_and(|c| self.data.len() * 2 >= c);
        let half_bytes = self.queued_bytes.load(Relaxed) * 2 >= self.max_bytes;
        if (half_slots || half_bytes) && self.lingering.swap(false, Relaxed) {
            let _ = self.ctl.try_send(Control::Wake);
        }
    }

    pub(crate) fn depth(&self) -> usize {
        self.data.len() + self.over.len()
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.queued_bytes.load(Relaxed) + self.over_bytes.load(Relaxed)
    }

    pub(crate) fn control(&self) -> Sender<Control> {
        self.ctl.clone()
    }

    /// Asks the worker to deliver everything queued, then stop; waits at most `timeout`. If it
    /// does not finish in time (a server that never answers), what is still queued and the
    /// batch in flight are written to the spill folders from this thread.
    pub(crate) fn shutdown(mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        // The worker stops sending a bit before the deadline, to leave time to spill.
        let worker_deadline = start + timeout.mul_f64(0.8);
        self.deadlines.set_all(worker_deadline);
        let done = request(
            &self.ctl,
            |tx| Control::Shutdown(tx, worker_deadline),
            timeout,
        );
        if done {
            if let Some(w) = self.worker.take() {
                let _ = w.join();
            }
        } else {
            self.rescue(start + timeout + Duration::from_millis(500));
        }
        done
    }

    /// Spills what the worker could not get to. A trace the worker is still sending may also
    /// arrive later; the server takes the second copy as an update.
    fn rescue(&self, deadline: Instant) {
        let Some(overflow) = self.overflow.get().filter(|o| o.enabled()) else {
            return;
        };
        // A batch already copied to disk while it was being sent is not written again.
        let inflight = match self.inflight.try_lock_until(deadline) {
            Some(f) if f.copied => {
                // On disk already: counted as spilled now, as the worker would have.
                if !f.copies.is_empty() {
                    if let Some(b) = &f.batch {
                        let stats = &overflow.shared.stats;
                        stats
                            .traces_spilled
                            .fetch_add(b.traces.len() as u64, Relaxed);
                    }
                }
                None
            }
            Some(f) => f.batch.clone(),
            None => None,
        };
        if let Some(batch) = inflight {
            overflow.write_finalized(&batch);
        }
        let mut batch = Vec::new();
        while let Ok(q) = self.data_rx.try_recv() {
            self.queued_bytes.fetch_sub(q.bytes, Relaxed);
            batch.push(q.trace.take());
        }
        overflow.write_raw(batch);
        overflow::drain(&self.over_rx, overflow);
    }

    /// Leaves a pipeline inherited through `fork` alone: its thread does not exist in this process,
    /// and dropping the channels must not run the parent's cleanup.
    pub(crate) fn abandon(self) {
        std::mem::forget(self);
    }
}

/// Sends a control message and waits for its reply, at most `timeout` in all.
pub(crate) fn request(
    ctl: &Sender<Control>,
    make: impl FnOnce(Sender<()>) -> Control,
    timeout: Duration,
) -> bool {
    let deadline = Instant::now() + timeout;
    let (tx, rx) = bounded(1);
    if ctl.send_deadline(make(tx), deadline).is_err() {
        return false;
    }
    rx.recv_deadline(deadline).is_ok()
}

/// What the export thread needs to assemble its side of a pipeline once the exporters exist.
struct PendingParts {
    lingering: Arc<AtomicBool>,
    data: Receiver<Queued>,
    queued_bytes: Arc<AtomicU64>,
    over: Receiver<Queued>,
    over_bytes: Arc<AtomicU64>,
    overflow: Arc<OnceLock<Arc<Overflow>>>,
    ctl: Receiver<Control>,
    inflight: Arc<Mutex<Inflight>>,
    delivery: DeliverySettings,
    deadlines: Arc<Deadlines>,
}

impl PendingParts {
    /// On the export thread: each exporter's lane and spill folder, the overflow targets, and
    /// the overflow thread when there is somewhere to write overflow.
    fn assemble(self, exporters: Vec<Box<dyn Exporter>>, shared: &WorkerShared) -> worker::Parts {
        let delivery = &self.delivery;
        let mut lanes = Vec::with_capacity(exporters.len());
        let mut spills = Vec::with_capacity(exporters.len());
        let mut targets = Vec::new();
        // Destinations that cannot take overflow (memory, or an exporter without a spill kind).
        let mut missing = 0;
        for exporter in exporters {
            self.deadlines.register(exporter.deadline());
            let caps = exporter.capabilities();
            let spill = match &caps.spill {
                SpillKind::Remote(identity) if delivery.spill => {
                    let s = Arc::new(Mutex::new(SpillStore::new(
                        &delivery.spill_dir,
                        identity,
                        delivery.spill_max_bytes,
                    )));
                    targets.push(Target::Spill(s.clone()));
                    Some(s)
                }
                SpillKind::LocalDir(dir) => {
                    targets.push(Target::Local(Mutex::new(
                        LocalStoreExporter::with_max_bytes(dir.clone(), delivery.local_max_bytes),
                    )));
                    None
                }
                _ => {
                    missing += 1;
                    None
                }
            };
            spills.push(spill.clone());
            lanes.push(Lane::new(
                exporter,
                caps,
                spill,
                delivery.probe_max_interval,
            ));
        }
        let overflow = Arc::new(Overflow {
            targets,
            missing,
            shared: shared.clone(),
            bytes: self.over_bytes,
            handled: AtomicU64::new(0),
        });
        let _ = self.overflow.set(overflow.clone());
        if overflow.enabled() {
            let watch = spills.iter().any(Option::is_some).then(|| Watch {
                inflight: self.inflight.clone(),
                spills: spills.clone(),
                data: self.data.clone(),
                queued_bytes: self.queued_bytes.clone(),
            });
            let (rx, o) = (self.over.clone(), overflow.clone());
            // Started from the export thread, it shares its lowered priority.
            let spawned = std::thread::Builder::new()
                .name("ferrotrace-spill".into())
                .spawn(move || overflow::run(rx, o, watch));
            if spawned.is_err() {
                crate::diag::warn("worker_spawn", "could not start the spill thread");
            }
        } else {
            // What overflowed while the exporters were being built: nowhere to write it.
            overflow::drain(&self.over, &overflow);
        }
        worker::Parts {
            lanes,
            data: self.data,
            queued_bytes: self.queued_bytes,
            over: self.over,
            overflow,
            ctl: self.ctl,
            lingering: self.lingering,
            inflight: self.inflight,
            spills,
        }
    }
}
