//! Text views of stored traces for the CLI: a table of traces and an indented span tree.

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::keys::attr;
use crate::model::{parse_rfc3339_ms, SpanDict, TraceDict};

const MAX_VALUE_CHARS: usize = 96;

/// One line per trace: id, name, state, start (UTC), duration, span count.
///
/// ```
/// let table = ferrotrace_core::store::render_list(&[]);
/// assert!(table.starts_with("TRACE ID"));
/// ```
pub fn render_list(traces: &[TraceDict]) -> String {
    let rows: Vec<[String; 6]> = traces
        .iter()
        .map(|t| {
            [
                t.info.trace_id.clone(),
                t.name().to_owned(),
                t.info.state.clone(),
                parse_rfc3339_ms(&t.info.request_time)
                    .map(format_utc)
                    .unwrap_or_else(|| t.info.request_time.clone()),
                t.info
                    .execution_duration_ms
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_default(),
                t.data.spans.len().to_string(),
            ]
        })
        .collect();
    let header = [
        "TRACE ID",
        "NAME",
        "STATE",
        "START (UTC)",
        "DURATION",
        "SPANS",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for r in &rows {
        line(&r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let _ = write!(out, "{} trace(s)", rows.len());
    out
}

/// The trace as an indented tree: per span its type, duration and status, then truncated inputs,
/// outputs and events.
pub fn render_tree(t: &TraceDict) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Trace {}  {}  {}",
        t.info.trace_id,
        t.name(),
        t.info.state
    );
    let start = parse_rfc3339_ms(&t.info.request_time)
        .map(format_utc)
        .unwrap_or_else(|| t.info.request_time.clone());
    let _ = writeln!(
        out,
        "  started {start} UTC, {} ms, {} span(s)",
        t.info.execution_duration_ms.unwrap_or(0),
        t.data.spans.len()
    );
    for (k, v) in &t.info.tags {
        if !k.starts_with("mlflow.") {
            let _ = writeln!(out, "  tag {k} = {}", truncate(v));
        }
    }
    for key in [
        "mlflow.trace.user",
        "mlflow.trace.session",
        "mlflow.trace.tokenUsage",
    ] {
        if let Some(v) = t.info.trace_metadata.get(key) {
            let _ = writeln!(
                out,
                "  {} = {}",
                key.trim_start_matches("mlflow.trace."),
                truncate(v)
            );
        }
    }
    let mut roots: Vec<&SpanDict> = t
        .data
        .spans
        .iter()
        .filter(|s| {
            s.parent_span_id
                .as_ref()
                .is_none_or(|p| !t.data.spans.iter().any(|o| &o.span_id == p))
        })
        .collect();
    roots.sort_by_key(|s| s.start_time_unix_nano);
    for (i, r) in roots.iter().enumerate() {
        write_span(&mut out, t, r, "", i + 1 == roots.len(), true);
    }
    out.truncate(out.trim_end().len());
    out
}

fn write_span(out: &mut String, t: &TraceDict, s: &SpanDict, prefix: &str, last: bool, top: bool) {
    let (branch, cont) = match (top, last) {
        (true, _) => ("", ""),
        (false, true) => ("└─ ", "   "),
        (false, false) => ("├─ ", "│  "),
    };
    let ty = s
        .attribute(attr::SPAN_TYPE)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "UNKNOWN".into());
    let dur = s
        .end_time_unix_nano
        .map(|e| {
            format!(
                "{:.1} ms",
                e.saturating_sub(s.start_time_unix_nano) as f64 / 1e6
            )
        })
        .unwrap_or_else(|| "open".into());
    let status = s.status.code.trim_start_matches("STATUS_CODE_");
    let _ = write!(out, "{prefix}{branch}{} [{ty}] {dur} {status}", s.name);
    if !s.status.message.is_empty() {
        let _ = write!(out, ": {}", truncate(&s.status.message));
    }
    out.push('\n');
    let detail = format!("{prefix}{cont}");
    let mut children: Vec<&SpanDict> = t
        .data
        .spans
        .iter()
        .filter(|c| c.parent_span_id.as_ref() == Some(&s.span_id))
        .collect();
    children.sort_by_key(|c| c.start_time_unix_nano);
    let bar = if children.is_empty() { "   " } else { "│  " };
    for (label, key) in [("in ", attr::INPUTS), ("out", attr::OUTPUTS)] {
        if let Some(v) = s.attribute(key) {
            let _ = writeln!(out, "{detail}{bar}{label}: {}", truncate(&compact(&v)));
        }
    }
    for e in &s.events {
        let _ = writeln!(out, "{detail}{bar}event {}", e.name);
    }
    for (i, c) in children.iter().enumerate() {
        write_span(out, t, c, &detail, i + 1 == children.len(), false);
    }
}

/// One line of JSON in the form it was stored (Python separators).
fn compact(v: &Value) -> String {
    crate::model::RawJson::from_value(v).as_str().to_owned()
}

fn truncate(s: &str) -> String {
    let one_line = s.replace('\n', "\\n");
    if one_line.chars().count() <= MAX_VALUE_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_VALUE_CHARS - 1).collect();
    format!("{cut}…")
}

fn format_utc(ms: u64) -> String {
    let s = crate::model::rfc3339_ms(ms);
    format!("{} {}", &s[..10], &s[11..19])
}
