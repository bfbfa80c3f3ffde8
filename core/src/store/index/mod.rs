//! Per-segment indexes: what search needs of each record (id, times, state, name, tags,
//! metadata, span names and types, where the record is), dictionary-encoded in a small binary
//! file next to the segment (`<segment stem>.ftix`, see [`table`]), so that a search reads a few
//! bytes per trace and parses no JSON.
//!
//! Who writes an index file, and why that is safe with several processes:
//! - The process writing a segment appends to its index after each synced batch (the rows of
//!   the records it just wrote, built from the trace without parsing it back). A block is only
//!   written once the records it covers are on disk; a torn or missing block only means less
//!   is covered.
//! - A reader reads the blocks that check out and indexes the rest of the segment itself (a
//!   record written since, or a segment written without an index). It saves that work (a whole
//!   new file, written aside then renamed over) only when no live process writes the segment,
//!   so it never replaces a file a writer still appends to.
//! - The index names its segment's inode and the bytes it covers: an index of a removed or
//!   rewritten segment, or one that claims more than the segment holds, is not used.

pub mod cache;
mod summary;
pub mod table;
mod writer;

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use summary::{Summary, TraceRow};
pub use table::{Row, RowSource, Table};
pub(crate) use writer::Indexer;

use super::mutation::is_mutation;
use super::segment::decode_records;

/// File extension of index files.
pub const INDEX_EXT: &str = "ftix";
/// The extension of the JSON-lines indexes of earlier versions (removed by compaction).
pub const OLD_INDEX_EXT: &str = "ftidx";

/// The index of one segment, brought up to date.
#[derive(Debug, Default)]
pub struct SegmentIndex {
    pub segment: PathBuf,
    pub table: Table,
    /// Damaged records seen while indexing (reported when indexed by this reader).
    pub warnings: Vec<String>,
    /// Records this reader had to parse (not covered by the index file).
    pub parsed: usize,
    /// Hashes of the row ids, sorted (made once, on first use).
    id_hashes: std::sync::OnceLock<Vec<u64>>,
}

impl SegmentIndex {
    /// Hashes of the trace ids of the rows, sorted: what a search needs to find the ids that
    /// have records in several places (kept with a cached index, so made once).
    pub fn id_hashes(&self) -> &[u64] {
        self.id_hashes.get_or_init(|| {
            let t = &self.table;
            let mut h: Vec<u64> = t.rows().iter().map(|r| id_hash(t.id(r))).collect();
            h.sort_unstable();
            h
        })
    }
}

/// The hash of a trace id (a collision only makes a search merge two rows' records
/// needlessly). Fixed, not seeded: hashes are compared across segments and calls.
pub fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(id)
}

/// The index file of a segment.
pub fn index_path(segment: &Path) -> PathBuf {
    segment.with_extension(INDEX_EXT)
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// The index of `segment`: its index file, plus whatever the file does not cover yet, read
/// from the segment. A segment that has gone (compacted away meanwhile) is `Ok(None)`.
pub fn load(segment: &Path) -> std::io::Result<Option<SegmentIndex>> {
    let meta = match std::fs::metadata(segment) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    load_from(segment, &meta)
}

/// [`load`], with the segment's metadata already read.
fn load_from(segment: &Path, meta: &std::fs::Metadata) -> std::io::Result<Option<SegmentIndex>> {
    let (len, ino) = (meta.len(), inode(meta));
    let idx_path = index_path(segment);
    let bytes = std::fs::read(&idx_path).unwrap_or_default();
    let (mut table, mut covered) = table::decode(&bytes, ino);
    if covered > len {
        // Claims more than the segment holds: not this segment's index.
        table = Table::default();
        covered = 0;
    }
    let mut out = SegmentIndex {
        segment: segment.to_path_buf(),
        ..SegmentIndex::default()
    };
    if covered < len {
        let tail = match read_from(segment, covered) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut b = table::Builder::from_table(table);
        let before = covered;
        let (used, parsed) = index_tail(&tail, before, &mut b, &mut out.warnings, segment);
        covered += used;
        out.parsed = parsed;
        if covered > before && !writer::may_be_written(segment) {
            save(&idx_path, &encode_file(ino, covered, &mut b));
        }
        table = b.table;
    }
    out.table = table;
    Ok(Some(out))
}

fn read_from(path: &Path, offset: u64) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Indexes whole records of `tail` (which starts at `base` in the segment); returns how many
/// bytes it covered (up to the end of the last valid record, so a record being written now is
/// indexed by a later reader) and how many records it parsed.
fn index_tail(
    tail: &[u8],
    base: u64,
    b: &mut table::Builder,
    warnings: &mut Vec<String>,
    segment: &Path,
) -> (u64, usize) {
    let (records, damage) = decode_records(tail);
    let start = tail.as_ptr() as usize;
    let mut end = 0usize;
    for payload in &records {
        let off = payload.as_ptr() as usize - start;
        end = off + payload.len() + 1;
        if is_mutation(payload) {
            b.add_mutation(payload);
            continue;
        }
        match Summary::parse(payload, base + off as u64, payload.len() as u64) {
            Ok(s) => b.add(&s),
            Err(e) => warnings.push(format!(
                "{}: skipped a record that is not a trace ({e})",
                segment.display()
            )),
        }
    }
    for d in damage {
        // Damage after the last whole record may be a record still being written.
        if d.offset < end {
            warnings.push(format!(
                "{}: skipped a damaged record at byte {} ({})",
                segment.display(),
                base + d.offset as u64,
                d.reason
            ));
        }
    }
    (end as u64, records.len())
}

/// Writes an index file aside and renames it into place (readers see the old file or the new).
pub(crate) fn save(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("{INDEX_EXT}.tmp{}", std::process::id()));
    let written = write_private(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The whole index file of a segment whose inode is `ino`, covering `covered` bytes of it.
pub(crate) fn encode_file(ino: u64, covered: u64, b: &mut table::Builder) -> Vec<u8> {
    b.mark_all_new();
    let mut file = table::header(ino);
    file.extend(b.block(covered));
    file
}

/// The inode of a file (0 where there is none), as an index file names its segment.
pub(crate) fn inode_of(path: &Path) -> std::io::Result<u64> {
    Ok(inode(&std::fs::metadata(path)?))
}

/// Writes a file only its owner can read (trace data is private).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_data()
}

/// The payload at `offset`/`len` of a segment.
pub fn read_payload(segment: &Path, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(segment)?;
    if offset.saturating_add(len) > f.metadata()?.len() {
        return Err(std::io::Error::other(
            "the index points past the end of the segment",
        ));
    }
    f.seek(SeekFrom::Start(offset))?;
    let mut out = vec![0u8; len as usize];
    f.read_exact(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
