//! `ferrotrace push`: sends the traces of a store folder (the local store, or a spill folder or
//! the spill root) to an MLflow server. Safe to run again: the server takes a trace it already
//! has as an update of the same trace (measured on MLflow 3.17.2: spans upsert by span id,
//! StartTraceV3 upserts the trace info), so nothing appears twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, MlflowExporter};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Trace, TraceDict};
use crate::store::{merge, scan_store, SEGMENT_EXT};

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
/// name none go to `config`'s experiment (or MLflow's Default). Records are read and sent a
/// batch at a time, so a store far larger than memory is pushed in little of it; damaged
/// records are skipped with a warning each.
pub fn push_store(dir: &Path, config: &Config, experiment_id: Option<&str>) -> Result<PushReport> {
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a folder",
            dir.display()
        )));
    }
    let mut exporter = MlflowExporter::new(config)?;
    let mut push = Push {
        exporter: &mut exporter,
        report: PushReport::default(),
        batch: Vec::new(),
        seen: HashSet::new(),
        stopped: false,
    };
    for folder in store_folders(dir)? {
        let warnings = scan_store(&folder, |dict: TraceDict| {
            push.seen.insert(id_hash(&dict.info.trace_id));
            if push.stopped {
                return;
            }
            // Parts of one trace in one batch become one trace, as `read_store` merges them.
            match push
                .batch
                .iter_mut()
                .find(|b| b.info.trace_id == dict.info.trace_id)
            {
                Some(earlier) => merge(earlier, dict),
                None => push.batch.push(dict),
            }
            if push.batch.len() >= PUSH_BATCH {
                push.send(&folder, experiment_id);
            }
        })?;
        push.send(&folder, experiment_id);
        push.report.warnings.extend(warnings);
    }
    let mut report = push.report;
    report.found = push.seen.len() as u64;
    if push.stopped {
        report.unsent = report.found.saturating_sub(report.sent + report.rejected);
    }
    Ok(report)
}

/// A push in progress: the batch being filled and what happened so far.
struct Push<'a> {
    exporter: &'a mut MlflowExporter,
    report: PushReport,
    batch: Vec<TraceDict>,
    /// Trace ids found, hashed (a store may hold millions).
    seen: HashSet<u64>,
    /// The server could not be reached: the rest is only counted.
    stopped: bool,
}

impl Push<'_> {
    fn send(&mut self, folder: &Path, experiment_id: Option<&str>) {
        let dicts = std::mem::take(&mut self.batch);
        if self.stopped || dicts.is_empty() {
            return;
        }
        let mut traces = Vec::with_capacity(dicts.len());
        for dict in &dicts {
            match Trace::try_from(dict) {
                Ok(mut t) => {
                    if let Some(id) = experiment_id {
                        t.info.experiment_id = Some(id.to_owned());
                    }
                    traces.push(t);
                }
                Err(e) => {
                    self.seen.remove(&id_hash(&dict.info.trace_id));
                    self.report
                        .warnings
                        .push(format!("{}: skipped a record: {e}", folder.display()));
                }
            }
        }
        match self.exporter.export(&traces) {
            Ok(()) => self.report.sent += traces.len() as u64,
            Err(e) if e.is_retryable() => {
                self.stopped = true;
                self.report.warnings.push(format!("stopped: {e}"));
            }
            Err(e) => {
                self.report.rejected += traces.len() as u64;
                self.report.warnings.push(format!("refused: {e}"));
            }
        }
    }
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}
