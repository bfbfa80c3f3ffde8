//! The Python exception types, the one mapping from the core's error ([`CoreErr`], `?` turns a
//! core error into a `PyErr`), and [`enter`], the one way an explicit API call goes into the
//! core: without the GIL, with panics caught, with errors converted.
//!
//! The exceptions are MLflow's (`ferrotrace.exceptions`, which imports nothing native): every
//! error is an `MlflowException` with MLflow's `error_code` (`get_http_status_code()` follows
//! from it), and an error answer of the tracking server is also a `RestException`, as MLflow
//! raises it.
//!
//! | core error | Python class | `error_code` |
//! |---|---|---|
//! | `Config` | `ConfigError` | `INVALID_PARAMETER_VALUE` |
//! | `InvalidArgument` | `TracingError` | `INVALID_PARAMETER_VALUE` |
//! | an answer of the server (`NotFound`, `Auth`, `Rejected`, `Server`) | `RestError` (a `TracingError` and a `RestException`) | the server's, else the one its HTTP status stands for (404: `RESOURCE_DOES_NOT_EXIST`) |
//! | a refusal of the local store (`Store`) | `TracingError` | MLflow's (`RESOURCE_DOES_NOT_EXIST`, `RESOURCE_ALREADY_EXISTS`) |
//! | no answer (`Transport`, `Tls`, `Timeout`, `Io`, ...) | `TracingError` | `INTERNAL_ERROR` (`TEMPORARILY_UNAVAILABLE` for a transport failure) |
//!
//! These are raised by explicit calls only (configuration, client calls); a traced call never
//! raises (see `guard`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use pyo3::{create_exception, import_exception};

// MLflow's base exception, defined in Python (`ferrotrace/exceptions.py`, which imports nothing
// native): every error ferrotrace raises is an `MlflowException`, as in MLflow.
import_exception!(ferrotrace.exceptions, MlflowException);
import_exception!(ferrotrace.exceptions, RestException);

create_exception!(
    ferrotrace._native,
    TracingError,
    MlflowException,
    "Base class of ferrotrace's errors (an `MlflowException`)."
);
create_exception!(
    ferrotrace._native,
    ConfigError,
    TracingError,
    "A setting has a value ferrotrace cannot use."
);

/// `RestError(TracingError, RestException)`: built once at import, since a class with two
/// bases cannot be declared statically.
static REST_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The class of an error answer of the tracking server (see the module docs).
pub fn rest_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    REST_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [
                    py.get_type::<TracingError>().into_any(),
                    py.get_type::<RestException>().into_any(),
                ],
            )?;
            let ns = PyDict::new(py);
            ns.set_item("__module__", "ferrotrace._native")?;
            ns.set_item(
                "__doc__",
                "An error answer of the MLflow tracking server: a `RestException` (with the server's `error_code`) and a `TracingError`.",
            )?;
            let t = py
                .get_type::<PyType>()
                .call1(("RestError", bases, ns))?
                .cast_into::<PyType>()?;
            Ok(t.unbind())
        })
        .map(|t| t.bind(py))
}

/// A core error on its way to Python. The orphan rule forbids `From<ferrotrace_core::Error> for
/// PyErr` here (both types are foreign), so this wrapper carries it: `?` converts a core error to
/// it and it to a `PyErr`.
#[derive(Debug)]
pub struct CoreErr(pub ferrotrace_core::Error);

impl From<ferrotrace_core::Error> for CoreErr {
    fn from(e: ferrotrace_core::Error) -> Self {
        CoreErr(e)
    }
}

impl From<CoreErr> for PyErr {
    fn from(CoreErr(e): CoreErr) -> PyErr {
        Python::attach(|py| convert(py, e))
    }
}

fn convert(py: Python<'_>, e: ferrotrace_core::Error) -> PyErr {
    let code = error_code(&e);
    let message = e.to_string();
    if let ferrotrace_core::Error::Config { .. } = e {
        return with_code(py, ConfigError::new_err(message), code);
    }
    // The local store's refusals are MLflow's own backends' `MlflowException`s, not REST answers.
    if e.http_status().is_some()
        && !matches!(
            e,
            ferrotrace_core::Error::Otlp { .. } | ferrotrace_core::Error::Store { .. }
        )
    {
        // What MLflow raises for the server's answer: `RestException({error_code, message})`.
        let made = rest_error_type(py).and_then(|t| {
            let body = PyDict::new(py);
            body.set_item("error_code", code)?;
            body.set_item("message", &message)?;
            t.call1((body,))
        });
        if let Ok(err) = made {
            return PyErr::from_value(err);
        }
    }
    with_code(py, TracingError::new_err(message), code)
}

fn with_code(py: Python<'_>, err: PyErr, code: &str) -> PyErr {
    // Best effort: the message alone is still a valid error.
    let _ = err.value(py).setattr("error_code", code);
    err
}

/// An `MlflowException` with MLflow's `INVALID_PARAMETER_VALUE` code, for an argument the API
/// cannot accept (what MLflow raises there, so a trace that records it reads the same).
pub fn invalid(message: impl Into<String>) -> PyErr {
    let err = MlflowException::new_err(message.into());
    Python::attach(|py| with_code(py, err, "INVALID_PARAMETER_VALUE"))
}

/// MLflow's `error_code` for a core error.
fn error_code(e: &ferrotrace_core::Error) -> &str {
    use ferrotrace_core::Error as E;
    if let Some(code) = e.mlflow_code() {
        return code;
    }
    match e {
        E::Config { .. } | E::InvalidArgument(_) => return "INVALID_PARAMETER_VALUE",
        E::Transport { .. } => return "TEMPORARILY_UNAVAILABLE",
        E::Timeout(_) => return "DEADLINE_EXCEEDED",
        _ => {}
    }
    match e.http_status() {
        Some(400) => "INVALID_PARAMETER_VALUE",
        Some(401) => "UNAUTHENTICATED",
        Some(403) => "PERMISSION_DENIED",
        Some(404) => "RESOURCE_DOES_NOT_EXIST",
        Some(409) => "RESOURCE_CONFLICT",
        Some(429) => "REQUEST_LIMIT_EXCEEDED",
        Some(501) => "NOT_IMPLEMENTED",
        Some(503) => "TEMPORARILY_UNAVAILABLE",
        Some(504) => "DEADLINE_EXCEEDED",
        _ => "INTERNAL_ERROR",
    }
}

/// The binding boundary of an explicit API call (as polars' `enter_polars`): runs `f` without
/// the GIL, so other Python threads go on while it waits on the server or the disk; a panic in
/// it is counted (`internal_errors` in stats()) and raised as a `TracingError` instead of
/// unwinding into CPython; a core error becomes its Python exception.
pub fn enter<T: Send>(
    py: Python<'_>,
    what: &str,
    f: impl FnOnce() -> ferrotrace_core::Result<T> + Send,
) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(r) => r.map_err(|e| convert(py, e)),
        Err(_) => {
            ferrotrace_core::global().count_internal_error(what);
            Err(TracingError::new_err(format!(
                "ferrotrace: internal error (panic) in {what}"
            )))
        }
    }
}
