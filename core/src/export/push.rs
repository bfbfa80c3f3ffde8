//! `ferrotrace push`: sends the traces of a store folder (the local store, or a spill folder or
//! the spill root) to an MLflow server. Safe to run again: the server takes a trace it already
//! has as an update of the same trace (measured on MLflow 3.17.2: spans upsert by span id,
//! StartTraceV3 upserts the trace info), so nothing appears twice.
//!
//! Streams in bounded memory: a first pass over a folder folds its changes (tags, assessments,
//! deletions: small records), a second reads the traces one record at a time and sends them in
//! batches of [`PUSH_BATCH`]. Records of one trace id in one batch are merged; a later record of
//! it in a later batch is sent as an update (what the server does with a re-delivered trace).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, MlflowExporter};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::mlflow::{encode_path_segment, MlflowClient};
use crate::model::{SharedMetadata, Trace, TraceDict};
use crate::store::mutation::{fold, is_mutation, Folded, Mutation};
use crate::store::{scan_records, scan_store, SEGMENT_EXT};

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
    /// Tags deleted on the server because they were deleted in the store after an earlier push.
    pub tags_deleted: u64,
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

/// A trace id as a small key: the sets of ids seen and sent hold 8 bytes per trace, not the id.
fn id_key(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// What goes to the server after one trace of a batch.
struct Changes {
    /// Its assessments (folded), in creation order.
    assessments: Vec<serde_json::Value>,
    /// Tags deleted in the store since it was written.
    deleted_tags: Vec<String>,
}

/// The push of one folder's traces, batch by batch.
struct Pusher<'a> {
    exporter: MlflowExporter,
    client: Option<MlflowClient>,
    experiment_id: Option<&'a str>,
    report: PushReport,
    found: HashSet<u64>,
    sent: HashSet<u64>,
    /// Set when the server could not be reached: the rest is only counted.
    stopped: bool,
    /// The folder being pushed, for warnings.
    folder: String,
    /// Records of the batch being filled, merged by trace id.
    dicts: Vec<TraceDict>,
    index: HashMap<String, usize>,
}

impl Pusher<'_> {
    fn add(&mut self, t: TraceDict, folded: &BTreeMap<String, Folded>) {
        if folded.get(&t.info.trace_id).is_some_and(|f| f.deleted) {
            return;
        }
        let key = id_key(&t.info.trace_id);
        if self.found.insert(key) && self.stopped {
            self.report.unsent += 1;
        }
        if self.stopped {
            return;
        }
        match self.index.get(&t.info.trace_id) {
            Some(&i) => crate::store::merge_records(&mut self.dicts[i], t),
            None => {
                self.index.insert(t.info.trace_id.clone(), self.dicts.len());
                self.dicts.push(t);
            }
        }
        if self.dicts.len() >= PUSH_BATCH {
            self.send(folded);
        }
    }

    /// Sends the batch being filled.
    fn send(&mut self, folded: &BTreeMap<String, Folded>) {
        self.index.clear();
        let mut traces = Vec::with_capacity(self.dicts.len());
        let mut changes = Vec::with_capacity(self.dicts.len());
        for mut dict in std::mem::take(&mut self.dicts) {
            let mut deleted_tags = Vec::new();
            if let Some(f) = folded.get(&dict.info.trace_id) {
                f.apply_to(&mut dict);
                deleted_tags = f
                    .tags
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| k.clone())
                    .collect();
            }
            match Trace::try_from(&dict) {
                Ok(mut trace) => {
                    if let Some(id) = self.experiment_id {
                        trace.info.experiment_id = Some(id.to_owned());
                    }
                    traces.push(trace);
                    changes.push(Changes {
                        assessments: std::mem::take(&mut dict.info.assessments),
                        deleted_tags,
                    });
                }
                Err(e) => self
                    .report
                    .warnings
                    .push(format!("{}: skipped a record: {e}", self.folder)),
            }
        }
        if traces.is_empty() {
            return;
        }
        match self.exporter.export(&traces, &SharedMetadata::new()) {
            Ok(()) => {
                for (trace, item) in traces.iter().zip(&changes) {
                    let id = trace.info.trace_id.to_mlflow();
                    if self.sent.insert(id_key(&id)) {
                        self.report.sent += 1;
                    }
                    let Some(client) = &self.client else { continue };
                    if item.assessments.is_empty() && item.deleted_tags.is_empty() {
                        continue;
                    }
                    match push_changes(client, &id, &item.assessments, &item.deleted_tags) {
                        Ok((a, t)) => {
                            self.report.assessments_sent += a;
                            self.report.tags_deleted += t;
                        }
                        Err(e) => self
                            .report
                            .warnings
                            .push(format!("tags and assessments of {id} not sent: {e}")),
                    }
                }
            }
            Err(e) if e.is_retryable() => {
                self.stopped = true;
                self.report.unsent += traces.len() as u64;
                self.report.warnings.push(format!("stopped: {e}"));
            }
            Err(e) => {
                self.report.rejected += traces.len() as u64;
                self.report.warnings.push(format!("refused: {e}"));
            }
        }
    }
}

/// The changes of every trace in `folder`, folded (a pass that parses only change records).
fn folded_changes(
    folder: &Path,
    warnings: &mut Vec<String>,
) -> std::io::Result<BTreeMap<String, Folded>> {
    let mut mutations: Vec<Mutation> = Vec::new();
    // Damaged records are reported by the pass over the traces, once.
    let _ = scan_records(folder, |payload| {
        if is_mutation(payload) {
            match serde_json::from_slice::<Mutation>(payload) {
                Ok(m) => mutations.push(m),
                Err(e) => warnings.push(format!(
                    "{}: skipped an unreadable change ({e})",
                    folder.display()
                )),
            }
        }
        Ok(())
    })?;
    Ok(fold(mutations.iter()))
}

/// Sends every trace in `dir` to the MLflow server of `config` (its tracking URI, credentials
/// and TLS settings). `experiment_id` overrides the experiment the records name; records that
/// name none go to `config`'s experiment (or MLflow's Default). Tags and assessments changed in
/// the store go with them, once; tags deleted in the store are deleted on the server; deleted
/// traces are not sent.
pub fn push_store(dir: &Path, config: &Config, experiment_id: Option<&str>) -> Result<PushReport> {
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a folder",
            dir.display()
        )));
    }
    let mut pusher = Pusher {
        exporter: MlflowExporter::new(config)?,
        client: MlflowClient::from_config(config)?,
        experiment_id,
        report: PushReport::default(),
        found: HashSet::new(),
        sent: HashSet::new(),
        stopped: false,
        folder: String::new(),
        dicts: Vec::new(),
        index: HashMap::new(),
    };
    for folder in store_folders(dir)? {
        let mut warnings = Vec::new();
        let folded = folded_changes(&folder, &mut warnings)?;
        pusher.report.warnings.append(&mut warnings);
        pusher.folder = folder.display().to_string();
        let warnings = scan_store(&folder, |t: TraceDict| pusher.add(t, &folded))?;
        pusher.send(&folded);
        pusher.report.warnings.extend(warnings);
    }
    let mut report = pusher.report;
    report.found = pusher.found.len() as u64;
    Ok(report)
}

/// Brings one pushed trace's tags and assessments up to date on the server: deletes the tags
/// in `deleted_tags` that it has, and logs the assessments it does not have yet (recognised by
/// their local id in their metadata; an override names the server's id of what it overrides).
/// Returns (assessments logged, tags deleted).
fn push_changes(
    client: &MlflowClient,
    trace_id: &str,
    local: &[serde_json::Value],
    deleted_tags: &[String],
) -> Result<(u64, u64)> {
    use serde_json::{json, Value};
    let path = format!("/api/3.0/mlflow/traces/{}", encode_path_segment(trace_id));
    let info = client.get_json(&path, &[])?;
    let mut tags_deleted = 0;
    if !deleted_tags.is_empty() {
        // Only the tags the server has (deleting a missing one is an error there).
        let tags = &info["trace"]["trace_info"]["tags"];
        let on_server = |k: &str| match tags {
            Value::Object(m) => m.contains_key(k),
            Value::Array(list) => list.iter().any(|t| t["key"] == k),
            _ => false,
        };
        let v2 = format!(
            "/api/2.0/mlflow/traces/{}/tags",
            encode_path_segment(trace_id)
        );
        for key in deleted_tags.iter().filter(|k| on_server(k)) {
            client.delete_json(&v2, &json!({ "key": key }))?;
            tags_deleted += 1;
        }
    }
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
    Ok((sent, tags_deleted))
}
