//! The Python exception types and the one mapping from the core's error.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    ferrotrace._native,
    TracingError,
    PyException,
    "Base class of ferrotrace's errors."
);
create_exception!(
    ferrotrace._native,
    ConfigError,
    TracingError,
    "A setting has a value ferrotrace cannot use."
);

/// Maps a core error to the Python exception users catch.
pub fn to_py(e: ferrotrace_core::Error) -> PyErr {
    match e {
        ferrotrace_core::Error::Config { .. } => ConfigError::new_err(e.to_string()),
        other => TracingError::new_err(other.to_string()),
    }
}
