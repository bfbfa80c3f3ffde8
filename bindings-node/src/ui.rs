//! `npx ferrotrace ui` from Node: starts the core's UI server; it serves until `uiStop` or the
//! process ends.

use std::sync::Mutex;

use ferrotrace_core::ui::{start, RunningUi, UiOptions};
use napi::{Error, Result};
use napi_derive::napi;

static RUNNING: Mutex<Vec<RunningUi>> = Mutex::new(Vec::new());

/// Starts serving `dir` on `host:port` (0: a free port); returns the URL. A bad address or a
/// port in use throws, naming it.
#[napi(catch_unwind)]
pub fn ui_start(host: String, port: u32, dir: String) -> Result<String> {
    let port = u16::try_from(port)
        .map_err(|_| Error::from_reason(format!("ui: --port {port} is not a port")))?;
    let running = start(UiOptions {
        host,
        port,
        dir: dir.into(),
    })
    .map_err(|e| Error::from_reason(e.to_string()))?;
    let url = running.url();
    if let Ok(mut all) = RUNNING.lock() {
        all.push(running);
    }
    Ok(url)
}

/// Stops every UI server this process started.
#[napi(catch_unwind)]
pub fn ui_stop() {
    let all = RUNNING
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    for running in all {
        running.stop();
    }
}
