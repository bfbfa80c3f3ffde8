//! The index of one segment in memory, and its file form.
//!
//! Strings (names, states, tag and metadata keys and values, span names and types) are kept
//! once per segment in a dictionary and rows refer to them by number, so a segment's index is
//! a few bytes per trace besides the strings that differ from trace to trace.
//!
//! File (`<segment stem>.ftix`): the header `FTIX1\n` and the segment's inode (u64), then
//! blocks, each `u32 length, u32 crc32, payload` (little-endian). A block's payload:
//!
//! ```text
//! u64 bytes of the segment covered once this block is read
//! u32 count, then each new dictionary string: u32 length, UTF-8 bytes (numbered on from the
//!     strings of earlier blocks)
//! u32 count, then each trace row: u32 id length, id, u64 payload offset, u64 payload length,
//!     u64 request time ms, u64 duration ms + 1 (0: none), u32 state, u32 name,
//!     u32 count + (u32 key, u32 value) tags, the same for metadata,
//!     u32 count + (u32 name, u32 type, u32 status) spans
//! u32 count, then each change record: u32 length, its JSON payload
//! ```
//!
//! A writer appends one block per synced batch; a reader stops at the first block that is torn
//! or fails its checksum, and reads what the blocks do not cover from the segment itself.

use super::summary::Summary;

pub(super) const MAGIC: &[u8] = b"FTIX1\n";
pub(super) const HEADER_LEN: usize = MAGIC.len() + 8;

/// One trace record of a segment.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// The trace id, in [`Table::ids`].
    id: (u32, u32),
    pub offset: u64,
    pub len: u64,
    pub t: u64,
    pub d: Option<u64>,
    pub state: u32,
    pub name: u32,
    /// Ranges of [`Table::pairs`] and [`Table::spans`].
    tags: (u32, u32),
    meta: (u32, u32),
    spans: (u32, u32),
}

/// Rows, their strings and the change records of one segment.
#[derive(Debug, Default)]
pub struct Table {
    /// The dictionary: each string's range in `text`.
    strs: Vec<(u32, u32)>,
    text: String,
    ids: String,
    pub(super) rows: Vec<Row>,
    pairs: Vec<(u32, u32)>,
    spans: Vec<[u32; 3]>,
    /// Change records (JSON payloads), in segment order.
    pub(super) mutations: Vec<Vec<u8>>,
}

impl Table {
    /// A dictionary string.
    #[inline]
    pub fn str(&self, n: u32) -> &str {
        let (a, b) = self.strs[n as usize];
        &self.text[a as usize..b as usize]
    }

    #[inline]
    pub fn id(&self, r: &Row) -> &str {
        &self.ids[r.id.0 as usize..r.id.1 as usize]
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn mutations(&self) -> &[Vec<u8>] {
        &self.mutations
    }

    pub fn tags(&self, r: &Row) -> &[(u32, u32)] {
        &self.pairs[r.tags.0 as usize..r.tags.1 as usize]
    }

    pub fn meta(&self, r: &Row) -> &[(u32, u32)] {
        &self.pairs[r.meta.0 as usize..r.meta.1 as usize]
    }

    pub fn spans(&self, r: &Row) -> &[[u32; 3]] {
        &self.spans[r.spans.0 as usize..r.spans.1 as usize]
    }

    /// Whether the dictionary holds `s`.
    pub fn has_str(&self, s: &str) -> bool {
        self.find_str(s).is_some()
    }

    /// The number of `s` in the dictionary (a scan: strings of another length cost one
    /// comparison each).
    pub fn find_str(&self, s: &str) -> Option<u32> {
        let want = s.len() as u32;
        let text = self.text.as_bytes();
        self.strs
            .iter()
            .position(|&(a, b)| b - a == want && &text[a as usize..b as usize] == s.as_bytes())
            .map(|n| n as u32)
    }

    /// The row as an owned summary.
    pub fn summary(&self, r: &Row) -> Summary {
        let map = |ps: &[(u32, u32)]| {
            ps.iter()
                .map(|&(k, v)| (self.str(k).to_owned(), self.str(v).to_owned()))
                .collect()
        };
        Summary {
            id: self.id(r).to_owned(),
            o: r.offset,
            l: r.len,
            t: r.t,
            d: r.d,
            s: self.str(r.state).to_owned(),
            n: self.str(r.name).to_owned(),
            tags: map(self.tags(r)),
            meta: map(self.meta(r)),
            spans: self
                .spans(r)
                .iter()
                .map(|s| {
                    (
                        self.str(s[0]).to_owned(),
                        self.str(s[1]).to_owned(),
                        self.str(s[2]).to_owned(),
                    )
                })
                .collect(),
        }
    }

    fn push_str(&mut self, s: &str) -> u32 {
        let a = self.text.len() as u32;
        self.text.push_str(s);
        self.strs.push((a, self.text.len() as u32));
        (self.strs.len() - 1) as u32
    }

    /// Bytes this table holds (roughly), to bound what a search keeps.
    pub fn heap_bytes(&self) -> usize {
        self.text.len()
            + self.ids.len()
            + self.strs.len() * 8
            + self.rows.len() * std::mem::size_of::<Row>()
            + self.pairs.len() * 8
            + self.spans.len() * 12
            + self.mutations.iter().map(Vec::len).sum::<usize>()
    }
}

/// The parts of one row, borrowed from whatever holds them: a [`Summary`] read back from a
/// record, or the trace the writer is storing (`summary::TraceRow`). Tags and metadata come in
/// key order, as a `BTreeMap` gives them.
pub trait RowSource {
    fn id(&self) -> std::borrow::Cow<'_, str>;
    /// Request time (Unix ms) and execution time (ms).
    fn times(&self) -> (u64, Option<u64>);
    fn state(&self) -> &str;
    fn name(&self) -> &str;
    fn tags(&self, f: &mut dyn FnMut(&str, &str));
    fn meta(&self, f: &mut dyn FnMut(&str, &str));
    /// (name, span type, status code) of each span.
    fn spans(&self, f: &mut dyn FnMut(&str, &str, &str));
}

/// Adds rows to a table, numbering each distinct string once; what was added since the last
/// [`Builder::block`] is one block of the file form.
#[derive(Default)]
pub struct Builder {
    pub table: Table,
    /// foldhash, not SipHash: the writing process interns every string of every trace it
    /// stores (SipHash was half of the index's cost there); still seeded per process, since
    /// the strings (prompts in previews) may come from an app's end users.
    known: std::collections::HashMap<String, u32, foldhash::fast::RandomState>,
    /// Where the current block starts: strings, rows, mutations.
    mark: (usize, usize, usize),
}

impl Builder {
    /// A builder that goes on from a table read from a file.
    pub fn from_table(table: Table) -> Builder {
        let known = (0..table.strs.len() as u32)
            .map(|n| (table.str(n).to_owned(), n))
            .collect();
        let mark = (table.strs.len(), table.rows.len(), table.mutations.len());
        Builder { table, known, mark }
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.known.get(s) {
            return n;
        }
        let n = self.table.push_str(s);
        self.known.insert(s.to_owned(), n);
        n
    }

    pub fn add(&mut self, s: &Summary) {
        self.add_from(s, s.o, s.l);
    }

    /// Adds the row of the record at `offset`/`len` of the segment.
    pub fn add_from(&mut self, r: &dyn RowSource, offset: u64, len: u64) {
        let a = self.table.ids.len() as u32;
        self.table.ids.push_str(&r.id());
        let id = (a, self.table.ids.len() as u32);
        let state = self.intern(r.state());
        let name = self.intern(r.name());
        let start = self.table.pairs.len() as u32;
        r.tags(&mut |k, v| {
            let p = (self.intern(k), self.intern(v));
            self.table.pairs.push(p);
        });
        let tags = (start, self.table.pairs.len() as u32);
        r.meta(&mut |k, v| {
            let p = (self.intern(k), self.intern(v));
            self.table.pairs.push(p);
        });
        let meta = (tags.1, self.table.pairs.len() as u32);
        let start = self.table.spans.len() as u32;
        r.spans(&mut |n, ty, st| {
            let sp = [self.intern(n), self.intern(ty), self.intern(st)];
            self.table.spans.push(sp);
        });
        let spans = (start, self.table.spans.len() as u32);
        let (t, d) = r.times();
        self.table.rows.push(Row {
            id,
            offset,
            len,
            t,
            d,
            state,
            name,
            tags,
            meta,
            spans,
        });
    }

    pub fn add_mutation(&mut self, payload: &[u8]) {
        self.table.mutations.push(payload.to_vec());
    }

    /// Makes the next block hold everything (a whole new file).
    pub fn mark_all_new(&mut self) {
        self.mark = (0, 0, 0);
    }

    /// Whether anything was added since the last block.
    pub fn pending(&self) -> bool {
        self.mark
            != (
                self.table.strs.len(),
                self.table.rows.len(),
                self.table.mutations.len(),
            )
    }

    /// The block of everything added since the last one (framed: length, crc, payload).
    pub fn block(&mut self, covered: u64) -> Vec<u8> {
        let t = &self.table;
        let (s0, r0, m0) = self.mark;
        let mut p = Vec::new();
        p.extend_from_slice(&covered.to_le_bytes());
        let u32s = |p: &mut Vec<u8>, n: usize| p.extend_from_slice(&(n as u32).to_le_bytes());
        let bytes = |p: &mut Vec<u8>, b: &[u8]| {
            p.extend_from_slice(&(b.len() as u32).to_le_bytes());
            p.extend_from_slice(b);
        };
        u32s(&mut p, t.strs.len() - s0);
        for n in s0..t.strs.len() {
            bytes(&mut p, t.str(n as u32).as_bytes());
        }
        u32s(&mut p, t.rows.len() - r0);
        for r in &t.rows[r0..] {
            bytes(&mut p, t.id(r).as_bytes());
            for v in [r.offset, r.len, r.t, r.d.map_or(0, |d| d.saturating_add(1))] {
                p.extend_from_slice(&v.to_le_bytes());
            }
            for v in [r.state, r.name] {
                p.extend_from_slice(&v.to_le_bytes());
            }
            for ps in [t.tags(r), t.meta(r)] {
                u32s(&mut p, ps.len());
                for &(k, v) in ps {
                    p.extend_from_slice(&k.to_le_bytes());
                    p.extend_from_slice(&v.to_le_bytes());
                }
            }
            let sp = t.spans(r);
            u32s(&mut p, sp.len());
            for s in sp {
                for v in s {
                    p.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        u32s(&mut p, t.mutations.len() - m0);
        for m in &t.mutations[m0..] {
            bytes(&mut p, m);
        }
        self.mark = (t.strs.len(), t.rows.len(), t.mutations.len());
        let mut out = Vec::with_capacity(p.len() + 8);
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&p).to_le_bytes());
        out.extend_from_slice(&p);
        out
    }
}

/// The file header for a segment with inode `ino`.
pub fn header(ino: u64) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&ino.to_le_bytes());
    h
}

/// Reads an index file: the table of its whole blocks and the segment bytes they cover; an
/// index of another file (`ino`) or not ours is empty. Blocks past a bad one are not read.
pub fn decode(bytes: &[u8], ino: u64) -> (Table, u64) {
    let mut table = Table::default();
    if bytes.len() < HEADER_LEN
        || &bytes[..MAGIC.len()] != MAGIC
        || bytes[MAGIC.len()..HEADER_LEN] != ino.to_le_bytes()
    {
        return (table, 0);
    }
    let mut covered = 0;
    let mut pos = HEADER_LEN;
    while bytes.len() - pos >= 8 {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap_or_default());
        let Some(p) = bytes.get(pos + 8..pos + 8 + len) else {
            break;
        };
        if crc32fast::hash(p) != crc {
            break;
        }
        let before = (
            table.strs.len(),
            table.text.len(),
            table.ids.len(),
            table.rows.len(),
            table.pairs.len(),
            table.spans.len(),
            table.mutations.len(),
        );
        match read_block(p, &mut table) {
            Some(c) if c >= covered => covered = c,
            _ => {
                // Checksummed yet unreadable (not our writer's): keep what came before.
                table.strs.truncate(before.0);
                table.text.truncate(before.1);
                table.ids.truncate(before.2);
                table.rows.truncate(before.3);
                table.pairs.truncate(before.4);
                table.spans.truncate(before.5);
                table.mutations.truncate(before.6);
                break;
            }
        }
        pos += 8 + len;
    }
    (table, covered)
}

struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn text(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

fn read_block(p: &[u8], t: &mut Table) -> Option<u64> {
    let mut c = Cur(p);
    let covered = c.u64()?;
    for _ in 0..c.u32()? {
        let s = c.text()?;
        t.push_str(s);
    }
    let n_strs = t.strs.len() as u32;
    let s = |c: &mut Cur<'_>| c.u32().filter(|n| *n < n_strs);
    for _ in 0..c.u32()? {
        let id = c.text()?;
        let a = t.ids.len() as u32;
        t.ids.push_str(id);
        let id = (a, t.ids.len() as u32);
        let (offset, len, time, d) = (c.u64()?, c.u64()?, c.u64()?, c.u64()?);
        let (state, name) = (s(&mut c)?, s(&mut c)?);
        let pairs = |c: &mut Cur<'_>, t: &mut Table| -> Option<(u32, u32)> {
            let start = t.pairs.len() as u32;
            for _ in 0..c.u32()? {
                let p = (s(c)?, s(c)?);
                t.pairs.push(p);
            }
            Some((start, t.pairs.len() as u32))
        };
        let tags = pairs(&mut c, t)?;
        let meta = pairs(&mut c, t)?;
        let start = t.spans.len() as u32;
        for _ in 0..c.u32()? {
            let sp = [s(&mut c)?, s(&mut c)?, s(&mut c)?];
            t.spans.push(sp);
        }
        t.rows.push(Row {
            id,
            offset,
            len,
            t: time,
            d: d.checked_sub(1),
            state,
            name,
            tags,
            meta,
            spans: (start, t.spans.len() as u32),
        });
    }
    for _ in 0..c.u32()? {
        let n = c.u32()? as usize;
        t.mutations.push(c.take(n)?.to_vec());
    }
    (c.0.is_empty()).then_some(covered)
}
