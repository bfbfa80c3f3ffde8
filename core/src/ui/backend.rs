//! What the UI reads and writes: the traces of one store folder, as list rows and whole traces.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::model::TraceDict;
use crate::store::local::{get_trace, log_assessment, search_traces};
use crate::store::read_folded;
use crate::store::search::Query;

/// One store folder.
pub struct Backend {
    dir: PathBuf,
}

/// Feedback given on the page: thumbs up or down, and an optional comment.
#[derive(Debug, serde::Deserialize)]
pub struct FeedbackInput {
    /// true: thumbs up.
    pub value: bool,
    /// Shown as the feedback's rationale.
    #[serde(default)]
    pub comment: Option<String>,
}

/// An error the page shows: a status code and a message.
pub struct UiError(pub u16, pub String);

impl Backend {
    pub fn new(dir: PathBuf) -> Self {
        Backend { dir }
    }

    /// Every trace with its tags, assessments and deletions folded in.
    fn traces(&self) -> Result<Vec<TraceDict>, UiError> {
        read_folded(&self.dir)
            .map(|r| r.traces)
            .map_err(|e| UiError(500, format!("cannot read {}: {e}", self.dir.display())))
    }

    /// A page of list rows, newest first. `filter` is MLflow's filter grammar when it has an
    /// operator (`tags.env = 'prod'`, `trace.name LIKE 'agent%'`), else words that must all
    /// appear in the trace's name, id, state or tags (case-insensitive).
    pub fn list(
        &self,
        filter: &str,
        max_results: usize,
        page_token: Option<&str>,
    ) -> Result<Value, UiError> {
        let max = max_results.clamp(1, 500);
        if is_grammar(filter) {
            let q = Query {
                filter: Some(filter.to_owned()),
                order_by: Vec::new(),
                max_results: max,
                page_token: page_token.map(str::to_owned),
                include_spans: true,
            };
            let page = search_traces(&self.dir, &q).map_err(|e| UiError(400, e.to_string()))?;
            let rows: Vec<Value> = page.traces.iter().map(row).collect();
            return Ok(
                json!({ "traces": rows, "next_page_token": page.next_page_token, "total": null }),
            );
        }
        let mut traces = self.traces()?;
        traces.reverse();
        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let rows: Vec<&TraceDict> = traces.iter().filter(|t| matches(t, &words)).collect();
        let start = match page_token {
            Some(tok) => tok
                .parse::<usize>()
                .map_err(|_| UiError(400, "bad page token".into()))?,
            None => 0,
        };
        let page: Vec<Value> = rows.iter().skip(start).take(max).map(|t| row(t)).collect();
        let next = (start + max < rows.len()).then(|| (start + max).to_string());
        Ok(json!({ "traces": page, "next_page_token": next, "total": rows.len() }))
    }

    /// One whole trace, in MLflow's dict shape, with its tags and assessments.
    pub fn get(&self, trace_id: &str) -> Result<Value, UiError> {
        let trace = get_trace(&self.dir, trace_id)
            .map_err(|e| UiError(500, e.to_string()))?
            .ok_or_else(|| UiError(404, format!("no trace {trace_id} in this folder")))?;
        serde_json::to_value(&trace).map_err(|e| UiError(500, e.to_string()))
    }

    /// Records thumbs up/down as feedback `user_thumbs_up` (source HUMAN, the UI as its id), with
    /// the comment as its rationale, appended to the store as any process's feedback is.
    pub fn feedback(&self, trace_id: &str, input: &FeedbackInput) -> Result<Value, UiError> {
        let mut assessment = json!({
            "assessment_name": "user_thumbs_up",
            "source": { "source_type": "HUMAN", "source_id": "ferrotrace-ui" },
            "feedback": { "value": input.value },
        });
        if let Some(c) = input.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            assessment["rationale"] = Value::String(c.chars().take(2000).collect());
        }
        log_assessment(&self.dir, trace_id, assessment).map_err(|e| {
            let status = if matches!(e, crate::Error::NotFound { .. }) {
                404
            } else {
                400
            };
            UiError(status, e.to_string())
        })
    }
}

/// MLflow's grammar always compares: `=`, `!=`, `<`, `>`, `LIKE`, `ILIKE`, `IN`.
fn is_grammar(filter: &str) -> bool {
    let upper = filter.to_uppercase();
    filter.contains(['=', '<', '>'])
        || [" LIKE ", " ILIKE ", " IN "]
            .iter()
            .any(|op| upper.contains(op))
}

fn matches(t: &TraceDict, words: &[String]) -> bool {
    words.iter().all(|w| {
        t.info.trace_id.to_lowercase().contains(w)
            || t.info.state.to_lowercase().contains(w)
            || name(t).to_lowercase().contains(w)
            || t.info
                .tags
                .iter()
                .any(|(k, v)| k.to_lowercase().contains(w) || v.to_lowercase().contains(w))
    })
}

fn name(t: &TraceDict) -> &str {
    t.info
        .tags
        .get("mlflow.traceName")
        .map(String::as_str)
        .or_else(|| {
            t.data
                .spans
                .iter()
                .find(|s| s.parent_span_id.is_none())
                .map(|s| s.name.as_str())
        })
        .unwrap_or("")
}

/// What the list shows of a trace.
fn row(t: &TraceDict) -> Value {
    let tokens = t
        .info
        .trace_metadata
        .get("mlflow.trace.tokenUsage")
        .and_then(|u| serde_json::from_str::<Value>(u).ok())
        .and_then(|u| u.get("total_tokens").and_then(Value::as_u64));
    let tags: serde_json::Map<String, Value> = t
        .info
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with("mlflow."))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let feedback: Vec<Value> = t
        .info
        .assessments
        .iter()
        .filter(|a| a.get("feedback").is_some())
        .map(|a| json!({ "name": a.get("assessment_name"), "value": a.pointer("/feedback/value") }))
        .collect();
    json!({
        "trace_id": t.info.trace_id,
        "name": name(t),
        "state": t.info.state,
        "request_time": t.info.request_time,
        "duration_ms": t.info.execution_duration_ms,
        "spans": t.data.spans.len(),
        "tokens": tokens,
        "tags": tags,
        "feedback": feedback,
    })
}
