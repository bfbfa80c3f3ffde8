//! The MLflow destination: per batch, one StartTraceV3 per trace with its metadata, tags and
//! previews, then the spans of all its traces as OTLP to `/v1/traces` (one request per
//! experiment, split when large).
//!
//! MLflow's SDK sends the spans first. We send the trace info first because the server stores it
//! faster that way. A StartTraceV3 for a trace that `log_spans` has already created takes the
//! server's conflict path (rollback, re-read, merge row by row). Measured on MLflow 3.17.2 with
//! SQLite, that path stores about half as many traces per second as a plain insert does.
//! Meanwhile `log_spans` on an existing, finalized trace only adds rows. The trace stored is the
//! same either way.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Instant;

use super::client::MlflowClient;
use super::otlp::{encode_request, gzip, OtlpOptions};
use super::retry::RetryPolicy;
use super::trace_info::{write_body, START_TRACE_PATH};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::{Capabilities, Deadline, ExportCounts, Exporter, SpillKind};
use crate::model::{SharedMetadata, Trace};

/// Whether `trace` is one service's part of a distributed trace continued from another process
/// (its root has a remote parent). MLflow's SDK logs only the spans of such a part, never its
/// trace info: the trace info is the originating service's (or, if it logs none, what the server
/// makes of the spans). The same here, so the stored trace is the one MLflow's SDK gives.
fn continues_a_remote_trace(trace: &Trace) -> bool {
    trace.root().is_some_and(|r| r.parent_id.is_some())
}

/// MLflow's Default experiment, used when no experiment is configured.
pub const DEFAULT_EXPERIMENT_ID: &str = "0";
/// An OTLP request holds at most about this many bytes of spans (before gzip); a larger batch
/// is split between traces (a single larger trace still goes whole).
pub const MAX_OTLP_BYTES: usize = 4 * 1024 * 1024;

/// Exports to an MLflow tracking server. Transport errors, 5xx, 408 and 429 are retried with
/// backoff (bounded by its [`RetryPolicy`]); after a batch has failed that way, the next
/// batches get one attempt each until one gets through, so an unreachable server does not hold
/// the worker for the whole budget per batch. Its requests run on the runtime of its client,
/// built by the first export (on the export thread).
///
/// ```no_run
/// use ferrotrace_core::config::Config;
/// use ferrotrace_core::export::{Exporter, mlflow::MlflowExporter};
/// let config = Config { tracking_uri: Some("http://127.0.0.1:5000".into()), ..Config::default() };
/// let mut exporter = MlflowExporter::new(&config).unwrap();
/// exporter.export(&[], &Default::default()).unwrap();
/// ```
pub struct MlflowExporter {
    client: MlflowClient,
    experiment_id: Option<String>,
    experiment_name: Option<String>,
    otlp: OtlpOptions,
    policy: RetryPolicy,
    /// Set after a batch failed on a retryable error; cleared by the next success. (Cells: the
    /// batch's futures share them on one thread.)
    degraded: Cell<bool>,
    counts: ExportCounts,
    /// Set while flushing and at exit: no request or retry goes past it.
    deadline: Deadline,
    /// StartTraceV3 requests in flight at once (`MLFLOW_ASYNC_TRACE_LOGGING_MAX_WORKERS`). The
    /// server answers them from a thread pool; one at a time leaves it idle between requests.
    info_concurrency: usize,
}

impl MlflowExporter {
    /// The exporter for `config`'s tracking URI. Fails without an `http(s)` tracking URI or
    /// with an unreadable CA bundle.
    pub fn new(config: &Config) -> Result<MlflowExporter> {
        let client = MlflowClient::from_config(config)?.ok_or_else(|| {
            Error::InvalidArgument(
                "no MLflow tracking URI (http:// or https://) is configured".into(),
            )
        })?;
        Ok(MlflowExporter::with_client(client, config))
    }

    /// The exporter sending through `client`, with `config`'s experiment and language.
    pub fn with_client(client: MlflowClient, config: &Config) -> MlflowExporter {
        MlflowExporter {
            client: client.with_retry(RetryPolicy::NONE),
            experiment_id: config.experiment_id.clone(),
            experiment_name: config.experiment_name.clone(),
            otlp: OtlpOptions::mlflow(&config.sdk_language),
            // Retried for the whole budget (`MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT`), or as
            // many times as `MLFLOW_HTTP_REQUEST_MAX_RETRIES` says, then the worker spills the
            // batch (MLflow's SDK drops it) and replays it when the server answers again.
            policy: RetryPolicy {
                max_attempts: u32::MAX,
                max_elapsed: config.delivery.retry_timeout,
                ..RetryPolicy::default()
            }
            .with_mlflow_settings(&config.http.retry),
            degraded: Cell::new(false),
            counts: ExportCounts::default(),
            deadline: Deadline::default(),
            info_concurrency: config.delivery.max_workers.max(1),
        }
    }

    /// Replaces the retry policy (tests: short waits).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> MlflowExporter {
        self.policy = policy;
        self
    }

    /// The policy of the next request: one attempt when degraded.
    fn policy(&self) -> RetryPolicy {
        if self.degraded.get() {
            RetryPolicy::NONE
        } else {
            self.policy
        }
    }

    fn count_retry(&self) {
        self.counts.retried();
    }

    /// Runs `op` under the retry policy, counting retries.
    async fn retrying<T, F: Future<Output = Result<T>>>(
        &self,
        op: impl FnMut(Option<Instant>) -> F,
    ) -> Result<T> {
        let out = self
            .policy()
            .run(&self.deadline, op, |_, _| self.count_retry())
            .await;
        if let Err(e) = &out {
            if e.is_retryable() {
                self.degraded.set(true);
            }
        }
        out
    }

    /// The experiment of traces that do not name their own.
    async fn default_experiment(&self, c: &reqwest::Client) -> Result<String> {
        if let Some(id) = &self.experiment_id {
            return Ok(id.clone());
        }
        let Some(name) = &self.experiment_name else {
            return Ok(DEFAULT_EXPERIMENT_ID.to_owned());
        };
        self.retrying(|d| {
            let d = Deadline::at(d);
            async move {
                self.client
                    .resolve_experiment_cached_async(c, name, &d)
                    .await
            }
        })
        .await
    }

    async fn export_batch(
        &self,
        c: &reqwest::Client,
        batch: &[Trace],
        shared: &SharedMetadata,
    ) -> Result<()> {
        // Group by experiment, keeping the batch's order within each group.
        let mut groups: Vec<(String, Vec<&Trace>)> = Vec::new();
        let mut default: Option<String> = None;
        for trace in batch {
            let exp = match &trace.info.experiment_id {
                Some(id) => id.clone(),
                None => match &default {
                    Some(d) => d.clone(),
                    None => default.insert(self.default_experiment(c).await?).clone(),
                },
            };
            match groups.iter_mut().find(|(e, _)| *e == exp) {
                Some((_, g)) => g.push(trace),
                None => groups.push((exp, vec![trace])),
            }
        }
        for (exp, traces) in &groups {
            let result = self.export_group(c, exp, traces, shared).await;
            if let Err(Error::NotFound {
                code: Some(code), ..
            }) = &result
            {
                // The experiment was deleted since its name was resolved: resolve it again next time.
                if code == "RESOURCE_DOES_NOT_EXIST" && default.as_deref() == Some(exp.as_str()) {
                    if let Some(name) = &self.experiment_name {
                        self.client.forget_experiment(name);
                    }
                }
            }
            result?;
        }
        self.degraded.set(false);
        Ok(())
    }

    async fn export_group(
        &self,
        c: &reqwest::Client,
        experiment_id: &str,
        traces: &[&Trace],
        shared: &SharedMetadata,
    ) -> Result<()> {
        // Infos first (see the module doc). If the spans then fail, the batch is retried or
        // spilled whole. Re-sending the infos is a harmless upsert.
        self.send_trace_infos(c, experiment_id, traces, shared)
            .await?;
        for chunk in otlp_chunks(traces) {
            let body = gzip(&encode_request(chunk.iter().copied(), &self.otlp));
            self.retrying(|d| self.client.post_otlp_once(c, experiment_id, &body, d))
                .await
                .map_err(route_hint)?;
        }
        Ok(())
    }

    /// One StartTraceV3 per trace, `info_concurrency` at a time (futures on the export thread's
    /// runtime). A retryable, auth or TLS failure stops the batch (the server is gone or refuses
    /// us); a refusal of one trace's info only warns, since its spans are still sent and they
    /// make the trace visible.
    async fn send_trace_infos(
        &self,
        c: &reqwest::Client,
        experiment_id: &str,
        traces: &[&Trace],
        shared: &SharedMetadata,
    ) -> Result<()> {
        let policy = self.policy();
        let (next, stop) = (Cell::new(0usize), Cell::new(false));
        let fatal: RefCell<Option<Error>> = RefCell::new(None);
        let rejected: RefCell<(usize, Option<Error>)> = RefCell::new((0, None));
        let (next, stop, fatal, rejected) = (&next, &stop, &fatal, &rejected);
        let work = || async move {
            // One body buffer per sender, reused from trace to trace.
            let mut body = Vec::new();
            while !stop.get() {
                let i = next.get();
                next.set(i + 1);
                let Some(trace) = traces.get(i) else {
                    break;
                };
                if continues_a_remote_trace(trace) {
                    continue;
                }
                body.clear();
                write_body(&mut body, trace, shared, experiment_id);
                let sent = policy
                    .run(
                        &self.deadline,
                        |d| {
                            self.client
                                .post_json_text_once(c, START_TRACE_PATH, &body, d)
                        },
                        |_, _| self.count_retry(),
                    )
                    .await;
                match sent {
                    Ok(_) => {}
                    // A 404 is the experiment (or the route) missing: true of every trace.
                    Err(e)
                        if e.is_retryable()
                            || matches!(
                                e,
                                Error::Auth { .. } | Error::Tls { .. } | Error::NotFound { .. }
                            ) =>
                    {
                        stop.set(true);
                        fatal.borrow_mut().get_or_insert(e);
                    }
                    Err(e) => {
                        let mut r = rejected.borrow_mut();
                        r.0 += 1;
                        r.1.get_or_insert(e);
                    }
                }
            }
        };
        let senders = self.info_concurrency.min(traces.len()).max(1);
        futures_util::future::join_all((0..senders).map(|_| work())).await;
        if let Some(e) = fatal.take() {
            if e.is_retryable() {
                self.degraded.set(true);
            }
            return Err(route_hint(e));
        }
        if let (n, Some(e)) = rejected.take() {
            crate::diag::warn(
                "mlflow_trace_info",
                format!("the MLflow server refused the trace info of {n} trace(s) (their spans are still sent): {e}"),
            );
        }
        Ok(())
    }
}

/// A 404 without MLflow's error code is the route itself missing: an MLflow server older than
/// 3.4 (no OTLP endpoint; before 3.0 no StartTraceV3 either), not supported here.
fn route_hint(e: Error) -> Error {
    match e {
        Error::NotFound {
            request,
            code: None,
            message,
        } => Error::NotFound {
            request,
            code: None,
            message: format!(
                "{message} (the server lacks MLflow 3's trace endpoints: MLflow 3.4 or later is needed)"
            ),
        },
        other => other,
    }
}

/// `traces` cut into runs whose OTLP requests stay near `MAX_OTLP_BYTES` (servers and collectors
/// cap request sizes); a trace larger than that goes alone.
pub(crate) fn otlp_chunks<'a, 't>(
    traces: &'a [&'t Trace],
) -> impl Iterator<Item = &'a [&'t Trace]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= traces.len() {
            return None;
        }
        let mut end = start;
        let mut size = 0;
        while end < traces.len() && (end == start || size < MAX_OTLP_BYTES) {
            size += approx_size(traces[end]);
            end += 1;
        }
        let chunk = &traces[start..end];
        start = end;
        Some(chunk)
    })
}

/// A cheap upper-bound-ish estimate of a trace's OTLP size, to split batches.
fn approx_size(t: &Trace) -> usize {
    t.spans
        .iter()
        .map(|s| {
            let attrs: usize = s
                .attributes
                .iter()
                .map(|(k, v)| k.len() + v.as_str().len() + 8)
                .sum();
            let events: usize = s
                .events
                .iter()
                .flat_map(|e| e.attributes.iter())
                .map(|(k, v)| k.len() + v.as_str().len() + 8)
                .sum();
            120 + s.name.len() + attrs + events + 60
        })
        .sum()
}

impl Exporter for MlflowExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Credentials never reach the identity: `base_uri` has none.
            spill: SpillKind::Remote(format!(
                "mlflow {} experiment_id={} experiment_name={}",
                self.client.base_uri(),
                self.experiment_id.as_deref().unwrap_or(""),
                self.experiment_name.as_deref().unwrap_or("")
            )),
            writes_shared_metadata: true,
            counts: self.counts.clone(),
            ..Capabilities::new("mlflow")
        }
    }

    fn export(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let this = &*self;
        this.client
            .block_on(|c| async move { this.export_batch(&c, batch, shared).await })
    }

    fn deadline(&self) -> Deadline {
        self.deadline.clone()
    }
}

#[cfg(test)]
mod tests;
