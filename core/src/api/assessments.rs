//! Assessments (feedback and expectations) on the configured backend, written once for both
//! bindings: `log_assessment`, `get_assessment`, `update_assessment`, `delete_assessment` and
//! `override_feedback`, in MLflow's REST shapes. On the MLflow server they are its
//! `/api/3.0/mlflow/traces/{trace_id}/assessments` calls; on the local store they are records
//! appended to the store folder.
//!
//! The bindings only convert their entities to MLflow's REST JSON and back. The rules MLflow's
//! fluent API applies live here: an update keeps the assessment's kind (a `value` goes to the
//! feedback or the expectation the assessment already is) and its name unless a new one is
//! given; an override copies the old feedback's name and span, names it in `overrides`, and is
//! refused for an expectation.

use std::path::Path;

use serde_json::{json, Value};

use super::{arg, mark_annotated, timeout, Backend, MlflowApi};
use crate::error::{Error, Result};
use crate::export::mlflow::{encode_path_segment, Method, MlflowClient};
use crate::store::local;
use crate::Tracer;

/// The operations of this module.
const OPS: [&str; 5] = [
    "log_assessment",
    "get_assessment",
    "update_assessment",
    "delete_assessment",
    "override_feedback",
];

/// The fields an update may change, with the name MLflow's `update_mask` gives each.
const UPDATABLE: [(&str, &str); 5] = [
    ("assessment_name", "assessmentName"),
    ("feedback", "feedback"),
    ("expectation", "expectation"),
    ("rationale", "rationale"),
    ("metadata", "metadata"),
];

/// Where the assessments of a trace are kept.
enum Store<'a> {
    Server(&'a Tracer),
    Local(&'a Path),
}

/// Runs `op` if it is an assessment call, else `None`.
pub(super) fn call(tracer: &Tracer, be: &Backend, op: &str, args: &Value) -> Option<Result<Value>> {
    if !OPS.contains(&op) {
        return None;
    }
    let store = match be {
        Backend::Server => Store::Server(tracer),
        Backend::Local(dir) => {
            // A trace ended a moment ago may still be queued: write it first.
            tracer.flush(timeout(args));
            Store::Local(dir)
        }
        Backend::Memory => {
            return Some(Err(Error::InvalidArgument(format!(
                "{op} needs a trace store: the memory destination keeps none (use the local store or an MLflow server)"
            ))))
        }
    };
    Some(run(&store, op, args))
}

fn run(store: &Store<'_>, op: &str, args: &Value) -> Result<Value> {
    let id = arg(args, "trace_id")?;
    let out = match op {
        "log_assessment" => store.log(id, args["assessment"].clone())?,
        "get_assessment" => return store.get(id, arg(args, "assessment_id")?),
        "update_assessment" => update(store, id, arg(args, "assessment_id")?, &args["assessment"])?,
        "delete_assessment" => {
            store.delete(id, arg(args, "assessment_id")?)?;
            Value::Null
        }
        "override_feedback" => {
            override_feedback(store, id, arg(args, "assessment_id")?, &args["assessment"])?
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "unknown operation {other:?}"
            )))
        }
    };
    // The trace changed after it ended: `get_trace` must read the backend's copy.
    mark_annotated(id);
    Ok(out)
}

/// `update_assessment`: `changes` holds the fields to change in MLflow's REST names, or (as
/// the bindings' entities give them) a bare `value` / `error` that goes to the kind the
/// assessment already is. Without `assessment_name` the name is kept.
fn update(
    store: &Store<'_>,
    trace_id: &str,
    assessment_id: &str,
    changes: &Value,
) -> Result<Value> {
    let given = |k: &str| changes.get(k).filter(|v| !v.is_null());
    let bare_value = given("value");
    let bare_error = given("error").filter(|v| v.as_str() != Some(""));
    let mut d = json!({});
    for (key, _) in UPDATABLE {
        if let Some(v) = given(key) {
            d[key] = v.clone();
        }
    }
    if d.get("assessment_name").is_none() || bare_value.is_some() || bare_error.is_some() {
        let old = store.get(trace_id, assessment_id)?;
        if d.get("assessment_name").is_none() {
            d["assessment_name"] = old["assessment_name"].as_str().unwrap_or_default().into();
        }
        let is_expectation = old.get("expectation").is_some() && old.get("feedback").is_none();
        if is_expectation && bare_error.is_some() {
            return Err(Error::InvalidArgument(
                "update_assessment: an expectation has no `error`".into(),
            ));
        }
        if is_expectation {
            if let Some(v) = bare_value {
                d["expectation"] = json!({ "value": v });
            }
        } else if bare_value.is_some() || bare_error.is_some() {
            let mut fb = json!({});
            if let Some(v) = bare_value {
                fb["value"] = v.clone();
            }
            if let Some(e) = bare_error {
                fb["error"] = e.clone();
            }
            d["feedback"] = fb;
        }
    }
    store.update(trace_id, assessment_id, &d)
}

/// `override_feedback`: logs `new` (a feedback: its value, rationale, source, metadata) in place
/// of the feedback `assessment_id`, which the backend then marks invalid and keeps.
fn override_feedback(
    store: &Store<'_>,
    trace_id: &str,
    assessment_id: &str,
    new: &Value,
) -> Result<Value> {
    let old = store.get(trace_id, assessment_id)?;
    if old.get("expectation").is_some() || old.get("feedback").is_none() {
        return Err(Error::InvalidArgument(format!(
            "The assessment with ID {assessment_id} is not a feedback assessment."
        )));
    }
    let mut new = new.clone();
    let obj = new
        .as_object_mut()
        .ok_or_else(|| Error::InvalidArgument("an assessment must be a JSON object".into()))?;
    obj.insert("assessment_name".into(), old["assessment_name"].clone());
    match old["span_id"].as_str().filter(|s| !s.is_empty()) {
        Some(span) => obj.insert("span_id".into(), span.into()),
        None => obj.remove("span_id"),
    };
    obj.insert("overrides".into(), assessment_id.into());
    obj.entry("valid").or_insert(Value::Bool(true));
    obj.insert("trace_id".into(), trace_id.into());
    store.log(trace_id, new)
}

fn assessment_path(trace_id: &str, assessment_id: &str) -> String {
    format!(
        "/api/3.0/mlflow/traces/{}/assessments/{}",
        encode_path_segment(trace_id),
        encode_path_segment(assessment_id)
    )
}

/// The `assessment` of a server answer (the answer itself when it has none).
fn take(mut v: Value) -> Value {
    match v.get_mut("assessment") {
        Some(x) => x.take(),
        None => v,
    }
}

fn client(tracer: &Tracer) -> Result<MlflowClient> {
    tracer.mlflow_client().ok_or_else(|| {
        Error::InvalidArgument(
            "the MLflow tracking server could not be set up (see earlier warnings)".into(),
        )
    })
}

impl Store<'_> {
    fn log(&self, trace_id: &str, assessment: Value) -> Result<Value> {
        match self {
            Store::Server(t) => t.log_assessment(trace_id, assessment),
            Store::Local(dir) => local::log_assessment(dir, trace_id, assessment),
        }
    }

    fn get(&self, trace_id: &str, assessment_id: &str) -> Result<Value> {
        match self {
            Store::Server(t) => Ok(take(
                client(t)?.get_json(&assessment_path(trace_id, assessment_id), &[])?,
            )),
            Store::Local(dir) => local::get_assessment(dir, trace_id, assessment_id),
        }
    }

    /// Changes the fields of `d` (MLflow's REST names) and returns the assessment as stored.
    fn update(&self, trace_id: &str, assessment_id: &str, d: &Value) -> Result<Value> {
        match self {
            Store::Server(t) => {
                let mut body = json!({"assessment_id": assessment_id, "trace_id": trace_id});
                let mut mask = Vec::new();
                for (key, camel) in UPDATABLE {
                    if let Some(v) = d.get(key).filter(|v| !v.is_null()) {
                        body[key] = v.clone();
                        mask.push(camel);
                    }
                }
                let req = json!({"assessment": body, "update_mask": mask.join(",")});
                let path = assessment_path(trace_id, assessment_id);
                Ok(take(client(t)?.patch_json(&path, &req)?))
            }
            Store::Local(dir) => local::update_assessment(dir, trace_id, assessment_id, d),
        }
    }

    fn delete(&self, trace_id: &str, assessment_id: &str) -> Result<()> {
        match self {
            Store::Server(t) => {
                let path = assessment_path(trace_id, assessment_id);
                client(t)?.json(Method::Delete, &path, &[], None, None)?;
                Ok(())
            }
            Store::Local(dir) => local::delete_assessment(dir, trace_id, assessment_id),
        }
    }
}

#[cfg(test)]
mod tests;
