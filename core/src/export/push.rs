//! `ferrotrace push`: sends the traces of a store folder (the local store, or a spill folder or
//! the spill root) to an MLflow server. Safe to run again: the server takes a trace it already
//! has as an update of the same trace (measured on MLflow 3.17.2: spans upsert by span id,
//! StartTraceV3 upserts the trace info), so nothing appears twice.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, MlflowExporter};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Trace;
use crate::store::{read_store, SEGMENT_EXT};

/// Traces per request batch.
const PUSH_BATCH: usize = 100;

/// What a push did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// Traces found in the folder(s).
    pub found: u64,
    /// Traces the server accepted.
    pub sent: u64,
    /// Traces the server refused for good (4xx), not retried.
    pub rejected: u64,
    /// Traces not sent because the server could not be reached (run the push again later).
    pub unsent: u64,
    /// Damaged records, unreadable records, refusals and the error that stopped the push.
    pub warnings: Vec<String>,
}

/// The folders holding segments: `dir` itself and its direct sub-folders (the spill root has
/// one per destination).
fn store_folders(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut has_segments = false;
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            subdirs.push(path);
        } else if path.extension().is_some_and(|x| x == SEGMENT_EXT) {
            has_segments = true;
        }
    }
    if has_segments {
        out.push(dir.to_path_buf());
    }
    subdirs.sort();
    out.extend(subdirs);
    Ok(out)
}

/// Sends every trace in `dir` to the MLflow server of `config` (its tracking URI, credentials
/// and TLS settings). `experiment_id` overrides the experiment the records name; records that
/// name none go to `config`'s experiment (or MLflow's Default).
pub fn push_store(dir: &Path, config: &Config, experiment_id: Option<&str>) -> Result<PushReport> {
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a folder",
            dir.display()
        )));
    }
    let mut exporter = MlflowExporter::new(config)?;
    let mut report = PushReport::default();
    let mut traces: Vec<Trace> = Vec::new();
    for folder in store_folders(dir)? {
        let read = read_store(&folder)?;
        report.warnings.extend(read.warnings);
        for dict in &read.traces {
            match Trace::try_from(dict) {
                Ok(mut t) => {
                    if let Some(id) = experiment_id {
                        t.info.experiment_id = Some(id.to_owned());
                    }
                    traces.push(t);
                }
                Err(e) => report
                    .warnings
                    .push(format!("{}: skipped a record: {e}", folder.display())),
            }
        }
    }
    report.found = traces.len() as u64;
    for (i, chunk) in traces.chunks(PUSH_BATCH).enumerate() {
        match exporter.export(chunk) {
            Ok(()) => report.sent += chunk.len() as u64,
            Err(e) if e.is_retryable() => {
                report.unsent = report.found - (i * PUSH_BATCH) as u64;
                report.warnings.push(format!("stopped: {e}"));
                break;
            }
            Err(e) => {
                report.rejected += chunk.len() as u64;
                report.warnings.push(format!("refused: {e}"));
            }
        }
    }
    Ok(report)
}
