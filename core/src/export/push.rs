//! `ferrotrace push`: sends the traces of a store folder (the local store, or a spill folder or
//! the spill root) to an MLflow server. Safe to run again: the server takes a trace it already
//! has as an update of the same trace (measured on MLflow 3.17.2: spans upsert by span id,
//! StartTraceV3 upserts the trace info), so nothing appears twice.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, MlflowExporter};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::mlflow::{encode_path_segment, MlflowClient};
use crate::model::Trace;
use crate::store::{read_folded, SEGMENT_EXT};

/// Where a pushed assessment keeps its local id, so pushing again finds it on the server
/// instead of logging it twice.
pub const LOCAL_ASSESSMENT_ID_KEY: &str = "ferrotrace.local_assessment_id";

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
    /// Assessments logged on the server (those already there from an earlier push are not).
    pub assessments_sent: u64,
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
    // The assessments of each trace (tags travel in the trace info), in creation order.
    let mut assessments: Vec<Vec<serde_json::Value>> = Vec::new();
    for folder in store_folders(dir)? {
        let read = read_folded(&folder)?;
        report.warnings.extend(read.warnings);
        for dict in &read.traces {
            match Trace::try_from(dict) {
                Ok(mut t) => {
                    if let Some(id) = experiment_id {
                        t.info.experiment_id = Some(id.to_owned());
                    }
                    traces.push(t);
                    assessments.push(dict.info.assessments.clone());
                }
                Err(e) => report
                    .warnings
                    .push(format!("{}: skipped a record: {e}", folder.display())),
            }
        }
    }
    report.found = traces.len() as u64;
    let client = MlflowClient::from_config(config)?;
    for (i, chunk) in traces.chunks(PUSH_BATCH).enumerate() {
        match exporter.export(chunk) {
            Ok(()) => {
                report.sent += chunk.len() as u64;
                let Some(client) = &client else { continue };
                for (j, t) in chunk.iter().enumerate() {
                    let list = &assessments[i * PUSH_BATCH + j];
                    if list.is_empty() {
                        continue;
                    }
                    let id = t.info.trace_id.to_mlflow();
                    match push_assessments(client, &id, list) {
                        Ok(n) => report.assessments_sent += n,
                        Err(e) => report
                            .warnings
                            .push(format!("assessments of {id} not sent: {e}")),
                    }
                }
            }
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

/// Logs the assessments of one trace that the server does not have yet (recognised by their
/// local id in their metadata); an override names the server's id of what it overrides.
fn push_assessments(
    client: &MlflowClient,
    trace_id: &str,
    local: &[serde_json::Value],
) -> Result<u64> {
    use serde_json::{json, Value};
    let path = format!("/api/3.0/mlflow/traces/{}", encode_path_segment(trace_id));
    let info = client.get_json(&path, &[])?;
    let mut server_ids: std::collections::HashMap<String, String> = info["trace"]["trace_info"]
        ["assessments"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    Some((
                        a["metadata"][LOCAL_ASSESSMENT_ID_KEY].as_str()?.to_owned(),
                        a["assessment_id"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut sent = 0;
    for a in local {
        let Some(local_id) = a["assessment_id"].as_str() else {
            continue;
        };
        if server_ids.contains_key(local_id) {
            continue;
        }
        let mut body = a.clone();
        if let Some(obj) = body.as_object_mut() {
            obj.remove("assessment_id");
            obj.remove("valid");
            obj.insert("trace_id".into(), trace_id.into());
            let meta = obj.entry("metadata").or_insert_with(|| json!({}));
            if !meta.is_object() {
                *meta = json!({});
            }
            meta[LOCAL_ASSESSMENT_ID_KEY] = Value::from(local_id);
            if let Some(old) = obj
                .get("overrides")
                .and_then(Value::as_str)
                .map(str::to_owned)
            {
                // The server's id of the overridden assessment (pushed just before it).
                match server_ids.get(&old) {
                    Some(new) => {
                        obj.insert("overrides".into(), new.clone().into());
                    }
                    None => {
                        obj.remove("overrides");
                    }
                }
            }
        }
        let resp = client.post_json(
            &format!("{path}/assessments"),
            &json!({ "assessment": body }),
        )?;
        if let Some(new_id) = resp["assessment"]["assessment_id"].as_str() {
            server_ids.insert(local_id.to_owned(), new_id.to_owned());
        }
        sent += 1;
    }
    Ok(sent)
}
