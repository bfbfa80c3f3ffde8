//! HTTP for the exporters and the MLflow client: `reqwest` on a current-thread tokio runtime.
//!
//! Each [`Http`] owns one runtime and one client, built on first use by the thread that uses it:
//! an exporter's on the export thread (its requests, the StartTraceV3 ones included, run
//! concurrently as futures there), the client facade's on the application thread that asked for
//! a call. Proxies come from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (either case), as
//! reqwest reads them.
//!
//! Fork: a runtime (and the connections of its client) inherited through `fork` belongs to the
//! parent: a thread of the parent may have been driving it, and closing its sockets would cut
//! the parent's connections. The child never uses nor drops it (it is leaked) and builds its own.

pub(crate) mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// A reqwest client and the runtime it runs on, built on first use in the process using it.
pub(crate) struct Http {
    tls: rustls::ClientConfig,
    /// Connections kept open between requests per host.
    idle: usize,
    live: Mutex<Option<Arc<Live>>>,
}

struct Live {
    pid: u32,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    /// Nothing is built (no runtime, no client, no socket) until the first request.
    pub(crate) fn new(tls: rustls::ClientConfig, idle: usize) -> Http {
        Http {
            tls,
            idle,
            live: Mutex::new(None),
        }
    }

    /// Runs `f` with the client to completion on this process's runtime. Concurrent callers
    /// take turns driving it (tokio's current-thread `block_on`).
    pub(crate) fn run<F: Future>(&self, f: impl FnOnce(reqwest::Client) -> F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            // tokio would panic: a blocking call cannot wait inside another runtime's task.
            return Err(Error::InvalidArgument(
                "a blocking MLflow call was made from inside an async runtime; call it from a plain thread".into(),
            ));
        }
        let live = self.live()?;
        let client = live.client.clone();
        Ok(live.runtime.block_on(f(client)))
    }

    fn live(&self) -> Result<Arc<Live>> {
        let pid = std::process::id();
        let mut slot = self.live.lock();
        match slot.take() {
            Some(live) if live.pid == pid => {
                *slot = Some(live.clone());
                return Ok(live);
            }
            // Inherited through fork: see the module doc.
            Some(inherited) => std::mem::forget(inherited),
            None => {}
        }
        let live = Arc::new(self.build(pid)?);
        *slot = Some(live.clone());
        Ok(live)
    }

    fn build(&self, pid: u32) -> Result<Live> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot start the HTTP runtime: {e}")))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("ferrotrace/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(self.tls.clone())
            .pool_max_idle_per_host(self.idle)
            .build()
            .map_err(|e| {
                Error::InvalidArgument(format!("cannot build the HTTP client: {}", describe(&e)))
            })?;
        Ok(Live {
            pid,
            runtime,
            client,
        })
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        if let Some(live) = self.live.get_mut().take() {
            if live.pid != std::process::id() {
                std::mem::forget(live);
            }
        }
    }
}

/// An answer: status, `Retry-After`, whether it is protobuf, and the body (at most `limit`
/// bytes are read; a longer body is an error).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) protobuf: bool,
    pub(crate) body: Vec<u8>,
}

/// Sends `request` and reads the answer (up to `limit` bytes of body). `Err` carries the
/// failure and whether TLS failed.
pub(crate) async fn fetch(
    request: reqwest::RequestBuilder,
    limit: usize,
) -> std::result::Result<Answer, Failure> {
    let mut resp = request.send().await.map_err(Failure::from)?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let retry_after =
        header("retry-after").and_then(crate::export::mlflow::retry::parse_retry_after);
    let protobuf = header("content-type").is_some_and(|ct| ct.contains("protobuf"));
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(Failure {
                        timeout: false,
                        tls: false,
                        message: format!(
                            "reading the response failed: the body is larger than {limit} bytes"
                        ),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                let mut f = Failure::from(e);
                f.message = format!("reading the response failed: {}", f.message);
                return Err(f);
            }
        }
    }
    Ok(Answer {
        status,
        retry_after,
        protobuf,
        body,
    })
}

/// Why a request got no answer.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) timeout: bool,
    pub(crate) tls: bool,
    pub(crate) message: String,
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Failure {
        // The URL may carry a query or credentials: messages never show it.
        let e = e.without_url();
        Failure {
            timeout: e.is_timeout(),
            tls: is_tls(&e),
            message: describe(&e),
        }
    }
}

/// Whether a rustls error is among the causes of `e`.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<rustls::Error>() {
            return true;
        }
        // An I/O error's `source` skips the error it wraps (rustls's, in tokio-rustls' errors,
        // itself wrapped again by the connector): look inside it.
        cause = match c.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => c.source(),
        };
    }
    false
}

/// `e` and its causes (reqwest's own message only says which step failed).
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}
