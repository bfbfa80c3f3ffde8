//! `ferrotrace store compact`: rewrites the segments no process is writing any more without the
//! records later ones supersede (deleted traces, repeated deliveries of a trace, tags and
//! assessments changed again), while other processes go on writing their own segments.
//!
//! Safe while others write: a segment whose writer process is alive is left alone; the
//! compacted records are written to a new segment (under a temporary name, synced, then
//! renamed) before the old segments are removed, so a reader at any moment sees every record
//! at least once (a record seen twice folds to the same result). One compaction at a time
//! (a lock file).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::index::table::Builder;
use super::index::{index_path, Summary, INDEX_EXT, OLD_INDEX_EXT};
use super::mutation::{is_mutation, Mutation, Op};
use super::search::{segments, snapshot};
use super::segment::{decode_records, encode_record, SEGMENT_EXT};
use crate::error::{Error, Result};
use crate::model::TraceDict;

/// What a compaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompactReport {
    /// Segments rewritten (their writers have exited).
    pub segments_compacted: usize,
    /// Segments left alone because a live process writes them.
    pub segments_live: usize,
    pub records_before: usize,
    pub records_after: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub warnings: Vec<String>,
}

const LOCK: &str = ".compact.lock";
/// A lock older than this was left by a compaction that died.
const STALE_LOCK_SECS: u64 = 600;

/// The writer process of a segment (`<ms>-<pid>-<seq>.ftseg`), if its name says.
fn segment_pid(path: &Path) -> Option<u32> {
    let stem = path.file_stem()?.to_str()?;
    stem.split('-').nth(1)?.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Signal 0 checks existence only; EPERM means it exists under another user.
    // SAFETY: kill(2) with signal 0 sends nothing and touches no memory of ours.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lock(dir: &Path) -> Result<LockGuard> {
    let path = dir.join(LOCK);
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(LockGuard(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > STALE_LOCK_SECS);
                if !stale {
                    break;
                }
                let _ = std::fs::remove_file(&path);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::InvalidArgument(format!(
        "another compaction of {} is running (lock file {LOCK})",
        dir.display()
    )))
}

/// Compacts the store folder `dir`.
pub fn compact(dir: &Path) -> Result<CompactReport> {
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a folder",
            dir.display()
        )));
    }
    let _lock = lock(dir)?;
    let mut report = CompactReport::default();
    let all = segments(dir)?;
    let (closed, live): (Vec<PathBuf>, Vec<PathBuf>) = all
        .into_iter()
        .partition(|p| !segment_pid(p).is_some_and(process_alive));
    report.segments_live = live.len();
    if closed.is_empty() {
        return Ok(report);
    }
    // The whole store's changes decide what is deleted.
    let snap = snapshot(dir)?;
    // Traces that also have records in live segments keep their deletion record.
    let mut live_ids: HashSet<String> = HashSet::new();
    for seg in &live {
        if let Ok(Some(idx)) = super::index::load(seg) {
            let t = &idx.table;
            live_ids.extend(t.rows().iter().map(|r| t.id(r).to_owned()));
        }
    }
    let mut traces: Vec<TraceDict> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut latest: BTreeMap<(String, String), Mutation> = BTreeMap::new();
    let mut min_ms = u64::MAX;
    for seg in &closed {
        let name_ms = seg
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.split('-').next())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        min_ms = min_ms.min(name_ms);
        let bytes = std::fs::read(seg)?;
        report.bytes_before += bytes.len() as u64;
        let (records, damage) = decode_records(&bytes);
        for d in damage {
            report.warnings.push(format!(
                "{}: dropped a damaged record at byte {} ({})",
                seg.display(),
                d.offset,
                d.reason
            ));
        }
        report.records_before += records.len();
        for payload in records {
            if is_mutation(payload) {
                match serde_json::from_slice::<Mutation>(payload) {
                    Ok(m) => {
                        let key = m.target();
                        if latest.get(&key).is_none_or(|old| old.at_ns <= m.at_ns) {
                            latest.insert(key, m);
                        }
                    }
                    Err(e) => report.warnings.push(format!(
                        "{}: dropped an unreadable change ({e})",
                        seg.display()
                    )),
                }
                continue;
            }
            let t: TraceDict = match serde_json::from_slice(payload) {
                Ok(t) => t,
                Err(e) => {
                    report.warnings.push(format!(
                        "{}: dropped a record that is not a trace ({e})",
                        seg.display()
                    ));
                    continue;
                }
            };
            match by_id.get(&t.info.trace_id) {
                Some(&i) => {
                    let earlier = std::mem::replace(&mut traces[i], t);
                    let merged = &mut traces[i];
                    for span in earlier.data.spans {
                        if !merged.data.spans.iter().any(|s| s.span_id == span.span_id) {
                            merged.data.spans.push(span);
                        }
                    }
                    merged.data.spans.sort_by_key(|s| s.start_time_unix_nano);
                }
                None => {
                    by_id.insert(t.info.trace_id.clone(), traces.len());
                    traces.push(t);
                }
            }
        }
    }
    let deleted = |id: &str| snap.folded.get(id).is_some_and(|f| f.deleted);
    let mut out: Vec<u8> = Vec::new();
    // The new segment's index is written with it, so no reader has to parse it.
    let mut index = Builder::default();
    for t in &traces {
        if deleted(&t.info.trace_id) {
            continue;
        }
        let payload = serde_json::to_vec(t).unwrap_or_default();
        let record = encode_record(&payload);
        let at = (out.len() + record.len() - payload.len() - 1) as u64;
        index.add(&Summary::of(t, at, payload.len() as u64));
        out.extend(record);
        report.records_after += 1;
    }
    let mut changes: Vec<&Mutation> = latest
        .values()
        .filter(|m| {
            // A deleted trace's changes go with it, unless a live segment still holds a record
            // of it (then its deletion must stay to hide that record).
            !deleted(&m.trace_id) || (live_ids.contains(&m.trace_id) && m.op == Op::DeleteTrace)
        })
        .collect();
    changes.sort_by_key(|m| m.at_ns);
    for m in changes {
        let payload = m.to_payload();
        index.add_mutation(&payload);
        out.extend(encode_record(&payload));
        report.records_after += 1;
    }
    report.bytes_after = out.len() as u64;
    // The new segment first (synced, under its final name), then the old ones go.
    if !out.is_empty() {
        let pid = std::process::id();
        let ms = if min_ms == u64::MAX { 0 } else { min_ms };
        let mut seq = 0u32;
        let path = loop {
            let p = dir.join(format!("{ms:013}-{pid}-c{seq:03}.{SEGMENT_EXT}"));
            if !p.exists() {
                break p;
            }
            seq += 1;
        };
        let tmp = path.with_extension(format!("{SEGMENT_EXT}.tmp"));
        super::index::write_private(&tmp, &out)?;
        // The index names the segment's inode, which the rename keeps.
        let ino = super::index::inode_of(&tmp)?;
        super::index::save(
            &index_path(&path),
            &super::index::encode_file(ino, out.len() as u64, &mut index),
        );
        std::fs::rename(&tmp, &path)?;
    }
    for seg in &closed {
        std::fs::remove_file(seg)?;
        let _ = std::fs::remove_file(index_path(seg));
        report.segments_compacted += 1;
    }
    // Index files whose segment is gone (another compaction's or a rotation's leftovers), and
    // those of earlier versions.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let ext = p.extension();
            if ext.is_some_and(|x| x == OLD_INDEX_EXT)
                || (ext.is_some_and(|x| x == INDEX_EXT) && !p.with_extension(SEGMENT_EXT).exists())
            {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    Ok(report)
}
