//! Exporters: where sealed traces go. The worker thread owns them, so `export` may block on I/O;
//! every call that could wait takes a timeout.

pub(crate) mod http;
mod local;
mod memory;
pub mod mlflow;
pub mod otlp;
mod push;
pub mod select;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use local::{LocalStoreExporter, DEFAULT_LOCAL_MAX_BYTES};
pub use memory::{MemoryExporter, MemorySink};
pub use mlflow::MlflowExporter;
pub use otlp::OtlpExporter;
pub use push::{push_store, PushReport};

use crate::error::Result;
use crate::model::{SharedMetadata, Trace};

/// What a destination does with traces it cannot take right now (see `pipeline::spill`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpillKind {
    /// Nothing: a failed batch is dropped and counted (`export_failed`).
    None,
    /// A remote destination: failed and overflowing traces go to a spill folder keyed by this
    /// stable identity (no credentials in it) and are replayed when it answers again.
    Remote(String),
    /// The local store in this folder: overflowing traces are appended to it directly.
    LocalDir(PathBuf),
}

/// The time by which an exporter's work must end, shared between the export thread and the
/// thread that ends it: a flush or shutdown sets it, and an export in progress (a retry
/// waiting for its turn) sees it at once. Clones share one value.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ferrotrace_core::export::Deadline;
/// let d = Deadline::default();
/// assert_eq!(d.get(), None);
/// let at = Instant::now() + Duration::from_secs(1);
/// d.clone().set(Some(at));
/// assert!(d.get().unwrap().duration_since(at) < Duration::from_micros(1));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Deadline(Arc<AtomicU64>);

/// The instant deadlines are counted from (nanoseconds after it, plus one; 0 is none).
fn deadline_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Deadline {
    /// A deadline of its own, set to `at`.
    pub fn at(at: Option<Instant>) -> Deadline {
        let d = Deadline::default();
        d.set(at);
        d
    }

    /// Sets (`Some`) or clears (`None`) the deadline.
    pub fn set(&self, at: Option<Instant>) {
        let raw = at.map_or(0, |at| {
            let nanos = at.saturating_duration_since(deadline_origin()).as_nanos();
            u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1
        });
        self.0.store(raw, Ordering::Relaxed);
    }

    /// The deadline, if one is set.
    pub fn get(&self) -> Option<Instant> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            raw => Some(deadline_origin() + Duration::from_nanos(raw - 1)),
        }
    }
}

/// Copies of `batch` with `shared` added to each trace's metadata.
pub(crate) fn with_shared(batch: &[Trace], shared: &SharedMetadata) -> Vec<Trace> {
    batch
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.info.add_metadata(shared);
            t
        })
        .collect()
}

/// What a destination is and can do, fixed when it is built: the pipeline reads it once, when
/// it takes the exporter.
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// A short name for messages and stats (`local`, `memory`, `mlflow`, `otlp`).
    pub name: &'static str,
    /// Where traces this destination cannot take right now go.
    pub spill: SpillKind,
    /// Whether [`Exporter::export`] takes shared metadata as it is (it writes it out, or copies
    /// traces anyway). When a destination does not, the worker copies the shared metadata into
    /// each trace, in place, before any destination sees the batch, and passes none: such an
    /// exporter gets whole traces without a copy of each.
    pub writes_shared_metadata: bool,
    /// Where the exporter counts its retries and the traces it dropped after taking them; the
    /// pipeline moves them into `stats()` after each export.
    pub counts: ExportCounts,
}

impl Capabilities {
    /// A destination named `name` with no spill, that wants whole traces, and new counters.
    pub fn new(name: &'static str) -> Capabilities {
        Capabilities {
            name,
            spill: SpillKind::None,
            writes_shared_metadata: false,
            counts: ExportCounts::default(),
        }
    }
}

/// An exporter's counters, shared with the pipeline (clones share them).
#[derive(Clone, Debug, Default)]
pub struct ExportCounts(Arc<CountsInner>);

#[derive(Debug, Default)]
struct CountsInner {
    retries: AtomicU64,
    dropped: parking_lot::Mutex<Vec<(crate::stats::DropReason, u64, u64)>>,
}

impl ExportCounts {
    /// One more retry.
    pub fn retried(&self) {
        self.0.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// `traces` (with `spans`) taken and then dropped for `reason` (the local store's rotation).
    pub fn dropped(&self, reason: crate::stats::DropReason, traces: u64, spans: u64) {
        self.0.dropped.lock().push((reason, traces, spans));
    }

    /// Retries since the last call (counted in `stats().export_retries`).
    pub fn take_retries(&self) -> u64 {
        self.0.retries.swap(0, Ordering::Relaxed)
    }

    /// Drops since the last call, by reason.
    pub fn take_dropped(&self) -> Vec<(crate::stats::DropReason, u64, u64)> {
        std::mem::take(&mut *self.0.dropped.lock())
    }
}

/// A destination for whole traces. Implementations are called from the export worker only,
/// never concurrently, and never from an application thread. What it is and can do (name,
/// spill kind, shared metadata, counters) is its [`Capabilities`], read once.
pub trait Exporter: Send {
    /// What this exporter is and can do; called once, when the pipeline takes it.
    fn capabilities(&self) -> Capabilities;

    /// Delivers a batch whose traces all have `shared` in their metadata besides their own
    /// `info.metadata` (see [`SharedMetadata`]; empty for an exporter whose capabilities say it
    /// does not write it: the worker copied it into the traces). An `Err` means none of the
    /// batch is known to be delivered.
    ///
    /// ```
    /// use ferrotrace_core::export::{Exporter, MemoryExporter};
    /// use ferrotrace_core::model::SharedMetadata;
    /// let (mut exporter, sink) = MemoryExporter::new();
    /// let shared = SharedMetadata::from([("mlflow.user".to_owned(), "me".to_owned())]);
    /// exporter.export(&[Default::default()], &shared).unwrap();
    /// assert_eq!(sink.lock()[0].info.metadata["mlflow.user"], "me");
    /// ```
    fn export(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()>;

    /// Makes everything exported so far durable or sent.
    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    /// Releases resources; no `export` follows.
    fn shutdown(&mut self, timeout: Duration) -> Result<()> {
        self.flush(timeout)
    }

    /// The time `export` may take until (unset: the retry policy alone). The pipeline keeps a
    /// clone, taken once when it starts, and sets it when it flushes or shuts down (the exit
    /// included), so retries in progress stop at it. Exporters that do not wait return a
    /// deadline nobody reads.
    fn deadline(&self) -> Deadline {
        Deadline::default()
    }
}
