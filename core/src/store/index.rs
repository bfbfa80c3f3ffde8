//! A per-segment index: what search needs of each record (id, times, state, name, tags,
//! metadata, span names and types, where the record is), so that a search reads small index
//! files instead of parsing every trace.
//!
//! `<segment stem>.ftidx` next to its segment:
//!
//! ```text
//! FTIDX1 <bytes of the segment covered>\n
//! T{summary JSON}\n        one per trace record
//! M{mutation payload}\n    one per mutation record
//! ```
//!
//! An index covers its segment up to the end of the last whole record it has seen; a reader
//! indexes the rest (a segment still being written grows) and rewrites the file atomically
//! (temporary file, then rename), so readers in several processes never see half an index. An
//! index that does not fit its segment is rebuilt; one that cannot be written (a read-only
//! folder) only costs the next reader the same work.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mutation::is_mutation;
use super::segment::decode_records;
use crate::model::keys::attr;
use crate::model::{parse_rfc3339_ms, TraceDict};

/// File extension of index files.
pub const INDEX_EXT: &str = "ftidx";
const HEADER: &str = "FTIDX1 ";

/// What the index keeps of one trace record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The trace id: first, so a line's id is read without parsing it.
    pub id: String,
    /// Offset and length of the record's payload in its segment.
    pub o: u64,
    pub l: u64,
    /// Request time (Unix ms).
    pub t: u64,
    /// Execution time (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<u64>,
    /// State (`OK`, `ERROR`, ...).
    pub s: String,
    /// Trace name.
    pub n: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// (name, span type, status code: `OK`, `ERROR`, `UNSET`) of each span.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<(String, String, String)>,
}

impl Summary {
    /// The summary of a stored trace found at `offset`/`len` in its segment.
    pub fn of(t: &TraceDict, offset: u64, len: u64) -> Summary {
        Summary {
            id: t.info.trace_id.clone(),
            o: offset,
            l: len,
            t: parse_rfc3339_ms(&t.info.request_time).unwrap_or(0),
            d: t.info.execution_duration_ms,
            s: t.info.state.clone(),
            n: t.name().to_owned(),
            tags: t.info.tags.clone(),
            meta: t.info.trace_metadata.clone(),
            spans: t
                .data
                .spans
                .iter()
                .map(|s| {
                    let ty = s
                        .attribute(attr::SPAN_TYPE)
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_else(|| "UNKNOWN".into());
                    let status = s.status.code.trim_start_matches("STATUS_CODE_").to_owned();
                    (s.name.clone(), ty, status)
                })
                .collect(),
        }
    }
}

/// The index of one segment: the index file's bytes as read (no copy), header and all.
#[derive(Debug, Default)]
pub struct SegmentIndex {
    pub segment: PathBuf,
    buf: Vec<u8>,
    /// Where the lines start (after the header).
    body: usize,
    /// Damaged records seen while indexing (reported once, when first indexed).
    pub warnings: Vec<String>,
}

impl SegmentIndex {
    /// The index lines (header excluded).
    pub fn lines(&self) -> &[u8] {
        &self.buf[self.body.min(self.buf.len())..]
    }

    /// The lines: `(kind b'T' or b'M', JSON)`.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.lines()
            .split(|b| *b == b'\n')
            .filter(|l| l.len() > 1)
            .map(|l| (l[0], &l[1..]))
    }
}

/// The index file of a segment.
pub fn index_path(segment: &Path) -> PathBuf {
    segment.with_extension(INDEX_EXT)
}

/// The id of a `T` line (its first field), read without parsing the line.
pub fn line_id(json: &[u8]) -> &[u8] {
    const KEY: &[u8] = b"{\"id\":\"";
    if !json.starts_with(KEY) {
        return b"";
    }
    let rest = &json[KEY.len()..];
    let end = rest.iter().position(|b| *b == b'"').unwrap_or(rest.len());
    &rest[..end]
}

/// The index of `segment`, brought up to date (and saved, when it grew). A segment that has
/// gone (compacted away meanwhile) is `Ok(None)`.
pub fn load(segment: &Path) -> std::io::Result<Option<SegmentIndex>> {
    let len = match std::fs::metadata(segment) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let idx_path = index_path(segment);
    let mut buf = std::fs::read(&idx_path).unwrap_or_default();
    let (mut covered, mut body) = parse_header(&buf).unwrap_or((0, buf.len()));
    if covered == 0 || covered > len {
        // Missing, torn or not fitting its segment: indexed again from the start.
        covered = 0;
        buf.clear();
        body = 0;
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
        let before = covered;
        let mut lines = buf.split_off(body);
        covered += index_tail(&tail, before, &mut lines, &mut out.warnings, segment);
        buf = format!("{HEADER}{covered}\n").into_bytes();
        body = buf.len();
        buf.extend_from_slice(&lines);
        if covered > before {
            save(&idx_path, &buf);
        }
    }
    out.buf = buf;
    out.body = body;
    Ok(Some(out))
}

/// The bytes covered and where the lines start; `None` for a header that is not ours or an
/// index torn mid-line (not trusted).
fn parse_header(bytes: &[u8]) -> Option<(u64, usize)> {
    let nl = bytes.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&bytes[..nl]).ok()?;
    let covered: u64 = head.strip_prefix(HEADER)?.trim().parse().ok()?;
    if bytes.last() != Some(&b'\n') {
        return None;
    }
    Some((covered, nl + 1))
}

fn read_from(path: &Path, offset: u64) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Indexes whole records of `tail` (which starts at `base` in the segment); returns how many
/// bytes it covered: up to the end of the last valid record, so a record being written now is
/// indexed by a later reader.
fn index_tail(
    tail: &[u8],
    base: u64,
    lines: &mut Vec<u8>,
    warnings: &mut Vec<String>,
    segment: &Path,
) -> u64 {
    let (records, damage) = decode_records(tail);
    let start = tail.as_ptr() as usize;
    let mut end = 0usize;
    for payload in &records {
        let off = payload.as_ptr() as usize - start;
        end = off + payload.len() + 1;
        if is_mutation(payload) {
            lines.push(b'M');
            lines.extend_from_slice(payload);
            lines.push(b'\n');
            continue;
        }
        match serde_json::from_slice::<TraceDict>(payload) {
            Ok(t) => {
                let s = Summary::of(&t, base + off as u64, payload.len() as u64);
                lines.push(b'T');
                // Strings and maps of strings always serialize.
                lines.extend(serde_json::to_vec(&s).unwrap_or_default());
                lines.push(b'\n');
            }
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
    end as u64
}

fn save(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("{INDEX_EXT}.tmp{}", std::process::id()));
    let written = write_private(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
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
    f.seek(SeekFrom::Start(offset))?;
    let mut out = vec![0u8; len as usize];
    f.read_exact(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::segment::SegmentWriter;

    #[test]
    fn an_index_follows_its_growing_segment() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new(dir.path().to_owned());
        let trace = |id: &str| {
            format!(
                r#"{{"info": {{"trace_id": "{id}", "trace_location": {{}}, "request_time": "2026-01-01T00:00:00.000Z", "state": "OK", "tags": {{"mlflow.traceName": "n"}}}}, "data": {{"spans": []}}}}"#
            )
        };
        w.append(&trace("tr-a")).unwrap();
        w.sync().unwrap();
        let seg = w.current().unwrap().to_owned();
        let idx = load(&seg).unwrap().unwrap();
        assert_eq!(idx.iter().count(), 1);
        w.append(&trace("tr-b")).unwrap();
        w.append(r#"{"ft_mutation":1,"trace_id":"tr-a","at_ns":1,"op":"delete_trace"}"#)
            .unwrap();
        w.sync().unwrap();
        // A torn record at the end (being written) is not covered yet.
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
            f.write_all(b"FT1 10 0000").unwrap();
        }
        let idx = load(&seg).unwrap().unwrap();
        let kinds: Vec<u8> = idx.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, b"TTM");
        assert!(idx.warnings.is_empty(), "{:?}", idx.warnings);
        let (k, json) = idx.iter().nth(1).unwrap();
        assert_eq!((k, line_id(json)), (b'T', &b"tr-b"[..]));
        let s: Summary = serde_json::from_slice(json).unwrap();
        let payload = read_payload(&seg, s.o, s.l).unwrap();
        assert_eq!(payload, trace("tr-b").as_bytes());
        assert_eq!(s.n, "n");
    }
}
