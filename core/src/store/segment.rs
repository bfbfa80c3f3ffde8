//! The record format of the local store and of the spill store.
//!
//! A store is a folder of append-only segment files `<unix ms>-<pid>-<seq>.ftseg`. Each process
//! writes its own segments, so concurrent writers never interleave. A record is one line:
//!
//! ```text
//! FT1 <payload length in bytes> <crc32 of payload, 8 hex> <payload>\n
//! ```
//!
//! The payload is JSON (no raw newlines). A reader checks length, checksum and the final newline;
//! a record that fails (a process killed mid-write) is skipped and reading resumes at the next
//! line that starts a record, so a torn record never damages the ones before or after it.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::files;
use super::index::{Indexer, RowSource};
use super::stream::{check_body, next_line_start, parse_head, Head};

pub(super) const MAGIC: &[u8] = b"FT1 ";
/// File extension of segments.
pub const SEGMENT_EXT: &str = "ftseg";
/// A segment is closed and a new one started past this size.
const MAX_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Appended records are written to the file at `sync` (one write per batch), or once this many
/// bytes wait.
const MAX_PENDING_BYTES: usize = 1 << 20;

/// Appends records to the current segment of a store folder, creating folder and segment lazily.
/// Records reach the file at the next [`SegmentWriter::sync`] (or [`SegmentWriter::close`], or
/// when the writer is dropped), in one write.
pub struct SegmentWriter {
    dir: PathBuf,
    file: Option<File>,
    current: Option<PathBuf>,
    /// Bytes of the current segment, including those still pending.
    written: u64,
    seq: u32,
    dirty: bool,
    max_bytes: u64,
    /// Framed records not written to the file yet.
    pending: Vec<u8>,
    /// The payload being built by [`SegmentWriter::append_with`], kept for its capacity.
    payload: Vec<u8>,
    /// The index of the current segment, when this writer keeps one.
    index: Option<Box<Indexer>>,
}

impl SegmentWriter {
    pub fn new(dir: PathBuf) -> Self {
        SegmentWriter {
            dir,
            file: None,
            current: None,
            written: 0,
            seq: 0,
            dirty: false,
            max_bytes: MAX_SEGMENT_BYTES,
            pending: Vec::new(),
            payload: Vec::new(),
            index: None,
        }
    }

    /// Keeps the index of each segment it writes (see [`crate::store::index`]), so that
    /// searches read the index instead of parsing the records.
    pub fn indexed(mut self) -> Self {
        self.index = Some(Box::default());
        self
    }

    /// A writer that starts a new segment past `max_bytes` (the spill store keeps segments
    /// small, so claiming, replaying and dropping work in small units).
    pub fn with_max_bytes(dir: PathBuf, max_bytes: u64) -> Self {
        let mut w = SegmentWriter::new(dir);
        w.max_bytes = max_bytes;
        w
    }

    /// Syncs and closes the current segment; the next append starts a new one.
    pub fn close(&mut self) -> io::Result<()> {
        let out = self.sync();
        self.file = None;
        self.forget_current();
        out
    }

    fn forget_current(&mut self) {
        if let Some(p) = self.current.take() {
            files::mark_closed(&p);
        }
    }

    /// The segment being appended to, if one is open.
    pub fn current(&self) -> Option<&Path> {
        self.current.as_deref()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one record.
    pub fn append(&mut self, payload: &str) -> io::Result<()> {
        self.append_with(|out| out.extend_from_slice(payload.as_bytes()))
    }

    /// Appends one record whose payload (JSON, without raw newlines) `write` puts into the
    /// (empty) buffer it is given; the buffer is reused from record to record.
    pub fn append_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        let mut payload = std::mem::take(&mut self.payload);
        payload.clear();
        write(&mut payload);
        let out = self.push(&payload, None);
        self.payload = payload;
        out
    }

    /// [`SegmentWriter::append_with`] for a trace record whose index row the caller gives
    /// (taken from the trace, so that the record is not parsed back to index it).
    pub fn append_trace_with(
        &mut self,
        row: &dyn RowSource,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        let mut payload = std::mem::take(&mut self.payload);
        payload.clear();
        write(&mut payload);
        let out = self.push(&payload, Some(row));
        self.payload = payload;
        out
    }

    fn push(&mut self, payload: &[u8], row: Option<&dyn RowSource>) -> io::Result<()> {
        let line = record_len(payload.len()) as u64;
        if self.file.is_none() || self.written + line > self.max_bytes {
            self.write_pending()?;
            self.open_next()?;
        }
        if let Some(ix) = self.index.as_mut() {
            ix.record(
                payload,
                self.written + (line - payload.len() as u64 - 1),
                row,
            );
        }
        push_record(&mut self.pending, payload);
        self.written += line;
        self.dirty = true;
        if self.pending.len() >= MAX_PENDING_BYTES {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Writes the pending records with one call.
    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = match self.file.as_mut() {
            Some(file) => file.write_all(&self.pending),
            None => Err(io::Error::other("no segment is open")),
        };
        self.pending.clear();
        if written.is_err() {
            // Whatever part was written is torn; start a fresh segment next time.
            if let Some(ix) = self.index.as_mut() {
                ix.stop();
            }
            self.file = None;
            self.forget_current();
        }
        written
    }

    /// Makes appended records durable (written, then fdatasync).
    pub fn sync(&mut self) -> io::Result<()> {
        self.write_pending()?;
        if let (true, Some(f)) = (self.dirty, self.file.as_ref()) {
            f.sync_data()?;
            self.dirty = false;
        }
        if let (Some(ix), Some(_)) = (self.index.as_mut(), self.file.as_ref()) {
            ix.synced(self.written);
        }
        Ok(())
    }

    fn open_next(&mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            let synced = f.sync_data().is_ok();
            if let Some(ix) = self.index.as_mut() {
                if synced {
                    ix.synced(self.written);
                }
                ix.stop();
            }
        }
        self.forget_current();
        files::create_private_dir(&self.dir)?;
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let pid = std::process::id();
        loop {
            self.seq += 1;
            let path = self
                .dir
                .join(format!("{ms:013}-{pid}-{:04}.{SEGMENT_EXT}", self.seq));
            match files::private_options()
                .append(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => {
                    if let Some(ix) = self.index.as_mut() {
                        ix.start(&path, &f);
                    }
                    files::mark_open(&path);
                    self.file = Some(f);
                    self.current = Some(path);
                    self.written = 0;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for SegmentWriter {
    fn drop(&mut self) {
        // Best effort: an error here has no one to go to, and the next process starts afresh.
        let _ = self.write_pending();
        self.forget_current();
    }
}

/// One framed record line.
pub fn encode_record(payload: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(record_len(payload.len()));
    push_record(&mut line, payload);
    line
}

/// The length of the framed line of a payload of `len` bytes.
fn record_len(len: usize) -> usize {
    MAGIC.len() + itoa::Buffer::new().format(len).len() + 10 + len + 1
}

/// Appends the framed line of `payload`: `FT1 <len> <crc32, 8 hex> <payload>\n`.
fn push_record(out: &mut Vec<u8>, payload: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let crc = crc32fast::hash(payload);
    out.reserve(record_len(payload.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(itoa::Buffer::new().format(payload.len()).as_bytes());
    out.push(b' ');
    out.extend((0..8).rev().map(|i| HEX[(crc >> (i * 4)) as usize & 0xf]));
    out.push(b' ');
    out.extend_from_slice(payload);
    out.push(b'\n');
}

/// A record that could not be read, with its byte offset in the segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub offset: usize,
    pub reason: &'static str,
}

/// Splits a segment into its valid payloads, reporting damaged stretches.
pub fn decode_records(bytes: &[u8]) -> (Vec<&[u8]>, Vec<Damage>) {
    let mut records = Vec::new();
    let mut damage = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        match decode_one(&bytes[pos..]) {
            Ok((payload, used)) => {
                records.push(payload);
                pos += used;
            }
            Err(reason) => {
                damage.push(Damage {
                    offset: pos,
                    reason,
                });
                // Resume at the next line that starts a record.
                pos = match find_next_record(&bytes[pos..]) {
                    Some(off) => pos + off,
                    None => bytes.len(),
                };
            }
        }
    }
    (records, damage)
}

fn decode_one(b: &[u8]) -> Result<(&[u8], usize), &'static str> {
    let (len, crc, size) = match parse_head(b) {
        Head::Ok { len, crc, size } => (len, crc, size),
        Head::Short => return Err("truncated header"),
        Head::Bad(reason) => return Err(reason),
    };
    let body = &b[size..];
    // `len` comes from the file and may be anything up to usize::MAX: no arithmetic on it.
    if len >= body.len() {
        return Err("truncated record");
    }
    let payload = check_body(&body[..=len], crc)?;
    Ok((payload, size + len + 1))
}

fn find_next_record(b: &[u8]) -> Option<usize> {
    next_line_start(b)
}

#[cfg(test)]
mod tests;
