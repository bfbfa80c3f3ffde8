//! The index kept by the process that writes a segment: one block appended after each synced
//! batch.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::summary::Summary;
use super::table::{self, Builder, RowSource};
use crate::store::files;
use crate::store::mutation::is_mutation;

/// Builds the index of the segment a writer appends to.
#[derive(Default)]
pub(crate) struct Indexer {
    b: Builder,
    /// The index file, while it is being kept (dropped after a failed write: readers then
    /// index the rest of the segment themselves).
    file: Option<File>,
}

impl Indexer {
    /// Starts the index of a new (empty) segment.
    pub fn start(&mut self, segment: &Path, seg_file: &File) {
        self.b = Builder::default();
        self.file = None;
        let Ok(meta) = seg_file.metadata() else {
            return;
        };
        let path = super::index_path(segment);
        let opened = files::private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path);
        if let Ok(mut f) = opened {
            if f.write_all(&table::header(super::inode(&meta))).is_ok() {
                self.file = Some(f);
            }
        }
    }

    /// A record appended at `offset` of the segment (its payload), with its row when the
    /// caller has it.
    pub fn record(&mut self, payload: &[u8], offset: u64, row: Option<&dyn RowSource>) {
        if self.file.is_none() {
            return;
        }
        if let Some(r) = row {
            self.b.add_from(r, offset, payload.len() as u64);
        } else if is_mutation(payload) {
            self.b.add_mutation(payload);
        } else if let Ok(s) = Summary::parse(payload, offset, payload.len() as u64) {
            self.b.add(&s);
        }
        // A record that is not a trace is left out, as a reader leaves it out.
    }

    /// The records so far are on disk, up to `covered` bytes of the segment: appends their
    /// block.
    pub fn synced(&mut self, covered: u64) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        if !self.b.pending() {
            return;
        }
        let block = self.b.block(covered);
        if f.write_all(&block).is_err() {
            self.stop();
        }
    }

    /// Stops keeping the index of this segment (its records may not all be on disk).
    pub fn stop(&mut self) {
        self.file = None;
        self.b = Builder::default();
    }
}

/// Whether a process may still append to `segment`: this one has it open, or the process
/// named in it (`<ms>-<pid>-<seq>`) is alive.
pub(crate) fn may_be_written(segment: &Path) -> bool {
    if files::is_open_here(segment) {
        return true;
    }
    let pid = segment
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.split('-').nth(1))
        .and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) if pid == std::process::id() => false,
        Some(pid) => files::process_alive(pid),
        // Not named by a writer: nobody appends to it.
        None => false,
    }
}
