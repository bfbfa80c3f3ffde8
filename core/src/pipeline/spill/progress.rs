//! Replay progress kept next to a claimed segment, so a backlog drains across short processes:
//! each delivered batch of a segment is recorded in `<segment>.sent` (the number of its traces
//! delivered so far, in order), and whoever replays the segment next starts after them. And
//! batches spilled apart (a copy of a batch still being sent, see the overflow thread), each in
//! a segment of its own so it can be removed if the send succeeds after all.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Claimed, SpillStore};
use crate::model::{SharedMetadata, Trace};
use crate::stats::Stats;

const PROGRESS_EXT: &str = "sent";

impl Claimed {
    fn progress_path(&self) -> PathBuf {
        let mut name = self.original.clone().into_os_string();
        name.push(".");
        name.push(PROGRESS_EXT);
        name.into()
    }

    /// How many of the segment's traces (in the order [`Claimed::read`] returns them) an
    /// earlier replay delivered. A damaged note counts as none: sending again is harmless.
    pub fn delivered(&self) -> usize {
        fs::read_to_string(self.progress_path())
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Records that the first `n` traces were delivered.
    pub fn record_delivered(&self, n: usize) {
        if let Err(e) = fs::write(self.progress_path(), n.to_string()) {
            crate::diag::warn(
                "spill_progress",
                format!(
                    "could not record replay progress next to {}: {e}",
                    self.original.display()
                ),
            );
        }
    }

    /// The segment is done with: its note goes too.
    pub fn forget_progress(&self) {
        let _ = fs::remove_file(self.progress_path());
    }
}

impl SpillStore {
    /// Writes `traces` into a segment of their own and returns its path (see [`SpillStore::discard`]).
    pub fn write_apart(
        &mut self,
        traces: &[Trace],
        shared: &SharedMetadata,
        stats: &Stats,
    ) -> io::Result<Option<PathBuf>> {
        self.writer.close()?;
        self.write(traces, shared, stats)?;
        let path = self.writer.current().map(Path::to_path_buf);
        self.writer.close()?;
        Ok(path)
    }

    /// Removes a segment written by [`SpillStore::write_apart`] whose traces were delivered
    /// after all. One already claimed for replay stays (its traces are sent again, which the
    /// server takes as an update).
    pub fn discard(&mut self, path: &Path) {
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if fs::remove_file(path).is_ok() {
            self.bytes = self.bytes.saturating_sub(len);
        }
    }
}
