//! Conversions around `LiveSpan` that touch Python objects: MLflow entities, JSON decoding,
//! statuses and exceptions as users pass them.

use ferrotrace_core::model::{RawJson, StatusCode};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::errors::invalid;
use crate::value::display_text;

pub(crate) fn entities(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static M: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    M.get_or_try_init(py, || py.import("ferrotrace.entities").map(Bound::unbind))
        .map(|m| m.bind(py))
}

pub(crate) fn json_loads<'py>(py: Python<'py>, v: &RawJson) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let loads = LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    loads.bind(py).call1((v.as_str(),))
}

/// Reads a status given as `SpanStatusCode`, `SpanStatus` or a string.
pub(crate) fn parse_status(status: &Bound<'_, PyAny>) -> PyResult<(StatusCode, String)> {
    let (code_obj, desc) = match status.getattr("status_code") {
        Ok(code) => {
            let d = status
                .getattr("description")
                .ok()
                .filter(|d| !d.is_none())
                .map(|d| display_text(&d));
            (code, d.unwrap_or_default())
        }
        Err(_) => (status.clone(), String::new()),
    };
    let text = match code_obj.getattr("value") {
        Ok(v) => display_text(&v),
        Err(_) => display_text(&code_obj),
    };
    let parsed = StatusCode::parse(&text).map(|c| {
        // As OpenTelemetry (and so MLflow) does: a description belongs to an ERROR status only.
        if c != StatusCode::Error && !desc.is_empty() {
            ferrotrace_core::diag::warn(
                "status_description",
                format!("description should only be set when the status is ERROR; {text:?} status description {desc:?} dropped"),
            );
            (c, String::new())
        } else {
            (c, desc)
        }
    });
    parsed.ok_or_else(|| {
        // MLflow's wording: a trace that records this error reads the same.
        invalid(format!(
            "{text} is not a valid SpanStatusCode value. Please use one of ['UNSET', 'OK', 'ERROR']"
        ))
    })
}

/// Type name, message and formatted traceback of an exception (or of a plain message).
pub(crate) fn exception_parts(exc: &Bound<'_, PyAny>) -> (String, String, String) {
    let py = exc.py();
    if let Ok(s) = exc.cast::<PyString>() {
        let msg = s.to_string_lossy().into_owned();
        return ("Exception".into(), msg.clone(), format!("Exception: {msg}"));
    }
    let ty = exc
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let msg = display_text(exc);
    let stack = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (exc,)))
        .and_then(|lines| PyString::new(py, "").call_method1("join", (lines,)))
        .map(|s| s.to_string())
        .unwrap_or_else(|_| format!("{ty}: {msg}"));
    (ty, msg, stack.trim_end().to_owned())
}
