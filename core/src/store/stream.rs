//! Reading segments as a stream: one record at a time, in memory bounded by the largest record
//! rather than by the file, so a store larger than memory can be listed, shown and pushed.
//!
//! Both readers (this one and [`super::decode_records`] over bytes in memory) parse headers with
//! [`parse_head`] and resume after damage at the same place, so they find the same records and
//! the same damage (a fuzz target holds them to that).

use std::io::{self, Read};

use super::segment::{Damage, MAGIC};

/// Bytes read from the file at a time.
const CHUNK: usize = 256 * 1024;
/// What starts every record but the first of a file: resynchronisation looks for it.
const LINE_START: &[u8] = b"\nFT1 ";

/// A record header, as far as the bytes at hand tell.
pub(super) enum Head {
    /// A complete header: payload length and checksum, and the header's own length.
    Ok { len: usize, crc: u32, size: usize },
    /// The bytes end inside the header.
    Short,
    /// Not a header.
    Bad(&'static str),
}

/// Parses a record header `FT1 <len> <crc32, 8 hex> ` at the start of `b`. The length is not
/// checked against anything here: it comes from the file and may be any number.
pub(super) fn parse_head(b: &[u8]) -> Head {
    if b.len() < MAGIC.len() {
        return if MAGIC.starts_with(b) {
            Head::Short
        } else {
            Head::Bad("no record header")
        };
    }
    if !b.starts_with(MAGIC) {
        return Head::Bad("no record header");
    }
    let rest = &b[MAGIC.len()..];
    // usize::MAX has 20 digits: a longer field is no length.
    let Some(sp1) = rest.iter().take(21).position(|c| *c == b' ') else {
        return if rest.len() < 21 && rest.iter().all(u8::is_ascii_digit) {
            Head::Short
        } else {
            Head::Bad("bad length field")
        };
    };
    let Some(len) = std::str::from_utf8(&rest[..sp1])
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return Head::Bad("bad length field");
    };
    let rest = &rest[sp1 + 1..];
    if rest.len() < 9 {
        return Head::Short;
    }
    if rest[8] != b' ' {
        return Head::Bad("truncated header");
    }
    let Some(crc) = std::str::from_utf8(&rest[..8])
        .ok()
        .and_then(|s| u32::from_str_radix(s, 16).ok())
    else {
        return Head::Bad("bad checksum field");
    };
    Head::Ok {
        len,
        crc,
        size: MAGIC.len() + sp1 + 1 + 9,
    }
}

/// Checks a record's body: `len` payload bytes then a newline (`body` is exactly `len + 1`
/// bytes), with the header's checksum.
pub(super) fn check_body(body: &[u8], crc: u32) -> Result<&[u8], &'static str> {
    let (payload, end) = body.split_at(body.len() - 1);
    if end != b"\n" {
        return Err("record not terminated");
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch");
    }
    Ok(payload)
}

/// The offset in `b` at which reading resumes after damage at its start: the next line that
/// starts a record.
pub(super) fn next_line_start(b: &[u8]) -> Option<usize> {
    find(b, LINE_START).map(|i| i + 1)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads the records of one segment from `src`, a chunk at a time.
pub struct RecordStream<R> {
    src: R,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    pos: usize,
    /// Offset in the file of `buf[0]`.
    base: u64,
    /// The file's length when known: a record claiming more than is left is damage at once.
    limit: Option<u64>,
    eof: bool,
}

impl<R: Read> RecordStream<R> {
    /// A stream over `src`; `limit` is its length in bytes if known (a file's metadata).
    pub fn new(src: R, limit: Option<u64>) -> Self {
        RecordStream {
            src,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            limit,
            eof: false,
        }
    }

    /// Reads at least `want` more bytes unless the input ends first; false once nothing more
    /// could be read.
    fn fill(&mut self, want: usize) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let start = self.buf.len();
        let want = want.max(CHUNK);
        self.buf.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            match self.src.read(&mut self.buf[start + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(start + got);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(start + got);
        Ok(got > 0)
    }

    /// Calls `record` with each valid payload and `damage` with each damaged stretch, in file
    /// order. An I/O error ends the stream (what was read so far has been passed on).
    pub fn for_each(
        mut self,
        mut record: impl FnMut(&[u8]),
        mut damage: impl FnMut(Damage),
    ) -> io::Result<()> {
        loop {
            if self.pos == self.buf.len() && !self.fill(CHUNK)? {
                return Ok(());
            }
            let at = self.base + self.pos as u64;
            let reason = match parse_head(&self.buf[self.pos..]) {
                Head::Short => {
                    if self.fill(CHUNK)? {
                        continue;
                    }
                    "truncated header"
                }
                Head::Bad(reason) => reason,
                Head::Ok { len, crc, size } => match self.body(at, len, size)? {
                    Some(need) => {
                        let body = &self.buf[self.pos + size..self.pos + need];
                        match check_body(body, crc) {
                            Ok(payload) => {
                                record(payload);
                                self.pos += need;
                                continue;
                            }
                            Err(reason) => reason,
                        }
                    }
                    None => "truncated record",
                },
            };
            damage(Damage {
                offset: usize::try_from(at).unwrap_or(usize::MAX),
                reason,
            });
            if !self.resync()? {
                return Ok(());
            }
        }
    }

    /// Makes header and body of a record at `at` available in `buf`; returns the record's full
    /// length, or `None` when the input ends before it does.
    fn body(&mut self, at: u64, len: usize, size: usize) -> io::Result<Option<usize>> {
        let Some(need) = size.checked_add(len).and_then(|n| n.checked_add(1)) else {
            return Ok(None);
        };
        if self
            .limit
            .is_some_and(|l| need as u64 > l.saturating_sub(at))
        {
            return Ok(None);
        }
        while self.buf.len() - self.pos < need {
            let missing = need - (self.buf.len() - self.pos);
            if !self.fill(missing)? {
                return Ok(None);
            }
        }
        Ok(Some(need))
    }

    /// Moves to the next line that starts a record; false at the end of the input.
    fn resync(&mut self) -> io::Result<bool> {
        loop {
            if let Some(i) = next_line_start(&self.buf[self.pos..]) {
                self.pos += i;
                return Ok(true);
            }
            // Keep a tail that may be the beginning of a line start cut by the chunk's end.
            let keep = (self.buf.len() - self.pos).min(LINE_START.len() - 1);
            self.pos = self.buf.len() - keep;
            if !self.fill(CHUNK)? {
                self.pos = self.buf.len();
                return Ok(false);
            }
        }
    }
}

#[cfg(test)]
mod tests;
