//! The trace-level API against the configured MLflow server (REST).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::MlflowApi;
use super::{arg, is_annotated, mark_annotated, opt_u64, query, timeout};
use crate::error::{Error, Result};
use crate::export::mlflow::{trace_dict_from_server, Method, MlflowClient};
use crate::Tracer;

fn client(tracer: &Tracer) -> Result<MlflowClient> {
    tracer.mlflow_client().ok_or_else(|| {
        Error::InvalidArgument(
            "the MLflow tracking server could not be set up (see earlier warnings)".into(),
        )
    })
}

/// Runs `op` against the server (see [`super::call`]).
pub(super) fn call(tracer: &Tracer, op: &str, args: &Value) -> Result<Value> {
    match op {
        "set_trace_tag" => {
            let id = arg(args, "trace_id")?;
            tracer.set_trace_tag(
                id,
                arg(args, "key")?,
                args["value"].as_str().unwrap_or_default(),
            )?;
            mark_annotated(id);
            Ok(Value::Null)
        }
        "delete_trace_tag" => {
            let id = arg(args, "trace_id")?;
            tracer.delete_trace_tag(id, arg(args, "key")?)?;
            mark_annotated(id);
            Ok(Value::Null)
        }
        "get_trace" => {
            let id = arg(args, "trace_id")?;
            if !is_annotated(id) {
                let t = tracer.get_trace(id, timeout(args))?;
                return Ok(t.map(|t| json!(t)).unwrap_or(Value::Null));
            }
            // Changed after it ended: this process's copy is stale, the server's is current.
            let c = client(tracer)?;
            let deadline = Some(Instant::now() + timeout(args).max(Duration::from_secs(1)));
            let query = [("trace_id", id), ("allow_partial", "true")];
            match c.json(
                Method::Get,
                "/api/3.0/mlflow/traces/get",
                &query,
                None,
                deadline,
            ) {
                Ok(resp) => Ok(json!(trace_dict_from_server(&resp["trace"]))),
                Err(e) if e.http_status() == Some(404) => Ok(Value::Null),
                Err(e) => Err(e),
            }
        }
        "search_traces" => {
            let q = query(args);
            let ids: Vec<String> = args["experiment_ids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let traces = tracer.search_traces(
                &ids,
                q.filter.as_deref(),
                q.max_results,
                &q.order_by,
                q.include_spans,
            )?;
            Ok(json!({"traces": traces, "next_page_token": null}))
        }
        "delete_traces" => {
            tracer.flush(timeout(args));
            let experiment_id = match args["experiment_id"].as_str() {
                Some(e) => e.to_owned(),
                None => tracer.resolve_experiment(Duration::from_secs(30))?,
            };
            let mut body = json!({"experiment_id": experiment_id});
            if let Some(ms) = opt_u64(args, "max_timestamp_millis") {
                body["max_timestamp_millis"] = ms.into();
            }
            if let Some(n) = opt_u64(args, "max_traces") {
                body["max_traces"] = n.into();
            }
            if let Some(ids) = args["trace_ids"].as_array() {
                body["request_ids"] = Value::Array(ids.clone());
            }
            let resp = client(tracer)?.post_json("/api/2.0/mlflow/traces/delete-traces", &body)?;
            Ok(json!({"deleted": resp["traces_deleted"].as_u64().unwrap_or(0)}))
        }
        other => Err(Error::InvalidArgument(format!(
            "unknown operation {other:?}"
        ))),
    }
}
