//! The spill store: traces a destination could not take (it is down, or the queue was full),
//! kept on disk in the local store's segment format until they can be sent again.
//!
//! Each destination ("lane") spills into `<spill root>/<lane id>/`, where the lane id is a
//! stable hash of the destination's identity (server URI + experiment), so a later process with
//! the same configuration finds what an earlier one left. Replay claims one closed segment at a
//! time by renaming it to `<name>.claimed-<pid>` (atomic: two processes never replay the same
//! segment) and removes it only once all of it was delivered; a claim left by a dead process is
//! taken over. Records are finalized traces (already redacted): nothing else touches the disk.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::model::{write_trace_dict_with, Location, SharedMetadata, Trace, TraceDict};
use crate::stats::{DropReason, Stats};
use crate::store::{decode_records, files, SegmentWriter, SEGMENT_EXT};

/// Segments of the spill store stay this small, so claiming, replaying and dropping the oldest
/// work in small steps.
pub const SPILL_SEGMENT_BYTES: u64 = 1 << 20;
const CLAIM_MARK: &str = ".claimed-";

/// The stable folder name of a destination: 16 hex digits of FNV-1a over its identity.
///
/// ```
/// use ferrotrace_core::pipeline::spill::lane_id;
/// assert_eq!(lane_id("mlflow http://h:5000 exp=1"), lane_id("mlflow http://h:5000 exp=1"));
/// assert_ne!(lane_id("a"), lane_id("b"));
/// ```
pub fn lane_id(identity: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in identity.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The spill folder of one destination.
pub struct SpillStore {
    dir: PathBuf,
    writer: SegmentWriter,
    max_bytes: u64,
    /// Bytes of segments in the folder, as last counted plus what was written since.
    bytes: u64,
    identity_note: Option<String>,
}

/// A segment this process claimed for replay.
pub struct Claimed {
    path: PathBuf,
    original: PathBuf,
}

impl SpillStore {
    /// The spill folder for `identity` under `root` (created on first write). `identity` is
    /// written next to the segments (`destination.txt`) for people looking at the folder; it
    /// must carry no credentials.
    pub fn new(root: &Path, identity: &str, max_bytes: u64) -> SpillStore {
        let dir = root.join(lane_id(identity));
        let mut store = SpillStore {
            writer: SegmentWriter::with_max_bytes(dir.clone(), SPILL_SEGMENT_BYTES),
            dir,
            max_bytes,
            bytes: 0,
            identity_note: None,
        };
        store.bytes = store.count_bytes();
        store.identity_note = Some(identity.to_owned());
        store
    }

    /// This destination's folder (`<root>/<lane id>`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether any destination's folder under the spill `root` holds a non-empty file (a
    /// segment, or one claimed by a process that may have died): traces an earlier process
    /// left to replay.
    pub fn any_pending(root: &Path) -> bool {
        let Ok(lanes) = fs::read_dir(root) else {
            return false;
        };
        lanes.filter_map(|e| e.ok()).any(|lane| {
            fs::read_dir(lane.path()).is_ok_and(|files| {
                files
                    .filter_map(|f| f.ok()?.metadata().ok())
                    .any(|m| m.is_file() && m.len() > 0)
            })
        })
    }

    /// Whether the folder may hold traces to replay (a cheap check on the counted bytes).
    pub fn has_pending(&self) -> bool {
        self.bytes > 0
    }

    /// Re-counts the folder (another process may have added or replayed segments).
    pub fn rescan(&mut self) {
        self.bytes = self.count_bytes();
    }

    fn count_bytes(&self) -> u64 {
        self.segments()
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Closed and open segments (not claimed ones), oldest first.
    fn segments(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
            .collect();
        files.sort();
        files
    }

    /// Appends finalized traces (with `shared` in their metadata, see [`SharedMetadata`]) and
    /// syncs them to disk, then drops the oldest segments while the folder is over its limit
    /// (counted as `spill_full`).
    pub fn write(
        &mut self,
        traces: &[Trace],
        shared: &SharedMetadata,
        stats: &Stats,
    ) -> io::Result<()> {
        if traces.is_empty() {
            return Ok(());
        }
        if self.bytes == 0 {
            if let Some(id) = &self.identity_note {
                let _ = files::create_private_dir(&self.dir);
                let _ = files::write_private(&self.dir.join("destination.txt"), id.as_bytes());
            }
        }
        for t in traces {
            // Without an experiment the record leaves it open: replay sends it to the
            // destination's default.
            let location = match &t.info.experiment_id {
                Some(id) => Location::Experiment(id),
                None => Location::Unassigned,
            };
            let mut len = 0;
            self.writer.append_with(|out| {
                write_trace_dict_with(out, t, shared, location);
                len = out.len();
            })?;
            self.bytes += len as u64 + 24;
        }
        self.writer.sync()?;
        self.enforce_limit(stats);
        Ok(())
    }

    fn enforce_limit(&mut self, stats: &Stats) {
        if self.bytes <= self.max_bytes {
            return;
        }
        self.bytes = self.count_bytes();
        let open = self.writer.current().map(Path::to_path_buf);
        for seg in self.segments() {
            if self.bytes <= self.max_bytes {
                break;
            }
            if Some(&seg) == open.as_ref() {
                // The newest traces: close the segment so the limit still holds.
                let _ = self.writer.close();
            }
            let Ok(bytes) = fs::read(&seg) else { continue };
            if fs::remove_file(&seg).is_ok() {
                let (records, _) = decode_records(&bytes);
                let spans: u64 = records.iter().map(|r| count_spans(r)).sum();
                stats.drop_counted(DropReason::SpillFull, records.len() as u64, spans);
                self.bytes = self.bytes.saturating_sub(bytes.len() as u64);
            }
        }
        crate::diag::warn(
            "spill_full",
            format!(
                "the spill folder {} reached FERROTRACE_SPILL_MAX_BYTES ({} bytes); the oldest traces were dropped",
                self.dir.display(),
                self.max_bytes
            ),
        );
    }

    /// Claims the oldest segment no live process is writing or replaying, closing this
    /// process's open segment first so it can be claimed too.
    pub fn claim_next(&mut self) -> Option<Claimed> {
        let _ = self.writer.close();
        let me = std::process::id();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            self.bytes = 0;
            return None;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .collect();
        names.sort();
        for name in names {
            let original = if let Some((base, pid)) = name.split_once(CLAIM_MARK) {
                // Another process's claim: only a dead one's is taken over.
                match pid.parse::<u32>() {
                    Ok(pid) if pid != me && !alive(pid) => base.to_owned(),
                    _ => continue,
                }
            } else if name.ends_with(&format!(".{SEGMENT_EXT}")) {
                match writer_pid(&name) {
                    Some(pid) if pid != me && alive(pid) => continue, // still being written
                    _ => name.clone(),
                }
            } else {
                continue;
            };
            let from = self.dir.join(&name);
            let to = self.dir.join(format!("{original}{CLAIM_MARK}{me}"));
            if fs::rename(&from, &to).is_ok() {
                return Some(Claimed {
                    path: to,
                    original: self.dir.join(original),
                });
            }
        }
        self.rescan();
        None
    }

    /// A claimed segment delivered in full: remove it.
    pub fn finish(&mut self, claim: Claimed) {
        let len = fs::metadata(&claim.path).map(|m| m.len()).unwrap_or(0);
        let _ = fs::remove_file(&claim.path);
        self.bytes = self.bytes.saturating_sub(len);
    }

    /// A claimed segment not (fully) delivered: give it back for a later attempt. What was
    /// delivered of it will be sent again, which the server takes as an update.
    pub fn release(&mut self, claim: Claimed) {
        if fs::rename(&claim.path, &claim.original).is_err() {
            crate::diag::warn(
                "spill_release",
                format!(
                    "could not return {} to the spill folder",
                    claim.path.display()
                ),
            );
        }
    }
}

impl Claimed {
    /// The traces of the segment, oldest first; damaged records are skipped with a warning.
    pub fn read(&self) -> Vec<Trace> {
        self.read_counted(&Stats::default())
    }

    /// As [`Claimed::read`], counting each record that cannot be read back as a dropped trace
    /// (`damaged_record`).
    pub fn read_counted(&self, stats: &Stats) -> Vec<Trace> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) => {
                crate::diag::warn(
                    "spill_read",
                    format!("cannot read {}: {e}", self.path.display()),
                );
                return Vec::new();
            }
        };
        let (records, damage) = decode_records(&bytes);
        let traces: Vec<Trace> = records
            .iter()
            .filter_map(|r| serde_json::from_slice::<TraceDict>(r).ok())
            .filter_map(|d| Trace::try_from(&d).ok())
            .collect();
        let lost = damage.len() + records.len() - traces.len();
        if lost > 0 {
            stats.drop_counted(DropReason::DamagedRecord, lost as u64, 0);
            crate::diag::warn(
                "spill_read",
                format!(
                    "{}: skipped {lost} damaged record(s) (damaged_record)",
                    self.path.display(),
                ),
            );
        }
        traces
    }
}

fn count_spans(record: &[u8]) -> u64 {
    serde_json::from_slice::<TraceDict>(record)
        .map(|d| d.data.spans.len() as u64)
        .unwrap_or(0)
}

/// The writer's pid in a segment name `<ms>-<pid>-<seq>.ftseg`.
fn writer_pid(name: &str) -> Option<u32> {
    name.split('-').nth(1)?.parse().ok()
}

fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks whether the process exists.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests;

mod progress;
