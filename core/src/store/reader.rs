//! Reads the traces in a store folder, one record at a time (memory bounded by the largest
//! record, not by the store), skipping damaged records with a warning each.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use serde::Deserialize;

use super::segment::SEGMENT_EXT;
use super::stream::RecordStream;
use crate::model::{InfoDict, SpanDict, StatusDict, TraceDict};

/// What a store holds, plus what could not be read.
#[derive(Debug, Default)]
pub struct StoreRead {
    /// In write order. Records of the same trace id (a re-delivered trace, or the parts of a
    /// distributed trace written by several services) become one trace: the last record's info
    /// and the union of their spans (by span id, the later record winning).
    pub traces: Vec<TraceDict>,
    /// One line per damaged record or unreadable file.
    pub warnings: Vec<String>,
}

/// Calls `visit` with every record of the segments in `dir` (oldest first), parsed as `T`;
/// damaged records, records that are not a `T` and unreadable files are skipped, a warning
/// each. A missing folder is an empty store.
pub fn scan_store<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    mut visit: impl FnMut(T),
) -> std::io::Result<Vec<String>> {
    scan_records(dir, |payload| {
        // Changes (tags, assessments, deletions) are folded by `read_folded`.
        if super::mutation::is_mutation(payload) {
            return Ok(());
        }
        serde_json::from_slice::<T>(payload)
            .map(&mut visit)
            .map_err(|e| format!("skipped a record that is not a trace ({e})"))
    })
}

/// Calls `visit` with the payload of every record of the segments in `dir` (oldest first);
/// an `Err` it returns becomes a warning. Damaged records and unreadable files are skipped, a
/// warning each. A missing folder is an empty store.
pub fn scan_records(
    dir: &Path,
    mut visit: impl FnMut(&[u8]) -> Result<(), String>,
) -> std::io::Result<Vec<String>> {
    let mut warnings = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(warnings),
        Err(e) => return Err(e),
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
        .collect();
    files.sort();
    for path in files {
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                warnings.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        let limit = file.metadata().ok().map(|m| m.len());
        let mut damaged = Vec::new();
        let mut refused = Vec::new();
        let read = RecordStream::new(file, limit).for_each(
            |payload| {
                if let Err(e) = visit(payload) {
                    refused.push(e);
                }
            },
            |d| damaged.push(d),
        );
        for d in damaged {
            warnings.push(format!(
                "{}: skipped a damaged record at byte {} ({})",
                path.display(),
                d.offset,
                d.reason
            ));
        }
        for e in refused {
            warnings.push(format!("{}: {e}", path.display()));
        }
        if let Err(e) = read {
            warnings.push(format!("{}: cannot read: {e}", path.display()));
        }
    }
    Ok(warnings)
}

/// Traces merged by trace id, in order of first appearance.
#[derive(Default)]
struct Merged {
    traces: Vec<TraceDict>,
    index: HashMap<String, usize>,
}

impl Merged {
    fn add(&mut self, t: TraceDict) {
        match self.index.get(&t.info.trace_id) {
            Some(&i) => merge(&mut self.traces[i], t),
            None => {
                self.index
                    .insert(t.info.trace_id.clone(), self.traces.len());
                self.traces.push(t);
            }
        }
    }
}

/// `later` replaces `into`'s info; their spans are united by span id, `later`'s winning.
pub(crate) fn merge(into: &mut TraceDict, later: TraceDict) {
    let earlier = std::mem::replace(into, later);
    for span in earlier.data.spans {
        if !into.data.spans.iter().any(|s| s.span_id == span.span_id) {
            into.data.spans.push(span);
        }
    }
    into.data.spans.sort_by_key(|s| s.start_time_unix_nano);
}

/// Reads all segments in `dir` (oldest first). A missing folder is an empty store. Holds every
/// trace in memory: [`list_store`] and [`find_in_store`] do not.
pub fn read_store(dir: &Path) -> std::io::Result<StoreRead> {
    let mut merged = Merged::default();
    let warnings = scan_store(dir, |t: TraceDict| merged.add(t))?;
    Ok(StoreRead {
        traces: merged.traces,
        warnings,
    })
}

/// Only what a list of traces shows: the trace info and each span's id, parent, name and start.
#[derive(Deserialize)]
struct Summary {
    info: InfoDict,
    data: SummaryData,
}

#[derive(Deserialize)]
struct SummaryData {
    spans: Vec<SpanSummary>,
}

#[derive(Deserialize)]
struct SpanSummary {
    span_id: String,
    parent_span_id: Option<String>,
    name: String,
    start_time_unix_nano: u64,
}

/// The traces of `dir` with what [`super::render_list`] needs and no more: span attributes,
/// events, previews and assessments are left out, so a store much larger than memory lists in
/// little of it.
pub fn list_store(dir: &Path) -> std::io::Result<StoreRead> {
    let mut merged = Merged::default();
    let warnings = scan_store(dir, |s: Summary| {
        let mut info = s.info;
        info.request_preview = None;
        info.response_preview = None;
        info.assessments = Vec::new();
        info.trace_metadata.clear();
        let spans = s
            .data
            .spans
            .into_iter()
            .map(|sp| SpanDict {
                trace_id: String::new(),
                span_id: sp.span_id,
                parent_span_id: sp.parent_span_id,
                name: sp.name,
                start_time_unix_nano: sp.start_time_unix_nano,
                end_time_unix_nano: None,
                events: Vec::new(),
                status: StatusDict {
                    code: String::new(),
                    message: String::new(),
                },
                attributes: Default::default(),
                links: Vec::new(),
            })
            .collect();
        merged.add(TraceDict {
            info,
            data: crate::model::DataDict { spans },
        });
    })?;
    Ok(StoreRead {
        traces: merged.traces,
        warnings,
    })
}

/// The traces of `dir` whose id starts with `fragment` (`tr-` optional) or, unless it starts
/// with `tr-`, ends with it: ids begin with their start time, so traces of the same hour share
/// their first digits and a short unique piece is usually the end. Returns them whole (once a
/// second one turns up the rest are only counted), how many matched, and the warnings.
pub fn find_in_store(dir: &Path, fragment: &str) -> std::io::Result<(StoreRead, usize)> {
    let anchored = fragment.starts_with("tr-");
    let hex = fragment.strip_prefix("tr-").unwrap_or(fragment);
    let matches = |id: &str| {
        let id = id.strip_prefix("tr-").unwrap_or(id);
        id.starts_with(hex) || (!anchored && id.ends_with(hex))
    };
    let wanted = hex.as_bytes();
    let mut merged = Merged::default();
    let mut others = std::collections::HashSet::new();
    let warnings = scan_records(dir, |payload| {
        // Most records are not the one asked for: only those holding the id are parsed.
        if !(wanted.is_empty() || payload.windows(wanted.len()).any(|w| w == wanted))
            || super::mutation::is_mutation(payload)
        {
            return Ok(());
        }
        let t: TraceDict = serde_json::from_slice(payload)
            .map_err(|e| format!("skipped a record that is not a trace ({e})"))?;
        if !matches(&t.info.trace_id) {
            return Ok(());
        }
        if merged.traces.len() < 2 || merged.index.contains_key(&t.info.trace_id) {
            merged.add(t);
        } else {
            others.insert(t.info.trace_id);
        }
        Ok(())
    })?;
    let n = merged.traces.len() + others.len();
    Ok((
        StoreRead {
            traces: merged.traces,
            warnings,
        },
        n,
    ))
}
