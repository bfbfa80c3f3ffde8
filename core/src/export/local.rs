//! The embedded default destination: traces appended to the local store, kept under
//! `FERROTRACE_LOCAL_MAX_BYTES` by removing the oldest segments (counted as
//! `local_store_rotated`).

use std::path::PathBuf;
use std::time::Duration;

use super::{Capabilities, ExportCounts, Exporter, SpillKind};
use crate::error::Result;
use crate::model::{write_trace_dict_with, Location, SharedMetadata, Trace};
use crate::stats::DropReason;
use crate::store::index::TraceRow;
use crate::store::SegmentWriter;

pub use crate::config::DEFAULT_LOCAL_MAX_BYTES;
/// Bytes of a record's frame besides its payload (header and newline), at most.
const FRAME_BYTES: u64 = 36;

/// Writes each trace as one checksummed record (MLflow's `Trace.to_dict()` JSON, written
/// straight from the trace) and writes and syncs the segment once per batch.
pub struct LocalStoreExporter {
    writer: SegmentWriter,
    max_bytes: u64,
    /// A segment of this size is the unit of rotation: an eighth of the cap, 64 KiB to 64 MiB.
    segment_bytes: u64,
    /// The folder's bytes as last counted plus what this exporter wrote since; `None` until
    /// the first count.
    folder_bytes: Option<u64>,
    written_since_count: u64,
    /// Traces and spans removed by rotation, counted for the stats.
    counts: ExportCounts,
}

impl LocalStoreExporter {
    /// A store in `dir` with the default cap.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_max_bytes(dir, DEFAULT_LOCAL_MAX_BYTES)
    }

    /// A store in `dir` kept under `max_bytes` (rotation works in whole segments, so the cap
    /// holds after every batch, give or take the segments other writers have open).
    pub fn with_max_bytes(dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        let segment_bytes = (max_bytes / 8).clamp(64 << 10, 64 << 20);
        LocalStoreExporter {
            writer: SegmentWriter::with_max_bytes(dir.into(), segment_bytes).indexed(),
            max_bytes,
            segment_bytes,
            folder_bytes: None,
            written_since_count: 0,
            counts: ExportCounts::default(),
        }
    }

    /// Counts the folder when this exporter wrote a segment's worth since the last count
    /// (other writers may share it) or its estimate passes the cap; then removes the oldest
    /// segments while over the cap.
    fn keep_under_cap(&mut self, written: u64) {
        self.written_since_count += written;
        if let Some(b) = self.folder_bytes {
            let b = b + written;
            if b <= self.max_bytes && self.written_since_count < self.segment_bytes {
                self.folder_bytes = Some(b);
                return;
            }
        }
        self.written_since_count = 0;
        let dir = self.writer.dir().to_path_buf();
        let (mut removed, mut left) = crate::store::rotate_folder(&dir, self.max_bytes);
        if left > self.max_bytes && self.writer.current().is_some() {
            // Only this writer's open segment is left to remove: close it so it can go.
            let _ = self.writer.close();
            let (more, now) = crate::store::rotate_folder(&dir, self.max_bytes);
            removed.segments += more.segments;
            removed.traces += more.traces;
            removed.spans += more.spans;
            left = now;
        }
        self.folder_bytes = Some(left);
        if removed.segments > 0 {
            self.counts
                .dropped(DropReason::LocalStoreRotated, removed.traces, removed.spans);
            crate::diag::warn(
                "local_store_rotated",
                format!(
                    "the local store {} reached FERROTRACE_LOCAL_MAX_BYTES ({} bytes); its oldest traces were removed (local_store_rotated)",
                    dir.display(),
                    self.max_bytes
                ),
            );
        }
    }
}

impl LocalStoreExporter {
    /// Traces (and their spans) removed by rotation since the last call.
    pub(crate) fn take_dropped(&self) -> Vec<(DropReason, u64, u64)> {
        self.counts.take_dropped()
    }
}

impl Exporter for LocalStoreExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            spill: SpillKind::LocalDir(self.writer.dir().to_path_buf()),
            writes_shared_metadata: true,
            counts: self.counts.clone(),
            ..Capabilities::new("local")
        }
    }

    fn export(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        let mut written = 0;
        for trace in batch {
            self.writer
                .append_trace_with(&TraceRow { trace, shared }, |out| {
                    write_trace_dict_with(out, trace, shared, Location::of(trace));
                    written += out.len() as u64 + FRAME_BYTES;
                })?;
        }
        self.writer.sync()?;
        self.keep_under_cap(written);
        Ok(())
    }

    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(self.writer.sync()?)
    }
}
