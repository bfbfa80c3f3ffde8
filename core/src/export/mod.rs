//! Exporters: where sealed traces go. The worker thread owns them, so `export` may block on I/O;
//! every call that could wait takes a timeout.

mod local;
mod memory;
pub mod mlflow;
pub mod otlp;

use std::time::Duration;

pub use local::LocalStoreExporter;
pub use memory::{MemoryExporter, MemorySink};
pub use mlflow::MlflowExporter;
pub use otlp::OtlpExporter;

use crate::error::Result;
use crate::model::Trace;

/// A destination for whole traces. Implementations are called from the export worker only,
/// never concurrently, and never from an application thread.
pub trait Exporter: Send {
    /// A short name for messages and stats (`local`, `memory`, `mlflow`, `otlp`).
    fn name(&self) -> &'static str;

    /// Delivers a batch. An `Err` means none of the batch is known to be delivered.
    fn export(&mut self, batch: &[Trace]) -> Result<()>;

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
