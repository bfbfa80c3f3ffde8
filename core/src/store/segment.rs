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

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const MAGIC: &[u8] = b"FT1 ";
/// File extension of segments.
pub const SEGMENT_EXT: &str = "ftseg";
/// A segment is closed and a new one started past this size.
const MAX_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Appends records to the current segment of a store folder, creating folder and segment lazily.
pub struct SegmentWriter {
    dir: PathBuf,
    file: Option<File>,
    current: Option<PathBuf>,
    written: u64,
    seq: u32,
    dirty: bool,
    max_bytes: u64,
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
        }
    }

    /// A writer that starts a new segment past `max_bytes` (the spill store keeps segments
    /// small, so claiming, replaying and dropping work in small units).
    pub fn with_max_bytes(dir: PathBuf, max_bytes: u64) -> Self {
        SegmentWriter {
            max_bytes,
            ..SegmentWriter::new(dir)
        }
    }

    /// Syncs and closes the current segment; the next append starts a new one.
    pub fn close(&mut self) -> io::Result<()> {
        let out = self.sync();
        self.file = None;
        self.current = None;
        out
    }

    /// The segment being appended to, if one is open.
    pub fn current(&self) -> Option<&Path> {
        self.current.as_deref()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one record. The line is built first and written with one call.
    pub fn append(&mut self, payload: &str) -> io::Result<()> {
        let line = encode_record(payload.as_bytes());
        if self.file.is_none() || self.written + line.len() as u64 > self.max_bytes {
            self.open_next()?;
        }
        let file = self.file.as_mut().expect("opened above");
        if let Err(e) = file.write_all(&line) {
            // Whatever part was written is a torn record; start a fresh segment next time.
            self.file = None;
            self.current = None;
            return Err(e);
        }
        self.written += line.len() as u64;
        self.dirty = true;
        Ok(())
    }

    /// Makes appended records durable (fdatasync).
    pub fn sync(&mut self) -> io::Result<()> {
        if let (true, Some(f)) = (self.dirty, self.file.as_ref()) {
            f.sync_data()?;
            self.dirty = false;
        }
        Ok(())
    }

    fn open_next(&mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            let _ = f.sync_data();
        }
        self.current = None;
        std::fs::create_dir_all(&self.dir)?;
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
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(f) => {
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

/// One framed record line.
pub fn encode_record(payload: &[u8]) -> Vec<u8> {
    let header = format!("FT1 {} {:08x} ", payload.len(), crc32fast::hash(payload));
    let mut line = Vec::with_capacity(header.len() + payload.len() + 1);
    line.extend_from_slice(header.as_bytes());
    line.extend_from_slice(payload);
    line.push(b'\n');
    line
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
    if !b.starts_with(MAGIC) {
        return Err("no record header");
    }
    let rest = &b[MAGIC.len()..];
    let sp1 = rest
        .iter()
        .take(21)
        .position(|c| *c == b' ')
        .ok_or("bad length field")?;
    let len: usize = std::str::from_utf8(&rest[..sp1])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("bad length field")?;
    let rest = &rest[sp1 + 1..];
    if rest.len() < 9 || rest[8] != b' ' {
        return Err("truncated header");
    }
    let crc = std::str::from_utf8(&rest[..8])
        .ok()
        .and_then(|s| u32::from_str_radix(s, 16).ok())
        .ok_or("bad checksum field")?;
    let body = &rest[9..];
    if body.len() < len + 1 {
        return Err("truncated record");
    }
    let payload = &body[..len];
    if body[len] != b'\n' {
        return Err("record not terminated");
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch");
    }
    let header_len = MAGIC.len() + sp1 + 1 + 9;
    Ok((payload, header_len + len + 1))
}

fn find_next_record(b: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < b.len() {
        if b[i - 1] == b'\n' && b[i..].starts_with(MAGIC) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut seg = Vec::new();
        for p in ["{\"a\": 1}", "", "{\"b\": \"x y\"}"] {
            seg.extend(encode_record(p.as_bytes()));
        }
        let (recs, dmg) = decode_records(&seg);
        assert!(dmg.is_empty());
        assert_eq!(recs, vec![&b"{\"a\": 1}"[..], b"", b"{\"b\": \"x y\"}"]);
    }

    #[test]
    fn torn_and_corrupt_records_are_skipped_without_losing_neighbours() {
        let a = encode_record(b"{\"n\": 1}");
        let b = encode_record(b"{\"n\": 2}");
        let c = encode_record(b"{\"n\": 3}");
        // Every possible torn tail of the last record.
        for cut in 0..c.len() {
            let mut seg = [a.clone(), b.clone()].concat();
            seg.extend_from_slice(&c[..cut]);
            let (recs, dmg) = decode_records(&seg);
            assert_eq!(recs.len(), 2, "cut at {cut}");
            assert_eq!(dmg.len(), usize::from(cut > 0));
        }
        // A flipped byte in the middle record: the first and last survive.
        let mut seg = [a.clone(), b.clone(), c.clone()].concat();
        let mid = a.len() + b.len() - 3;
        seg[mid] ^= 0x20;
        let (recs, dmg) = decode_records(&seg);
        assert_eq!(recs, vec![&b"{\"n\": 1}"[..], b"{\"n\": 3}"]);
        assert_eq!(dmg[0].reason, "checksum mismatch");
        // Garbage between records.
        let seg = [a.clone(), b"garbage\n".to_vec(), c.clone()].concat();
        assert_eq!(decode_records(&seg).0.len(), 2);
    }
}
