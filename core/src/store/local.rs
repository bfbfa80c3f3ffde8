//! The trace-level operations on a local store folder: tags, assessments and deletion appended
//! as change records; reads through the indexes with the changes folded in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};

use super::mutation::{Mutation, Op};
use super::search::{self, Page, Query};
use super::segment::SegmentWriter;
use crate::error::{Error, Result};
use crate::model::TraceDict;

/// One writer per store folder per process: changes go into this process's own segment, so
/// writers in several processes never interleave within a file.
fn with_writer<T>(dir: &Path, f: impl FnOnce(&mut SegmentWriter) -> Result<T>) -> Result<T> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, (u32, SegmentWriter)>>> = OnceLock::new();
    let mut map = WRITERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    let entry = map
        .entry(dir.to_path_buf())
        .or_insert_with(|| (pid, SegmentWriter::new(dir.to_path_buf()).indexed()));
    if entry.0 != pid {
        // Inherited through fork: the parent's segment is the parent's; start our own.
        let old = std::mem::replace(
            entry,
            (pid, SegmentWriter::new(dir.to_path_buf()).indexed()),
        );
        std::mem::forget(old.1);
    }
    f(&mut entry.1)
}

/// Appends changes durably (written and synced before this returns).
pub fn append(dir: &Path, mutations: &[Mutation]) -> Result<()> {
    with_writer(dir, |w| {
        for m in mutations {
            let payload = m.to_payload();
            w.append_with(|out| out.extend_from_slice(&payload))?;
        }
        w.sync()?;
        Ok(())
    })
}

fn not_found(trace_id: &str) -> Error {
    Error::not_found_locally(format!("Trace with ID '{trace_id}' not found."))
}

/// A stored trace with its changes, or `None`.
pub fn get_trace(dir: &Path, trace_id: &str) -> Result<Option<TraceDict>> {
    search::get(dir, trace_id)
}

fn require(dir: &Path, trace_id: &str) -> Result<TraceDict> {
    get_trace(dir, trace_id)?.ok_or_else(|| not_found(trace_id))
}

/// Sets a tag on a stored trace.
pub fn set_tag(dir: &Path, trace_id: &str, key: &str, value: &str) -> Result<()> {
    require(dir, trace_id)?;
    append(
        dir,
        &[Mutation::now(
            trace_id,
            Op::SetTag {
                key: key.to_owned(),
                value: value.to_owned(),
            },
        )],
    )
}

/// Removes a tag; MLflow refuses a key the trace does not have.
pub fn delete_tag(dir: &Path, trace_id: &str, key: &str) -> Result<()> {
    let t = require(dir, trace_id)?;
    if !t.info.tags.contains_key(key) {
        return Err(Error::not_found_locally(format!(
            "No trace tag with key '{key}' for trace with ID '{trace_id}'"
        )));
    }
    append(
        dir,
        &[Mutation::now(
            trace_id,
            Op::DeleteTag {
                key: key.to_owned(),
            },
        )],
    )
}

/// A new assessment id, in MLflow's form (`a-` and 32 hex digits).
fn new_assessment_id() -> String {
    format!("a-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Logs an assessment (MLflow's REST JSON) and returns it as stored (with its id and times).
pub fn log_assessment(dir: &Path, trace_id: &str, mut assessment: Value) -> Result<Value> {
    let t = require(dir, trace_id)?;
    let obj = assessment
        .as_object_mut()
        .ok_or_else(|| Error::InvalidArgument("an assessment must be a JSON object".into()))?;
    let now = crate::model::rfc3339_ms(super::mutation::now_ns() / 1_000_000);
    obj.insert("assessment_id".into(), new_assessment_id().into());
    obj.insert("trace_id".into(), trace_id.into());
    obj.entry("create_time")
        .or_insert_with(|| now.clone().into());
    obj.entry("last_update_time")
        .or_insert_with(|| now.clone().into());
    obj.entry("valid").or_insert(Value::Bool(true));
    if let Some(old) = obj.get("overrides").and_then(Value::as_str) {
        if !t.info.assessments.iter().any(|a| a["assessment_id"] == old) {
            return Err(Error::not_found_locally(format!(
                "Assessment with ID '{old}' not found for trace '{trace_id}'"
            )));
        }
    }
    append(
        dir,
        &[Mutation::now(
            trace_id,
            Op::Assessment {
                assessment: assessment.clone(),
            },
        )],
    )?;
    Ok(assessment)
}

/// One assessment of a stored trace.
pub fn get_assessment(dir: &Path, trace_id: &str, assessment_id: &str) -> Result<Value> {
    let t = require(dir, trace_id)?;
    t.info
        .assessments
        .into_iter()
        .find(|a| a["assessment_id"] == assessment_id)
        .ok_or_else(|| {
            Error::not_found_locally(format!(
                "Assessment with ID '{assessment_id}' not found for trace '{trace_id}'"
            ))
        })
}

/// Changes the fields given in `changes` (`assessment_name`, `feedback` or `expectation`,
/// `rationale`, `metadata`) of an assessment; returns it as now stored.
pub fn update_assessment(
    dir: &Path,
    trace_id: &str,
    assessment_id: &str,
    changes: &Value,
) -> Result<Value> {
    let mut a = get_assessment(dir, trace_id, assessment_id)?;
    if (changes.get("feedback").is_some() && a.get("expectation").is_some())
        || (changes.get("expectation").is_some() && a.get("feedback").is_some())
    {
        return Err(Error::InvalidArgument(
            "an assessment cannot change between feedback and expectation".into(),
        ));
    }
    for key in [
        "assessment_name",
        "feedback",
        "expectation",
        "rationale",
        "metadata",
    ] {
        if let Some(v) = changes.get(key).filter(|v| !v.is_null()) {
            a[key] = v.clone();
        }
    }
    a["last_update_time"] = crate::model::rfc3339_ms(super::mutation::now_ns() / 1_000_000).into();
    append(
        dir,
        &[Mutation::now(
            trace_id,
            Op::Assessment {
                assessment: a.clone(),
            },
        )],
    )?;
    Ok(a)
}

/// Deletes an assessment; one that overrode another makes the other valid again.
pub fn delete_assessment(dir: &Path, trace_id: &str, assessment_id: &str) -> Result<()> {
    let a = get_assessment(dir, trace_id, assessment_id)?;
    let mut changes = vec![Mutation::now(
        trace_id,
        Op::DeleteAssessment {
            assessment_id: assessment_id.to_owned(),
        },
    )];
    if let Some(old) = a["overrides"].as_str().filter(|s| !s.is_empty()) {
        if let Ok(mut prior) = get_assessment(dir, trace_id, old) {
            prior["valid"] = Value::Bool(true);
            let mut m = Mutation::now(trace_id, Op::Assessment { assessment: prior });
            m.at_ns += 1;
            changes.push(m);
        }
    }
    append(dir, &changes)
}

/// Searches the store.
pub fn search_traces(dir: &Path, q: &Query) -> Result<Page> {
    search::search(dir, q)
}

/// Deletes traces, as MLflow's `delete_traces`: the given ids, or those that started before
/// `max_timestamp_millis` (at most `max_traces` of them, oldest first). Returns how many.
pub fn delete_traces(
    dir: &Path,
    max_timestamp_millis: Option<u64>,
    max_traces: Option<usize>,
    trace_ids: Option<&[String]>,
) -> Result<usize> {
    let ids: Vec<String> = match (trace_ids, max_timestamp_millis) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::InvalidArgument(
                "Exactly one of trace_ids and max_timestamp_millis must be specified.".into(),
            ))
        }
        (Some(ids), None) => {
            if max_traces.is_some() {
                return Err(Error::InvalidArgument(
                    "max_traces can't be specified if trace_ids is specified.".into(),
                ));
            }
            ids.iter()
                .filter(|id| matches!(get_trace(dir, id), Ok(Some(_))))
                .cloned()
                .collect()
        }
        (None, Some(ms)) => {
            let q = Query {
                filter: Some(format!("trace.timestamp_ms <= {ms}")),
                order_by: vec!["timestamp_ms ASC".into()],
                max_results: max_traces.unwrap_or(usize::MAX),
                page_token: None,
                include_spans: false,
            };
            search::search(dir, &q)?
                .traces
                .into_iter()
                .map(|t| t.info.trace_id)
                .collect()
        }
    };
    let changes: Vec<Mutation> = ids
        .iter()
        .map(|id| Mutation::now(id, Op::DeleteTrace))
        .collect();
    append(dir, &changes)?;
    Ok(ids.len())
}

/// The JSON of a search page: `{"traces": [...], "next_page_token": ...}`.
pub fn page_json(page: &Page) -> Value {
    json!({"traces": page.traces, "next_page_token": page.next_page_token})
}

/// [`page_json`] as text, written without building the value first.
pub fn page_text(page: &Page) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        traces: &'a [TraceDict],
        next_page_token: &'a Option<String>,
    }
    serde_json::to_string(&Out {
        traces: &page.traces,
        next_page_token: &page.next_page_token,
    })
    .unwrap_or_else(|_| page_json(page).to_string())
}
