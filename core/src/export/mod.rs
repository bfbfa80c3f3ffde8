//! Exporters: where sealed traces go. The worker thread owns them, so `export` may block on I/O;
//! every call that could wait takes a timeout.

mod local;
mod memory;
pub mod mlflow;
pub mod otlp;
mod push;

use std::path::PathBuf;
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

/// A destination for whole traces. Implementations are called from the export worker only,
/// never concurrently, and never from an application thread.
pub trait Exporter: Send {
    /// A short name for messages and stats (`local`, `memory`, `mlflow`, `otlp`).
    fn name(&self) -> &'static str;

    /// Delivers a batch. An `Err` means none of the batch is known to be delivered.
    fn export(&mut self, batch: &[Trace]) -> Result<()>;

    /// Delivers a batch whose traces all have `shared` in their metadata besides their own
    /// `info.metadata` (see [`SharedMetadata`]); this is how the export worker hands batches
    /// over. By default `shared` is copied into each trace before [`Exporter::export`], so an
    /// exporter sees whole traces; the built-in ones write it out from where it is instead.
    ///
    /// ```
    /// use ferrotrace_core::export::{Exporter, MemoryExporter};
    /// use ferrotrace_core::model::SharedMetadata;
    /// let (mut exporter, sink) = MemoryExporter::new();
    /// let shared = SharedMetadata::from([("mlflow.user".to_owned(), "me".to_owned())]);
    /// exporter.export_with(&[Default::default()], &shared).unwrap();
    /// assert_eq!(sink.lock()[0].info.metadata["mlflow.user"], "me");
    /// ```
    fn export_with(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        if shared.is_empty() {
            return self.export(batch);
        }
        self.export(&with_shared(batch, shared))
    }

    /// Whether [`Exporter::export_with`] takes shared metadata as it is (it writes it out, or
    /// copies traces anyway). When a destination does not, the worker copies the shared
    /// metadata into each trace, in place, before any destination sees the batch, and passes
    /// none: such an exporter gets whole traces without a copy of each.
    fn writes_shared_metadata(&self) -> bool {
        false
    }

    /// Where traces this destination cannot take right now go.
    fn spill_kind(&self) -> SpillKind {
        SpillKind::None
    }

    /// Limits the time `export` may take from now on (`None`: the retry policy alone); set
    /// while flushing at exit.
    fn set_deadline(&mut self, _deadline: Option<Instant>) {}

    /// Retries made since the last call (counted in `stats().export_retries`).
    fn take_retries(&mut self) -> u64 {
        0
    }

    /// Traces (and their spans) this exporter dropped after taking them, by reason, since the
    /// last call (the local store's rotation); counted in `stats()`.
    fn take_dropped(&mut self) -> Vec<(crate::stats::DropReason, u64, u64)> {
        Vec::new()
    }

    /// Makes everything exported so far durable or sent.
    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    /// Releases resources; no `export` follows.
    fn shutdown(&mut self, timeout: Duration) -> Result<()> {
        self.flush(timeout)
    }
}
