//! `ferrotrace ui` from Python: starts the core's UI server and hands back a handle to stop it.

use std::path::PathBuf;
use std::sync::Mutex;

use ferrotrace_core::ui::{start, RunningUi, UiOptions};
use pyo3::prelude::*;

use crate::errors::ConfigError;

/// A running UI server; `stop()` ends it (so does dropping it).
#[pyclass(module = "ferrotrace._native", name = "UiServer")]
pub struct UiServer {
    url: String,
    running: Mutex<Option<RunningUi>>,
}

#[pymethods]
impl UiServer {
    /// `http://host:port/`.
    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// Stops serving; waits for the server thread without holding the GIL.
    fn stop(&self, py: Python<'_>) {
        let running = self.running.lock().ok().and_then(|mut r| r.take());
        if let Some(r) = running {
            py.detach(move || r.stop());
        }
    }
}

/// Starts serving `dir` on `host:port` (0: a free port). A bad address or a port in use raises
/// `ConfigError` naming it.
#[pyfunction]
pub fn ui_start(host: String, port: u16, dir: PathBuf) -> PyResult<UiServer> {
    let running =
        start(UiOptions { host, port, dir }).map_err(|e| ConfigError::new_err(e.to_string()))?;
    Ok(UiServer {
        url: running.url(),
        running: Mutex::new(Some(running)),
    })
}
