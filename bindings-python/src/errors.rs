//! The Python exception types and the one mapping from the core's error.

use pyo3::prelude::*;
use pyo3::{create_exception, import_exception};

// MLflow's base exception, defined in Python (`ferrotrace/exceptions.py`, which imports nothing
// native): every error ferrotrace raises is an `MlflowException`, as in MLflow.
import_exception!(ferrotrace.exceptions, MlflowException);

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

/// Maps a core error to the Python exception users catch. An error answer of the tracking
/// server carries MLflow's `error_code` (the server's, else the one its HTTP status stands for).
pub fn to_py(e: ferrotrace_core::Error) -> PyErr {
    if let ferrotrace_core::Error::Config { .. } = e {
        return ConfigError::new_err(e.to_string());
    }
    let code = error_code(&e);
    let err = TracingError::new_err(e.to_string());
    if let Some(code) = code {
        Python::attach(|py| {
            // Best effort: the message alone is still a valid error.
            let _ = err.value(py).setattr("error_code", code);
        });
    }
    err
}

/// An `MlflowException` with MLflow's `INVALID_PARAMETER_VALUE` code, for an argument the API
/// cannot accept (what MLflow raises there, so a trace that records it reads the same).
pub fn invalid(message: impl Into<String>) -> PyErr {
    let err = MlflowException::new_err(message.into());
    Python::attach(|py| {
        let _ = err
            .value(py)
            .setattr("error_code", "INVALID_PARAMETER_VALUE");
    });
    err
}

fn error_code(e: &ferrotrace_core::Error) -> Option<String> {
    if let Some(code) = e.mlflow_code() {
        return Some(code.to_owned());
    }
    if let ferrotrace_core::Error::InvalidArgument(_) = e {
        return Some("INVALID_PARAMETER_VALUE".to_owned());
    }
    let code = match e.http_status()? {
        400 => "INVALID_PARAMETER_VALUE",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "RESOURCE_DOES_NOT_EXIST",
        409 => "RESOURCE_CONFLICT",
        429 => "REQUEST_LIMIT_EXCEEDED",
        501 => "NOT_IMPLEMENTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL_ERROR",
    };
    Some(code.to_owned())
}
