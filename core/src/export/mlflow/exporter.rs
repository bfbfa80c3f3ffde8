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

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::client::MlflowClient;
use super::otlp::{encode_request, gzip, OtlpOptions};
use super::retry::RetryPolicy;
use super::trace_info::{write_body, START_TRACE_PATH};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::{Exporter, SpillKind};
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
/// the worker for the whole budget per batch.
///
/// ```no_run
/// use ferrotrace_core::config::Config;
/// use ferrotrace_core::export::{Exporter, mlflow::MlflowExporter};
/// let config = Config { tracking_uri: Some("http://127.0.0.1:5000".into()), ..Config::default() };
/// let mut exporter = MlflowExporter::new(&config).unwrap();
/// exporter.export(&[]).unwrap();
/// ```
pub struct MlflowExporter {
    client: MlflowClient,
    experiment_id: Option<String>,
    experiment_name: Option<String>,
    otlp: OtlpOptions,
    policy: RetryPolicy,
    /// Set after a batch failed on a retryable error; cleared by the next success.
    degraded: bool,
    retries: u64,
    /// Set while flushing at exit: no request or retry goes past it.
    deadline: Option<Instant>,
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
            degraded: false,
            retries: 0,
            deadline: None,
            info_concurrency: config.delivery.max_workers.max(1),
        }
    }

    /// Replaces the retry policy (tests: short waits).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> MlflowExporter {
        self.policy = policy;
        self
    }

    /// Runs `op` under the retry policy (one attempt when degraded), counting retries.
    fn retrying<T>(
        &mut self,
        mut op: impl FnMut(&MlflowClient, Option<Instant>) -> Result<T>,
    ) -> Result<T> {
        let policy = if self.degraded {
            RetryPolicy::NONE
        } else {
            self.policy
        };
        let client = &self.client;
        let mut retries = 0;
        let out = policy.run(self.deadline, |d| op(client, d), |_, _| retries += 1);
        self.retries += retries;
        if let Err(e) = &out {
            if e.is_retryable() {
                self.degraded = true;
            }
        }
        out
    }

    /// The experiment of traces that do not name their own.
    fn default_experiment(&mut self) -> Result<String> {
        if let Some(id) = &self.experiment_id {
            return Ok(id.clone());
        }
        let Some(name) = self.experiment_name.clone() else {
            return Ok(DEFAULT_EXPERIMENT_ID.to_owned());
        };
        self.retrying(|c, d| c.resolve_experiment_cached(&name, d))
    }

    fn export_group(
        &mut self,
        experiment_id: &str,
        traces: &[&Trace],
        shared: &SharedMetadata,
    ) -> Result<()> {
        // Infos first (see the module doc). If the spans then fail, the batch is retried or
        // spilled whole. Re-sending the infos is a harmless upsert.
        self.send_trace_infos(experiment_id, traces, shared)?;
        for chunk in otlp_chunks(traces) {
            let body = gzip(&encode_request(chunk.iter().copied(), &self.otlp));
            self.retrying(|c, d| c.post_otlp_until(experiment_id, &body, d))
                .map_err(route_hint)?;
        }
        Ok(())
    }

    /// One StartTraceV3 per trace, `info_concurrency` at a time. A retryable, auth or TLS failure
    /// stops the batch (the server is gone or refuses us); a refusal of one trace's info only
    /// warns, since its spans are still sent and they make the trace visible.
    fn send_trace_infos(
        &mut self,
        experiment_id: &str,
        traces: &[&Trace],
        shared: &SharedMetadata,
    ) -> Result<()> {
        let policy = if self.degraded {
            RetryPolicy::NONE
        } else {
            self.policy
        };
        let client = &self.client;
        let deadline = self.deadline;
        let (next, stop, retries) = (
            AtomicUsize::new(0),
            AtomicBool::new(false),
            AtomicU64::new(0),
        );
        let fatal: Mutex<Option<Error>> = Mutex::new(None);
        let rejected: Mutex<(usize, Option<Error>)> = Mutex::new((0, None));
        let work = || {
            // One body buffer per sending thread, reused from trace to trace.
            let mut body = Vec::new();
            while !stop.load(Relaxed) {
                let Some(trace) = traces.get(next.fetch_add(1, Relaxed)) else {
                    break;
                };
                if continues_a_remote_trace(trace) {
                    continue;
                }
                body.clear();
                write_body(&mut body, trace, shared, experiment_id);
                let sent = policy.run(
                    deadline,
                    |d| client.post_json_text(START_TRACE_PATH, &body, d),
                    |_, _| {
                        retries.fetch_add(1, Relaxed);
                    },
                );
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
                        stop.store(true, Relaxed);
                        fatal.lock().get_or_insert(e);
                    }
                    Err(e) => {
                        let mut r = rejected.lock();
                        r.0 += 1;
                        r.1.get_or_insert(e);
                    }
                }
            }
        };
        let threads = self.info_concurrency.min(traces.len());
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
        self.retries += retries.into_inner();
        if let Some(e) = fatal.into_inner() {
            self.degraded |= e.is_retryable();
            return Err(route_hint(e));
        }
        if let (n, Some(e)) = rejected.into_inner() {
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
    fn name(&self) -> &'static str {
        "mlflow"
    }

    fn export(&mut self, batch: &[Trace]) -> Result<()> {
        self.export_with(batch, &SharedMetadata::new())
    }

    fn writes_shared_metadata(&self) -> bool {
        true
    }

    fn export_with(&mut self, batch: &[Trace], shared: &SharedMetadata) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Group by experiment, keeping the batch's order within each group.
        let mut groups: Vec<(String, Vec<&Trace>)> = Vec::new();
        let mut default: Option<String> = None;
        for trace in batch {
            let exp = match &trace.info.experiment_id {
                Some(id) => id.clone(),
                None => match &default {
                    Some(d) => d.clone(),
                    None => default.insert(self.default_experiment()?).clone(),
                },
            };
            match groups.iter_mut().find(|(e, _)| *e == exp) {
                Some((_, g)) => g.push(trace),
                None => groups.push((exp, vec![trace])),
            }
        }
        for (exp, traces) in &groups {
            let result = self.export_group(exp, traces, shared);
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
        self.degraded = false;
        Ok(())
    }

    fn spill_kind(&self) -> SpillKind {
        // Credentials never reach the identity: `base_uri` has none.
        SpillKind::Remote(format!(
            "mlflow {} experiment_id={} experiment_name={}",
            self.client.base_uri(),
            self.experiment_id.as_deref().unwrap_or(""),
            self.experiment_name.as_deref().unwrap_or("")
        ))
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn take_retries(&mut self) -> u64 {
        std::mem::take(&mut self.retries)
    }

    fn flush(&mut self, _timeout: Duration) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "exporter_tests.rs"]
mod tests;
