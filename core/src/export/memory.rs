//! Keeps traces in memory: for tests, in Rust and through the bindings.

use std::sync::Arc;

use parking_lot::Mutex;

use super::Exporter;
use crate::error::Result;
use crate::model::{SharedMetadata, Trace};

/// The shared list a [`MemoryExporter`] appends to.
pub type MemorySink = Arc<Mutex<Vec<Trace>>>;

/// Appends every exported trace to a shared list.
///
/// ```
/// use ferrotrace_core::export::{Exporter, MemoryExporter};
/// let (mut exporter, sink) = MemoryExporter::new();
/// exporter.export(&[Default::default()]).unwrap();
/// assert_eq!(sink.lock().len(), 1);
/// ```
pub struct MemoryExporter {
    sink: MemorySink,
}

impl MemoryExporter {
    pub fn new() -> (Self, MemorySink) {
        let sink = MemorySink::default();
        (MemoryExporter { sink: sink.clone() }, sink)
    }

    pub fn with_sink(sink: MemorySink) -> Self {
        MemoryExporter { sink }
    }
}

impl Exporter for MemoryExporter {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn export(&mut self, batch: &[Trace]) -> Result<()> {
        self.sink.lock().extend_from_slice(batch);
        Ok(())
    }

    fn writes_shared_metadata(&self) -> bool {
        true
    }

    fn export_with(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        // One copy of each trace, made with its shared metadata.
        let whole = super::with_shared(batch, shared);
        self.sink.lock().extend(whole);
        Ok(())
    }
}
