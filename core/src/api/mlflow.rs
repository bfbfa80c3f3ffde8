//! COLD PATH: the MLflow server API the bindings call on a tracer (experiment lookup,
//! assessments, trace tags, get and search traces, any REST call). Each call that annotates
//! or reads a trace first delivers the traces still queued, so a trace ended a moment ago is on
//! the server before it is annotated. The REST client is built on first use and kept for the
//! settings it was built from; a forked child builds its own.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::config::{Config, HttpSettings};
use crate::error::{Error, Result};
use crate::export::mlflow::{
    encode_path_segment, trace_dict_from_server, Method, MlflowClient, DEFAULT_EXPERIMENT_ID,
};
use crate::model::{TraceDict, TraceId};
use crate::pipeline::RECENT_LOCK_WAIT;
use crate::runtime::fork;
use crate::Tracer;

const GET_EXPERIMENT: &str = "/api/2.0/mlflow/experiments/get";

/// The MLflow server calls on a [`Tracer`] (bring into scope to call them as methods).
pub trait MlflowApi {
    /// The REST client for the configured MLflow server; `None` without an `http(s)` tracking
    /// URI (or with an unusable CA bundle: [`MlflowApi::resolve_experiment`] says why). Clones
    /// share one connection pool.
    ///
    /// ```
    /// use ferrotrace_core::{api::MlflowApi, config::Config, Tracer};
    /// assert!(Tracer::new(Config::default()).mlflow_client().is_none());
    /// let cfg = Config { tracking_uri: Some("http://127.0.0.1:5000".into()), ..Config::default() };
    /// assert_eq!(Tracer::new(cfg).mlflow_client().unwrap().base_uri(), "http://127.0.0.1:5000");
    /// ```
    fn mlflow_client(&self) -> Option<MlflowClient>;

    /// The id of the configured experiment on the server, checked there within `timeout` (also
    /// when the server is unreachable): `experiment_id` if set (it must exist), else
    /// `experiment_name` (created if missing; the id is remembered), else MLflow's Default
    /// experiment `"0"`. Bindings call it from `set_experiment` to report a wrong server or
    /// credentials at once instead of at export.
    fn resolve_experiment(&self, timeout: Duration) -> Result<String>;

    /// Logs an assessment (feedback or expectation, MLflow's REST JSON: `assessment_name`,
    /// `source`, `feedback` / `expectation`, ...) on a trace and returns the server's
    /// `assessment` (with its `assessment_id`). `trace_id` is filled in when missing. Traces
    /// still queued are delivered first (waiting at most the HTTP timeout).
    fn log_assessment(&self, trace_id: &str, assessment: Value) -> Result<Value>;

    /// A trace in MLflow's `Trace.to_dict()` shape: delivers what is queued (at most `timeout`),
    /// then looks in the recently exported traces, then asks the server (if one is configured).
    /// `Ok(None)` when nobody has it.
    fn get_trace(&self, trace_id: &str, timeout: Duration) -> Result<Option<TraceDict>>;

    /// The server's `trace_info` of a trace (after delivering the traces still queued).
    fn get_trace_info(&self, trace_id: &str) -> Result<Value>;

    /// Drops a trace from the recently exported ones after a change made on the server (a tag,
    /// an assessment), so that `get_trace` reads the server's up-to-date copy.
    fn forget_recent(&self, trace_id: &str);

    /// Sets a tag on an exported trace (after delivering the traces still queued).
    fn set_trace_tag(&self, trace_id: &str, key: &str, value: &str) -> Result<()>;

    /// Deletes a tag of an exported trace (after delivering the traces still queued).
    fn delete_trace_tag(&self, trace_id: &str, key: &str) -> Result<()>;

    /// Searches traces on the server (MLflow's `search_traces`): the filter and order syntax are
    /// the server's. Delivers what is queued first. Pages through results up to `max_results`;
    /// with `include_spans`, fetches the spans in batches. `experiment_ids` empty: the configured
    /// experiment.
    fn search_traces(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        max_results: usize,
        order_by: &[String],
        include_spans: bool,
    ) -> Result<Vec<TraceDict>>;
}

impl MlflowApi for Tracer {
    fn mlflow_client(&self) -> Option<MlflowClient> {
        client(self).ok()
    }

    fn resolve_experiment(&self, timeout: Duration) -> Result<String> {
        let client = client(self)?;
        let deadline = Some(Instant::now() + timeout);
        let cfg = self.config();
        if let (None, Some(name)) = (&cfg.experiment_id, &cfg.experiment_name) {
            return client.resolve_experiment_cached(name, deadline);
        }
        let id = cfg
            .experiment_id
            .unwrap_or_else(|| DEFAULT_EXPERIMENT_ID.to_owned());
        let found = client.json(
            Method::Get,
            GET_EXPERIMENT,
            &[("experiment_id", &id)],
            None,
            deadline,
        )?;
        if found["experiment"]["lifecycle_stage"] == "deleted" {
            return Err(Error::InvalidArgument(format!(
                "the MLflow experiment {id} is deleted; restore it on the server or use another experiment"
            )));
        }
        Ok(id)
    }

    fn log_assessment(&self, trace_id: &str, assessment: Value) -> Result<Value> {
        let mut assessment = assessment;
        match assessment.as_object_mut() {
            Some(obj) => {
                obj.entry("trace_id").or_insert_with(|| trace_id.into());
            }
            None => {
                return Err(Error::InvalidArgument(
                    "an assessment must be a JSON object".into(),
                ))
            }
        }
        let path = format!("{}/assessments", trace_path(trace_id, "3.0")?);
        let client = deliver_pending(self)?;
        let resp = client.post_json(&path, &json!({ "assessment": assessment }))?;
        self.forget_recent(trace_id);
        Ok(match resp {
            Value::Object(mut m) if m.contains_key("assessment") => {
                m.remove("assessment").unwrap_or_default()
            }
            other => other,
        })
    }

    fn get_trace(&self, trace_id: &str, timeout: Duration) -> Result<Option<TraceDict>> {
        let id = TraceId::parse(trace_id).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{trace_id:?} is not a trace id (tr- and 32 hex digits)"
            ))
        })?;
        self.flush(timeout);
        // The cache may be held for good in a forked child (see `WorkerShared::remember`).
        if let Some(recent) = self.delivery().recent().try_lock_for(RECENT_LOCK_WAIT) {
            if let Some(t) = recent.iter().rev().find(|t| t.info.trace_id == id) {
                return Ok(Some(t.to_dict()));
            }
        }
        let Some(client) = self.mlflow_client() else {
            return Ok(None);
        };
        let deadline = Some(Instant::now() + timeout);
        let query = [("trace_id", trace_id), ("allow_partial", "true")];
        match client.json(
            Method::Get,
            "/api/3.0/mlflow/traces/get",
            &query,
            None,
            deadline,
        ) {
            Ok(resp) => Ok(Some(trace_dict_from_server(&resp["trace"]))),
            Err(e) if e.http_status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn get_trace_info(&self, trace_id: &str) -> Result<Value> {
        let path = trace_path(trace_id, "3.0")?;
        let client = deliver_pending(self)?;
        let mut resp = client.get_json(&path, &[])?;
        Ok(resp["trace"]["trace_info"].take())
    }

    fn forget_recent(&self, trace_id: &str) {
        let Some(id) = TraceId::parse(trace_id) else {
            return;
        };
        if let Some(mut recent) = self.delivery().recent().try_lock_for(RECENT_LOCK_WAIT) {
            recent.retain(|t| t.info.trace_id != id);
        }
    }

    fn set_trace_tag(&self, trace_id: &str, key: &str, value: &str) -> Result<()> {
        let path = format!("{}/tags", trace_path(trace_id, "2.0")?);
        // A tag set after export goes straight to the server: the same redaction rules apply.
        let mut value = value.to_owned();
        self.redact_tag_value(key, &mut value);
        let client = deliver_pending(self)?;
        client.patch_json(&path, &json!({"key": key, "value": value}))?;
        self.forget_recent(trace_id);
        Ok(())
    }

    fn delete_trace_tag(&self, trace_id: &str, key: &str) -> Result<()> {
        let path = format!("{}/tags", trace_path(trace_id, "2.0")?);
        let client = deliver_pending(self)?;
        client.delete_json(&path, &json!({ "key": key }))?;
        self.forget_recent(trace_id);
        Ok(())
    }

    fn search_traces(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        max_results: usize,
        order_by: &[String],
        include_spans: bool,
    ) -> Result<Vec<TraceDict>> {
        const PAGE: usize = 500;
        const BATCH_GET: usize = 20;
        let client = deliver_pending(self)?;
        let ids: Vec<String> = if experiment_ids.is_empty() {
            vec![self.resolve_experiment(client.request_timeout())?]
        } else {
            experiment_ids.to_vec()
        };
        let locations: Vec<Value> = ids
            .iter()
            .map(|id| json!({"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": id}}))
            .collect();
        let mut infos: Vec<Value> = Vec::new();
        let mut token: Option<String> = None;
        while infos.len() < max_results {
            let mut body = json!({"locations": locations, "max_results": (max_results - infos.len()).min(PAGE)});
            if let Some(f) = filter {
                body["filter"] = json!(f);
            }
            if !order_by.is_empty() {
                body["order_by"] = json!(order_by);
            }
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = client.post_json("/api/3.0/mlflow/traces/search", &body)?;
            infos.extend(page["traces"].as_array().cloned().unwrap_or_default());
            token = page["next_page_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        infos.truncate(max_results);
        if !include_spans {
            return Ok(infos
                .into_iter()
                .map(|info| trace_dict_from_server(&json!({"trace_info": info, "spans": []})))
                .collect());
        }
        let mut out = Vec::with_capacity(infos.len());
        for chunk in infos.chunks(BATCH_GET) {
            let ids: Vec<&str> = chunk
                .iter()
                .filter_map(|i| i["trace_id"].as_str())
                .collect();
            let query: Vec<(&str, &str)> = ids.iter().map(|id| ("trace_ids", *id)).collect();
            let got = client.get_json("/api/3.0/mlflow/traces/batchGet", &query)?;
            let mut by_id: std::collections::HashMap<String, Value> = got["traces"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| {
                            (
                                t["trace_info"]["trace_id"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                t.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            // Keep the search order; a trace whose spans are missing keeps its info.
            for info in chunk {
                let id = info["trace_id"].as_str().unwrap_or_default();
                let full = by_id
                    .remove(id)
                    .unwrap_or_else(|| json!({"trace_info": info, "spans": []}));
                out.push(trace_dict_from_server(&full));
            }
        }
        Ok(out)
    }
}

/// The client of the last settings asked for: the fork generation it was built in, what it was
/// built from, and the client (clones share one connection pool).
type Cached = (u64, (Option<String>, HttpSettings, usize), MlflowClient);

/// The REST client for `tracer`'s server, built once per settings and process.
fn client(tracer: &Tracer) -> Result<MlflowClient> {
    static CLIENT: Mutex<Option<Cached>> = Mutex::new(None);
    let cfg: Config = tracer.config();
    let key = (
        cfg.tracking_uri.clone(),
        cfg.http.clone(),
        cfg.delivery.max_workers,
    );
    let generation = fork::generation();
    let mut slot = CLIENT.lock();
    match slot.take() {
        Some((g, k, c)) if g == generation && k == key => {
            *slot = Some((g, k, c.clone()));
            return Ok(c);
        }
        // Inherited through fork: its pooled connections belong to the parent. Leave them
        // alone (no close on drop) and connect anew.
        Some((g, _, inherited)) if g != generation => std::mem::forget(inherited),
        _ => {}
    }
    let client = MlflowClient::from_config(&cfg)?.ok_or_else(|| {
        Error::InvalidArgument(
            "no MLflow tracking server is configured: set MLFLOW_TRACKING_URI (or tracking_uri) to an http:// or https:// URI".into(),
        )
    })?;
    *slot = Some((generation, key, client.clone()));
    Ok(client)
}

/// Flushes the pipeline (at most the HTTP timeout) and returns the client.
fn deliver_pending(tracer: &Tracer) -> Result<MlflowClient> {
    let client = client(tracer)?;
    tracer.flush(client.request_timeout());
    Ok(client)
}

fn trace_path(trace_id: &str, version: &str) -> Result<String> {
    let id = trace_id.trim();
    if id.is_empty() {
        return Err(Error::InvalidArgument("a trace id is required".into()));
    }
    Ok(format!(
        "/api/{version}/mlflow/traces/{}",
        encode_path_segment(id)
    ))
}

#[cfg(test)]
mod tests;
