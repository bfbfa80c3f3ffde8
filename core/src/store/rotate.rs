//! The size cap of the local store (`FERROTRACE_LOCAL_MAX_BYTES`): past it, the oldest segments
//! are removed and the traces in them counted as dropped (`local_store_rotated`).
//!
//! Several writers may share a folder (this process's exporters, other processes): each one
//! counts the folder when it has written a segment's worth since it last looked, or when its
//! estimate passes the cap, and then removes the oldest segments that no writer can still be
//! appending to.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::files;
use super::segment::SEGMENT_EXT;
use super::stream::RecordStream;

/// What a rotation removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    pub segments: u64,
    pub traces: u64,
    pub spans: u64,
}

/// The segments of `dir`, oldest first (names start with the creation time), with their sizes.
fn segments(dir: &Path) -> Vec<(PathBuf, u64)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, u64)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            if path.extension().is_none_or(|x| x != SEGMENT_EXT) {
                return None;
            }
            Some((path, e.metadata().ok()?.len()))
        })
        .collect();
    out.sort();
    out
}

/// The writer's pid in a segment name `<ms>-<pid>-<seq>.ftseg`.
fn writer_pid(path: &Path) -> Option<u32> {
    path.file_name()?.to_str()?.split('-').nth(1)?.parse().ok()
}

fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes the oldest segments of `dir` until its segments take at most `max_bytes`, keeping
/// those a writer may still append to: the ones this process has open, and the newest of each
/// other live process. Returns what was removed and the bytes left.
pub(crate) fn enforce(dir: &Path, max_bytes: u64) -> (Rotated, u64) {
    let segs = segments(dir);
    let mut total: u64 = segs.iter().map(|(_, n)| n).sum();
    let mut out = Rotated::default();
    if total <= max_bytes {
        return (out, total);
    }
    let me = std::process::id();
    let mut newest: HashMap<u32, &Path> = HashMap::new();
    for (p, _) in &segs {
        if let Some(pid) = writer_pid(p) {
            newest.insert(pid, p);
        }
    }
    for (path, len) in &segs {
        if total <= max_bytes {
            break;
        }
        if files::is_open_here(path) {
            continue;
        }
        if let Some(pid) = writer_pid(path) {
            if pid != me && newest.get(&pid) == Some(&path.as_path()) && alive(pid) {
                continue;
            }
        }
        let (traces, spans) = count(path);
        if fs::remove_file(path).is_ok() {
            let _ = fs::remove_file(super::index::index_path(path));
            out.segments += 1;
            out.traces += traces;
            out.spans += spans;
            total = total.saturating_sub(*len);
        }
    }
    (out, total)
}

#[derive(Deserialize)]
struct SpanCount {
    data: SpanList,
}

#[derive(Deserialize)]
struct SpanList {
    spans: Vec<IgnoredAny>,
}

/// Records (traces) and spans in a segment; a damaged record counts as one trace.
fn count(path: &Path) -> (u64, u64) {
    let Ok(file) = fs::File::open(path) else {
        return (0, 0);
    };
    let limit = file.metadata().ok().map(|m| m.len());
    let (mut records, mut damaged, mut spans) = (0, 0, 0);
    let _ = RecordStream::new(file, limit).for_each(
        |payload| {
            records += 1;
            if let Ok(c) = serde_json::from_slice::<SpanCount>(payload) {
                spans += c.data.spans.len() as u64;
            }
        },
        |_| damaged += 1,
    );
    (records + damaged, spans)
}
