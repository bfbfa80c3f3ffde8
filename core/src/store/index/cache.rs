//! The segment indexes a process has read, kept for its next search: a search that finds a
//! segment and its index file as they were (same inode, length and modification time of
//! both) reuses the table it decoded then, instead of reading and decoding the file again.
//!
//! Why a stale entry is never used: a segment only grows by appends (its length changes),
//! compaction replaces it by a new file (another inode), and an index file either grows by a
//! block or is replaced by rename (another inode); any of these changes the stamp, and the
//! segment is read again. The cache holds at most [`CACHE_BYTES`] of tables; past that the
//! oldest entries are dropped, so memory stays bounded however large the store.

use std::collections::VecDeque;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use super::{index_path, inode, load_from, SegmentIndex};

/// Bytes of decoded tables the cache keeps (about 300,000 traces of 5 spans).
pub const CACHE_BYTES: usize = 64 << 20;

/// What a segment and its index file looked like when the entry was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    seg: (u64, u64, Option<SystemTime>),
    /// The index file (`None` when there is none).
    idx: Option<(u64, u64, Option<SystemTime>)>,
}

fn file_stamp(m: &Metadata) -> (u64, u64, Option<SystemTime>) {
    (inode(m), m.len(), m.modified().ok())
}

struct Entry {
    segment: PathBuf,
    stamp: Stamp,
    bytes: usize,
    idx: Arc<SegmentIndex>,
}

#[derive(Default)]
struct Cache {
    /// Oldest first.
    entries: VecDeque<Entry>,
    bytes: usize,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The cache, unless another thread holds it for long: the lock is only held for lookups and
/// inserts, so a miss means a lock left held by a thread that is gone (a `fork()` child of a
/// process that forked mid-search). The search then reads the files, as without a cache:
/// slower, never stuck.
fn lock() -> Option<std::sync::MutexGuard<'static, Cache>> {
    for _ in 0..50 {
        match cache().try_lock() {
            Ok(c) => return Some(c),
            Err(std::sync::TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    None
}

/// The index of `segment`, as [`super::load`] gives it: from the cache when neither the segment
/// nor its index file changed since it was read, else read now (and kept for next time).
pub fn load(segment: &Path) -> std::io::Result<Option<Arc<SegmentIndex>>> {
    let meta = match std::fs::metadata(segment) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            forget(segment);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let idx_path = index_path(segment);
    let stamp = Stamp {
        seg: file_stamp(&meta),
        idx: std::fs::metadata(&idx_path).ok().map(|m| file_stamp(&m)),
    };
    if let Some(c) = lock() {
        if let Some(e) = c
            .entries
            .iter()
            .find(|e| e.stamp == stamp && e.segment == segment)
        {
            return Ok(Some(e.idx.clone()));
        }
    }
    let Some(idx) = load_from(segment, &meta)? else {
        forget(segment);
        return Ok(None);
    };
    let idx = Arc::new(idx);
    // Reading may have saved a fuller index file: stamp the entry with the file as it is now
    // (a file changed by another process meanwhile only costs one more read next time).
    let stamp = Stamp {
        idx: std::fs::metadata(&idx_path).ok().map(|m| file_stamp(&m)),
        ..stamp
    };
    keep(segment, stamp, idx.clone());
    Ok(Some(idx))
}

fn keep(segment: &Path, stamp: Stamp, idx: Arc<SegmentIndex>) {
    let bytes = idx.table.heap_bytes() + std::mem::size_of::<SegmentIndex>();
    let entry = Entry {
        segment: segment.to_path_buf(),
        stamp,
        bytes,
        idx,
    };
    if let Some(mut c) = lock() {
        c.insert(entry, CACHE_BYTES);
    }
}

impl Cache {
    /// Adds an entry (replacing the segment's older one), dropping the oldest entries to stay
    /// within `bound` bytes; an entry larger than the bound is not kept.
    fn insert(&mut self, entry: Entry, bound: usize) {
        if let Some(pos) = self.entries.iter().position(|e| e.segment == entry.segment) {
            if let Some(old) = self.entries.remove(pos) {
                self.bytes -= old.bytes;
            }
        }
        if entry.bytes > bound {
            return;
        }
        while self.bytes + entry.bytes > bound {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.bytes,
                None => break,
            }
        }
        self.bytes += entry.bytes;
        self.entries.push_back(entry);
    }
}

fn forget(segment: &Path) {
    let Some(mut c) = lock() else {
        return;
    };
    let before = c.entries.len();
    let mut freed = 0;
    c.entries.retain(|e| {
        let gone = e.segment == segment;
        if gone {
            freed += e.bytes;
        }
        !gone
    });
    if c.entries.len() != before {
        c.bytes -= freed;
    }
}

/// Drops the entries of segments of `dir` that are no longer among `present` (removed by
/// rotation or compaction).
pub fn retain_present(dir: &Path, present: &[PathBuf]) {
    let Some(mut c) = lock() else {
        return;
    };
    let mut freed = 0;
    c.entries.retain(|e| {
        let keep = e.segment.parent() != Some(dir) || present.contains(&e.segment);
        if !keep {
            freed += e.bytes;
        }
        keep
    });
    c.bytes -= freed;
}

/// Empties the cache (tests, and a process that wants the memory back).
pub fn clear() {
    if let Some(mut c) = lock() {
        c.entries.clear();
        c.bytes = 0;
    }
}

/// Bytes the cache holds now.
pub fn held_bytes() -> usize {
    lock().map_or(0, |c| c.bytes)
}

#[cfg(test)]
mod tests;
