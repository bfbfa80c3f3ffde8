//! Exporters: where sealed traces go. The worker thread owns them, so `export` may block on I/O;
//! every call that could wait takes a timeout.

mod local;
mod memory;
pub mod mlflow;
pub mod otlp;
mod push;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use local::LocalStoreExporter;
pub use memory::{MemoryExporter, MemorySink};
pub use mlflow::MlflowExporter;
pub use otlp::OtlpExporter;
pub use push::{push_store, PushReport};

use crate::error::Result;
use crate::model::Trace;

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

/// A destination for whole traces. Implementations are called from the export worker only,
/// never concurrently, and never from an application thread.
pub trait Exporter: Send {
    /// A short name for messages and stats (`local`, `memory`, `mlflow`, `otlp`).
    fn name(&self) -> &'static str;

    /// Delivers a batch. An `Err` means none of the batch is known to be delivered.
    fn export(&mut self, batch: &[Trace]) -> Result<()>;

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

    /// Makes everything exported so far durable or sent.
    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    /// Releases resources; no `export` follows.
    fn shutdown(&mut self, timeout: Duration) -> Result<()> {
        self.flush(timeout)
    }
}
