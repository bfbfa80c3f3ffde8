//! The embedded default destination: traces appended to the local store.

use std::path::PathBuf;
use std::time::Duration;

use super::{Exporter, SpillKind};
use crate::error::Result;
use crate::model::{write_trace_dict_with, Location, SharedMetadata, Trace};
use crate::store::SegmentWriter;

/// Writes each trace as one checksummed record (MLflow's `Trace.to_dict()` JSON, written
/// straight from the trace) and writes and syncs the segment once per batch.
pub struct LocalStoreExporter {
    writer: SegmentWriter,
}

impl LocalStoreExporter {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalStoreExporter {
            writer: SegmentWriter::new(dir.into()),
        }
    }
}

impl Exporter for LocalStoreExporter {
    fn name(&self) -> &'static str {
        "local"
    }

    fn spill_kind(&self) -> SpillKind {
        SpillKind::LocalDir(self.writer.dir().to_path_buf())
    }

    fn export(&mut self, batch: &[Trace]) -> Result<()> {
        self.export_with(batch, &SharedMetadata::new())
    }

    fn writes_shared_metadata(&self) -> bool {
        true
    }

    fn export_with(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        for trace in batch {
            self.writer.append_with(|out| {
                write_trace_dict_with(out, trace, shared, Location::of(trace))
            })?;
        }
        self.writer.sync()?;
        Ok(())
    }

    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(self.writer.sync()?)
    }
}
