//! Reads every trace in a store folder.

use std::collections::HashMap;
use std::path::Path;

use super::segment::{decode_records, SEGMENT_EXT};
use crate::model::TraceDict;

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

/// Reads all segments in `dir` (oldest first). A missing folder is an empty store.
pub fn read_store(dir: &Path) -> std::io::Result<StoreRead> {
    let mut out = StoreRead::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
        .collect();
    files.sort();
    let mut index: HashMap<String, usize> = HashMap::new();
    for path in files {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                out.warnings
                    .push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        let (records, damage) = decode_records(&bytes);
        for d in damage {
            out.warnings.push(format!(
                "{}: skipped a damaged record at byte {} ({})",
                path.display(),
                d.offset,
                d.reason
            ));
        }
        for payload in records {
            // Changes (tags, assessments, deletions) are folded by `read_folded`.
            if super::mutation::is_mutation(payload) {
                continue;
            }
            match serde_json::from_slice::<TraceDict>(payload) {
                Ok(t) => match index.get(&t.info.trace_id) {
                    Some(&i) => {
                        let earlier = std::mem::replace(&mut out.traces[i], t);
                        let merged = &mut out.traces[i];
                        for span in earlier.data.spans {
                            if !merged.data.spans.iter().any(|s| s.span_id == span.span_id) {
                                merged.data.spans.push(span);
                            }
                        }
                        merged.data.spans.sort_by_key(|s| s.start_time_unix_nano);
                    }
                    None => {
                        index.insert(t.info.trace_id.clone(), out.traces.len());
                        out.traces.push(t);
                    }
                },
                Err(e) => out.warnings.push(format!(
                    "{}: skipped a record that is not a trace ({e})",
                    path.display()
                )),
            }
        }
    }
    Ok(out)
}
