//! Keeps traces in memory: for tests, in Rust and through the bindings.

use std::sync::Arc;

use parking_lot::Mutex;

use super::{Capabilities, Exporter};
use crate::error::Result;
use crate::model::{SharedMetadata, Trace};

/// The shared list a [`MemoryExporter`] appends to.
pub type MemorySink = Arc<Mutex<Vec<Trace>>>;

/// Appends every exported trace to a shared list.
///
/// ```
/// use ferrotrace_core::export::{Exporter, MemoryExporter};
/// let (mut exporter, sink) = MemoryExporter::new();
/// exporter.export(&[Default::default()], &Default::default()).unwrap();
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
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            writes_shared_metadata: true,
            ..Capabilities::new("memory")
        }
    }

    fn export(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        // One copy of each trace, made with its shared metadata.
        let whole = super::with_shared(batch, shared);
        self.sink.lock().extend(whole);
        Ok(())
    }
}
