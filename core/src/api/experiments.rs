//! The experiment calls a tracing program makes through a client (MLflow's `MlflowClient`:
//! create, get, get by name, delete, search), and `create_trace` (a trace info written as is).
//! On the MLflow server they are its REST calls; on the local store the experiments are kept in
//! one small JSON file of the store folder, so a program that creates its experiment runs the
//! same with no server (traces in the local store are not split by experiment).
//!
//! Every experiment is returned in MLflow's REST shape: `{experiment_id, name,
//! artifact_location, lifecycle_stage, creation_time, last_update_time, tags: [{key, value}]}`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::MlflowApi;
use super::{arg, opt_u64, Backend};
use crate::error::{Error, Result};
use crate::Tracer;

/// The file of the local store that lists its experiments.
const FILE: &str = "experiments.json";

/// Runs `op` if it is an experiment call (or `create_trace`), else `None`.
pub(super) fn call(tracer: &Tracer, be: &Backend, op: &str, args: &Value) -> Option<Result<Value>> {
    if !matches!(
        op,
        "create_experiment"
            | "get_experiment"
            | "get_experiment_by_name"
            | "delete_experiment"
            | "search_experiments"
            | "create_trace"
    ) {
        return None;
    }
    Some(match be {
        Backend::Server => server(tracer, op, args),
        Backend::Local(dir) => local(dir, op, args),
        Backend::Memory => Err(Error::InvalidArgument(format!(
            "{op} needs a trace store: the memory destination keeps none (use the local store or an MLflow server)"
        ))),
    })
}

fn not_found(v: Result<Value>) -> Result<Value> {
    match v {
        Err(e) if e.http_status() == Some(404) => Ok(Value::Null),
        other => other,
    }
}

/// MLflow's `tags` list from a `{key: value}` object (or a list already).
fn tag_list(tags: &Value) -> Value {
    match tags {
        Value::Object(m) => Value::Array(
            m.iter()
                .map(|(k, v)| json!({"key": k, "value": v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())}))
                .collect(),
        ),
        Value::Array(_) => tags.clone(),
        _ => json!([]),
    }
}

fn server(tracer: &Tracer, op: &str, args: &Value) -> Result<Value> {
    let c = tracer.mlflow_client().ok_or_else(|| {
        Error::InvalidArgument(
            "the MLflow tracking server could not be set up (see earlier warnings)".into(),
        )
    })?;
    match op {
        "create_experiment" => {
            let mut body = json!({"name": arg(args, "name")?});
            if let Some(loc) = args["artifact_location"].as_str() {
                body["artifact_location"] = loc.into();
            }
            body["tags"] = tag_list(&args["tags"]);
            let r = c.post_json("/api/2.0/mlflow/experiments/create", &body)?;
            Ok(json!({"experiment_id": r["experiment_id"]}))
        }
        "get_experiment" => not_found(
            c.get_json(
                "/api/2.0/mlflow/experiments/get",
                &[("experiment_id", arg(args, "experiment_id")?)],
            )
            .map(|r| r["experiment"].clone()),
        ),
        "get_experiment_by_name" => not_found(
            c.get_json(
                "/api/2.0/mlflow/experiments/get-by-name",
                &[("experiment_name", arg(args, "name")?)],
            )
            .map(|r| r["experiment"].clone()),
        ),
        "delete_experiment" => {
            let body = json!({"experiment_id": arg(args, "experiment_id")?});
            c.post_json("/api/2.0/mlflow/experiments/delete", &body)?;
            Ok(Value::Null)
        }
        "search_experiments" => {
            let mut body = json!({"max_results": opt_u64(args, "max_results").unwrap_or(1000)});
            for key in ["filter", "page_token", "view_type"] {
                if let Some(v) = args[key].as_str() {
                    body[key] = v.into();
                }
            }
            if args["order_by"].is_array() {
                body["order_by"] = args["order_by"].clone();
            }
            let r = c.post_json("/api/2.0/mlflow/experiments/search", &body)?;
            Ok(json!({
                "experiments": r.get("experiments").cloned().unwrap_or_else(|| json!([])),
                "next_page_token": r.get("next_page_token").cloned().unwrap_or(Value::Null),
            }))
        }
        "create_trace" => {
            let body = json!({"trace": {"trace_info": args["trace_info"]}});
            let r = c.post_json("/api/3.0/mlflow/traces", &body)?;
            Ok(r["trace"]["trace_info"].clone())
        }
        other => Err(Error::InvalidArgument(format!(
            "unknown operation {other:?}"
        ))),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The store's experiments; MLflow's Default experiment "0" is always there.
fn load(dir: &Path) -> Result<Vec<Value>> {
    let mut list: Vec<Value> = match std::fs::read(path(dir)) {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["experiments"].as_array().cloned())
            .unwrap_or_default(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if !list.iter().any(|e| e["experiment_id"] == "0") {
        list.insert(0, experiment("0", "Default", None, json!([]), 0));
    }
    Ok(list)
}

/// Written to a temporary file and renamed over the old one: a reader never sees half a file.
fn save(dir: &Path, list: &[Value]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{FILE}.{}", std::process::id()));
    std::fs::write(&tmp, json!({"experiments": list}).to_string())?;
    std::fs::rename(&tmp, path(dir))?;
    Ok(())
}

fn experiment(id: &str, name: &str, location: Option<&str>, tags: Value, ms: u64) -> Value {
    json!({
        "experiment_id": id,
        "name": name,
        "artifact_location": location.unwrap_or(""),
        "lifecycle_stage": "active",
        "creation_time": ms,
        "last_update_time": ms,
        "tags": tags,
    })
}

fn local(dir: &Path, op: &str, args: &Value) -> Result<Value> {
    let mut list = load(dir)?;
    match op {
        "create_experiment" => {
            let name = arg(args, "name")?;
            // As MLflow's server: a deleted experiment keeps its name.
            if list.iter().any(|e| e["name"] == name) {
                return Err(Error::exists_locally(format!(
                    "Experiment(name={name}) already exists."
                )));
            }
            let next = list
                .iter()
                .filter_map(|e| e["experiment_id"].as_str()?.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let id = next.to_string();
            list.push(experiment(
                &id,
                name,
                args["artifact_location"].as_str(),
                tag_list(&args["tags"]),
                now_ms(),
            ));
            save(dir, &list)?;
            Ok(json!({ "experiment_id": id }))
        }
        "get_experiment" => {
            let id = arg(args, "experiment_id")?;
            Ok(list
                .into_iter()
                .find(|e| e["experiment_id"] == id)
                .unwrap_or(Value::Null))
        }
        // As MLflow's server, a deleted experiment is found too (its `lifecycle_stage` says so).
        "get_experiment_by_name" => {
            let name = arg(args, "name")?;
            Ok(list
                .into_iter()
                .find(|e| e["name"] == name)
                .unwrap_or(Value::Null))
        }
        "delete_experiment" => {
            let id = arg(args, "experiment_id")?;
            let Some(e) = list.iter_mut().find(|e| e["experiment_id"] == id) else {
                return Err(Error::not_found_locally(format!(
                    "No Experiment with id={id} exists"
                )));
            };
            e["lifecycle_stage"] = "deleted".into();
            e["last_update_time"] = now_ms().into();
            save(dir, &list)?;
            Ok(Value::Null)
        }
        "search_experiments" => {
            let all = args["view_type"].as_str() == Some("ALL");
            let max = opt_u64(args, "max_results").unwrap_or(1000) as usize;
            let found: Vec<Value> = list
                .into_iter()
                .filter(|e| all || e["lifecycle_stage"] == "active")
                .take(max)
                .collect();
            Ok(json!({"experiments": found, "next_page_token": null}))
        }
        "create_trace" => Err(Error::InvalidArgument(
            "create_trace needs an MLflow tracking server: the local store records traces as they end".into(),
        )),
        other => Err(Error::InvalidArgument(format!("unknown operation {other:?}"))),
    }
}

#[cfg(test)]
mod tests;
