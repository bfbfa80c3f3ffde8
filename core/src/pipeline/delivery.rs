//! COLD PATH: what becomes of one tracer's sealed traces. The pipeline starts lazily with the
//! first trace (its exporters are built on the export thread, never on the application's),
//! again in a forked child, and after a change of destination; flush, shutdown and the exit
//! hook; configuration changes that reach the worker (redaction, destinations); the
//! recent-traces cache. The tracer hands traces over as [`Sealed`] and never names more.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use super::{request, Control, Pipeline, RecentTrace, Sealed, SendError, WorkerShared};
use crate::config::Config;
use crate::export::{Exporter, MemorySink};
use crate::model::Trace;
use crate::process::LazyRedactor;
use crate::runtime::fork;
use crate::stats::{DropReason, Stats, StatsSnapshot};

/// Builds the exporters for a configuration, one per destination, on the export thread
/// (replaceable in tests: slow or failing exporters). Each gets every trace; several run at
/// once for MLflow + OTLP dual export. The default is [`crate::export::select::destinations`].
pub type ExporterFactory =
    Box<dyn Fn(&Config, &MemorySink, &Stats) -> Vec<Box<dyn Exporter>> + Send + Sync>;

/// The delivery side of a tracer. Clones of a tracer share one.
pub struct Delivery {
    stats: Arc<Stats>,
    config: RwLock<Config>,
    pipeline: RwLock<Option<Pipeline>>,
    factory: Arc<ExporterFactory>,
    memory: MemorySink,
    process_metadata: Arc<RwLock<BTreeMap<String, String>>>,
    /// Recently finalized traces (the worker fills it), for `get_trace`.
    recent: Arc<Mutex<VecDeque<RecentTrace>>>,
    /// The compiled redaction rules, shared with the export worker.
    redactor: Arc<RwLock<Arc<LazyRedactor>>>,
    /// In sync mode (`MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false`) the longest a root's end waits
    /// for its export, in ms; 0 in async mode. Read by every root end.
    sync_wait_ms: AtomicU64,
}

impl Delivery {
    pub fn new(config: Config, stats: Arc<Stats>, factory: ExporterFactory) -> Delivery {
        Delivery {
            stats,
            sync_wait_ms: AtomicU64::new(sync_wait_ms(&config)),
            redactor: Arc::new(RwLock::new(Arc::new(LazyRedactor::new(
                &config.process.redact,
            )))),
            config: RwLock::new(config),
            pipeline: RwLock::new(None),
            factory: Arc::new(factory),
            memory: MemorySink::default(),
            process_metadata: Arc::default(),
            recent: Arc::default(),
        }
    }

    /// Queues sealed traces (each with its size estimate and span count, for drops) for the
    /// export worker without waiting, starting the pipeline first if this process has none.
    pub fn submit_all(&self, traces: impl Iterator<Item = (Sealed, u64, u64)>) {
        let stats = &self.stats;
        // (traces, spans) not queued: for want of room, and for want of a pipeline.
        let (mut full, mut closed) = ((0u64, 0u64), (0u64, 0u64));
        let mut sent = false;
        {
            let mut guard = self.pipeline.read();
            if !matches!(guard.as_ref(), Some(p) if p.fork_generation == fork::generation()) {
                drop(guard);
                self.start();
                guard = self.pipeline.read();
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
            let wait_ms = self.sync_wait_ms.load(Ordering::Relaxed);
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
    pub fn resume_spilled(self: &Arc<Self>) {
        let cfg = self.config.read().clone();
        if !cfg.delivery.spill || !crate::export::select::is_remote(&cfg) {
            return;
        }
        let delivery = self.clone();
        let _ = std::thread::Builder::new()
            .name("ferrotrace-resume".into())
            .spawn(move || {
                if super::spill::SpillStore::any_pending(&cfg.delivery.spill_dir) {
                    delivery.start();
                }
            });
    }

    /// Starts this process's pipeline unless it runs. Only hands off: the exporters are built
    /// by the export thread (certificate files, TLS, HTTP clients), so the application thread
    /// that ends the first root does no I/O.
    fn start(&self) {
        let mut slot = self.pipeline.write();
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
            let fresh = Arc::new(self.redactor.read().uncompiled());
            *self.redactor.write() = fresh;
        }
        // A forked child gets its own SIGTERM watcher once it has something to deliver.
        super::sigterm::ensure_watcher();
        let cfg = self.config.read().clone();
        let shared = WorkerShared {
            stats: self.stats.clone(),
            process_metadata: self.process_metadata.clone(),
            max_batch: cfg.max_batch_traces,
            recent: self.recent.clone(),
            recent_max: cfg.trace_buffer_max,
            redactor: self.redactor.clone(),
        };
        let (factory, memory, stats) = (
            self.factory.clone(),
            self.memory.clone(),
            self.stats.clone(),
        );
        let (capacity, delivery) = (cfg.max_queue_traces, cfg.delivery.clone());
        let build = Box::new(move || factory(&cfg, &memory, &stats));
        *slot = Some(Pipeline::start(
            build, capacity, &delivery, shared, generation,
        ));
    }

    /// Waits until every trace sealed so far has been handed to the destination, at most
    /// `timeout`. Returns `false` on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let ctl = match self.pipeline.read().as_ref() {
            Some(p) if p.fork_generation == fork::generation() => p.control(),
            _ => return true,
        };
        let deadline = Instant::now() + timeout;
        request(&ctl, |tx| Control::Flush(tx, deadline), timeout)
    }

    /// Delivers what is queued and stops the worker (a later trace starts a new one). Returns
    /// `false` if the worker did not finish within `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let p = self.pipeline.write().take();
        match p {
            Some(p) if p.fork_generation == fork::generation() => p.shutdown(timeout),
            Some(p) => {
                p.abandon();
                true
            }
            None => true,
        }
    }

    /// The exit hook: delivers what is queued within `timeout`, then reports on stderr what did
    /// not make it. `open_elsewhere` roots a binding started lazily and that are still open are
    /// counted as dropped (`open_at_exit`) with the core's own open traces.
    pub fn exit(&self, timeout: Duration, open_elsewhere: u64) -> bool {
        // One exit at a time: a SIGTERM that arrives while an exit hook delivers (a pool
        // worker's finalizer) must not end the process before that delivery is done. Bounded,
        // and a lock a fork caught held only costs the wait.
        static EXITING: Mutex<()> = Mutex::new(());
        let _one = EXITING.try_lock_for(timeout + Duration::from_millis(500));
        let before = self.stats();
        let open = self.stats.open_traces() + open_elsewhere;
        if open > 0 {
            // A lazy root is one span; the core's open traces may hold more, uncounted here.
            self.stats
                .drop_counted(DropReason::OpenAtExit, open, open_elsewhere);
        }
        // The shutdown gives the exporters its deadline: retries in progress stop at it, and
        // what cannot be sent goes to the spill folder.
        let ok = self.shutdown(timeout);
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
                    self.config.read().delivery.spill_dir.display()
                ),
            );
        }
        ok
    }

    /// Takes a new configuration. When the destination changes (or, for an MLflow server, its
    /// experiment, credentials or TLS settings), traces already queued are delivered to the old
    /// one first (bounded by the exit timeout); the next trace starts a pipeline for the new one.
    pub fn configure(self: &Arc<Self>, cfg: Config) {
        let timeout = cfg.exit_timeout;
        let destination_changed =
            crate::export::select::settings_changed(&self.config.read(), &cfg);
        self.sync_wait_ms
            .store(sync_wait_ms(&cfg), Ordering::Relaxed);
        if cfg.process.redact != self.config.read().process.redact {
            *self.redactor.write() = Arc::new(LazyRedactor::new(&cfg.process.redact));
        }
        *self.config.write() = cfg;
        if destination_changed {
            self.shutdown(timeout);
            self.resume_spilled();
        }
    }

    pub fn config(&self) -> Config {
        self.config.read().clone()
    }

    /// Metadata added to every trace (source file, user): set once by the binding.
    pub fn set_process_metadata(&self, metadata: BTreeMap<String, String>) {
        *self.process_metadata.write() = metadata;
    }

    pub fn stats(&self) -> StatsSnapshot {
        let (depth, bytes) = self
            .pipeline
            .read()
            .as_ref()
            .map_or((0, 0), |p| (p.depth(), p.bytes()));
        self.stats.snapshot(depth, bytes)
    }

    /// Traces delivered to the memory destination so far.
    pub fn memory_traces(&self) -> Vec<Trace> {
        self.memory.lock().clone()
    }

    /// Empties the memory destination.
    pub fn clear_memory(&self) {
        self.memory.lock().clear();
    }

    /// The recently finalized traces (for `get_trace` without a round trip).
    pub(crate) fn recent(&self) -> &Mutex<VecDeque<RecentTrace>> {
        &self.recent
    }

    /// The redaction rules in force.
    pub fn redactor(&self) -> Arc<LazyRedactor> {
        self.redactor.read().clone()
    }
}

fn sync_wait_ms(cfg: &Config) -> u64 {
    if cfg.delivery.async_logging {
        0
    } else {
        (cfg.delivery.sync_timeout.as_millis() as u64).max(1)
    }
}

static GLOBAL: OnceLock<Arc<Delivery>> = OnceLock::new();

/// Names the delivery of the process-wide tracer (once), for the SIGTERM watcher.
pub fn set_global(delivery: Arc<Delivery>) {
    let _ = GLOBAL.set(delivery);
}

/// The delivery of the process-wide tracer, if one was made.
pub fn global() -> Option<&'static Arc<Delivery>> {
    GLOBAL.get()
}
