//! Export to any OpenTelemetry collector (the OTel Collector, Jaeger, Tempo, Phoenix, MLflow's
//! own `/v1/traces`): OTLP/HTTP with a protobuf body, optionally gzip'd, to the configured
//! endpoint with the configured headers ([`crate::config::OtlpSettings`]).
//!
//! To a collector, spans go as MLflow's own OTLP exporter sends them (`collector.rs`: JSON-string
//! attributes, kind INTERNAL, a named scope, a `service.name`), optionally mapped to the GenAI or
//! OpenInference conventions (`semconv.rs`). To MLflow's own `/v1/traces` (recognised by the
//! `x-mlflow-experiment-id` header its endpoint requires) they go typed, exactly as to the
//! MLflow server ([`crate::export::mlflow::otlp`]). Either way `mlflow.traceRequestId` is on
//! every span and, when OTLP replaces MLflow export, the user's trace tags ride on the root span
//! as `mlflow.traceTag.<key>` attributes, as MLflow's OTLP span processor does.

mod collector;
mod response;
mod semconv;

pub use collector::{build_request as collector_request, CollectorOptions, SCOPE_NAME};

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message as _;

use crate::config::{Config, OtlpCompression, OtlpMode, Secret};
use crate::error::{Error, Result};
use crate::export::http::{fetch, Http};
use crate::export::mlflow::exporter::otlp_chunks;
use crate::export::mlflow::{encode_request, gzip, OtlpOptions, RetryPolicy};
use crate::export::{Capabilities, Deadline, ExportCounts, Exporter, SpillKind};
use crate::model::keys::attr::TRACE_TAG_PREFIX;
use crate::model::{RawJson, SharedMetadata, SpanRecord, Trace};

/// The largest answer body read from a collector.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Exports to an OTLP/HTTP collector. Transport errors, 408, 429 and 5xx (but 501) are retried
/// with MLflow export's [`RetryPolicy`]; after a batch has failed that way, the next batches get
/// one attempt each until one gets through, so an unreachable collector does not hold the
/// worker for the whole budget per batch. Header values are never formatted into a message.
/// Requests run on the exporter's own runtime, built by the first export (on the export thread).
///
/// ```no_run
/// use ferrotrace_core::config::Config;
/// use ferrotrace_core::export::{Exporter, OtlpExporter};
/// let mut config = Config::default();
/// config.otlp.endpoint = Some("http://127.0.0.1:4318/v1/traces".into());
/// let mut exporter = OtlpExporter::new(&config).unwrap();
/// exporter.export(&[], &Default::default()).unwrap();
/// ```
pub struct OtlpExporter {
    http: Http,
    endpoint: String,
    /// The endpoint as messages show it: no credentials, no query.
    shown: String,
    headers: Vec<(String, Secret)>,
    compression: OtlpCompression,
    timeout: Duration,
    options: OtlpOptions,
    /// `Some`: a collector, sent MLflow's exporter form; `None`: MLflow's own endpoint, typed.
    collector: Option<CollectorOptions>,
    /// Put the user's trace tags on the root span (OTLP replaces MLflow export).
    trace_tags: bool,
    policy: RetryPolicy,
    degraded: Cell<bool>,
    counts: ExportCounts,
    /// Set while flushing and at exit: no retry may run past it.
    deadline: Deadline,
}

impl OtlpExporter {
    /// The exporter for `config.otlp`. Fails when no endpoint is configured or the CA bundle
    /// (`OTEL_EXPORTER_OTLP_CERTIFICATE`) cannot be read.
    pub fn new(config: &Config) -> Result<OtlpExporter> {
        let otlp = &config.otlp;
        let endpoint = otlp.endpoint.clone().ok_or_else(|| {
            Error::InvalidArgument(
                "no OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) is configured".into(),
            )
        })?;
        let tls = crate::export::http::tls::roots_tls(
            otlp.certificate.as_deref(),
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        )?;
        // One request at a time: one connection.
        let http = Http::new(tls, 1);
        let (bare, _) = crate::config::split_userinfo(&endpoint);
        let shown = bare.split(['?', '#']).next().unwrap_or_default().to_owned();
        let mut options = OtlpOptions::mlflow(&config.sdk_language);
        options.resource = otlp.resource(&config.sdk_language);
        let mlflow_endpoint = otlp
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(MLFLOW_EXPERIMENT_HEADER));
        // OpenTelemetry's SDK builds the resource MLflow sends from the variables (adding a
        // `service.instance.id`) only when one of them is set.
        let from_env = otlp.service_name.is_some() || !otlp.resource_attributes.is_empty();
        let collector = (!mlflow_endpoint).then(|| CollectorOptions {
            resource: with_service_name(options.resource.clone(), from_env),
            semconv: otlp.semconv,
        });
        Ok(OtlpExporter {
            http,
            endpoint,
            shown,
            headers: otlp.headers.clone(),
            compression: otlp.compression,
            timeout: otlp.timeout,
            options,
            collector,
            trace_tags: otlp.mode() != OtlpMode::Dual,
            // Retried for the whole budget (`MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT`), then the
            // worker spills the batch and replays it when the collector answers again.
            policy: RetryPolicy {
                max_attempts: u32::MAX,
                max_elapsed: config.delivery.retry_timeout,
                ..RetryPolicy::default()
            },
            degraded: Cell::new(false),
            deadline: Deadline::default(),
            counts: ExportCounts::default(),
        })
    }

    /// Replaces the retry policy (tests: short waits).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> OtlpExporter {
        self.policy = policy;
        self
    }

    /// The URL spans are sent to, without credentials or query.
    pub fn shown_endpoint(&self) -> &str {
        &self.shown
    }

    /// One POST of an encoded request, with retries (one attempt when degraded).
    async fn send(&self, c: &reqwest::Client, body: &[u8]) -> Result<()> {
        let policy = if self.degraded.get() {
            RetryPolicy::NONE
        } else {
            self.policy
        };
        let out = policy
            .run(
                &self.deadline,
                |d| self.post_once(c, body, d),
                |_, _| self.counts.retried(),
            )
            .await;
        if let Err(e) = &out {
            if e.is_retryable() {
                self.degraded.set(true);
            }
        }
        out
    }

    async fn post_once(
        &self,
        c: &reqwest::Client,
        body: &[u8],
        deadline: Option<Instant>,
    ) -> Result<()> {
        let timeout = match deadline.map(|d| d.saturating_duration_since(Instant::now())) {
            Some(left) if left.is_zero() => {
                return Err(self.failed(
                    None,
                    "the time allowed ran out before the request".into(),
                    None,
                ))
            }
            Some(left) => left.min(self.timeout),
            None => self.timeout,
        };
        let mut b = c
            .post(&self.endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/x-protobuf");
        if self.compression == OtlpCompression::Gzip {
            b = b.header("Content-Encoding", "gzip");
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.expose());
        }
        let answer = fetch(b.body(body.to_vec()), MAX_RESPONSE_BYTES)
            .await
            .map_err(|f| {
                let message = if f.timeout {
                    format!(
                        "no answer within {:.1} s (OTEL_EXPORTER_OTLP_TIMEOUT)",
                        timeout.as_secs_f64()
                    )
                } else {
                    f.message
                };
                self.failed(None, message, None)
            })?;
        let (status, bytes, protobuf) = (answer.status, &answer.body, answer.protobuf);
        if (200..300).contains(&status) {
            if protobuf {
                if let Some((rejected, message)) = response::partial_success(bytes) {
                    crate::diag::warn(
                        "otlp_partial_success",
                        format!(
                            "the OTLP collector at {} rejected {rejected} span(s): {message}",
                            self.shown
                        ),
                    );
                }
            }
            return Ok(());
        }
        let message = format!(
            "HTTP {status}: {}",
            response::error_message(bytes, protobuf)
        );
        Err(self.failed(Some(status), message, answer.retry_after))
    }

    fn failed(&self, status: Option<u16>, message: String, retry_after: Option<Duration>) -> Error {
        Error::Otlp {
            endpoint: self.shown.clone(),
            status,
            message,
            retry_after,
        }
    }

    fn body(&self, traces: &[&Trace]) -> Vec<u8> {
        let encoded = match &self.collector {
            Some(opts) => collector::build_request(traces.iter().copied(), opts).encode_to_vec(),
            None => encode_request(traces.iter().copied(), &self.options),
        };
        match self.compression {
            OtlpCompression::Gzip => gzip(&encoded),
            OtlpCompression::None => encoded,
        }
    }
}

/// The header MLflow's `/v1/traces` requires: its presence marks MLflow's own endpoint.
const MLFLOW_EXPERIMENT_HEADER: &str = "x-mlflow-experiment-id";

/// `resource` with a `service.name`: OpenTelemetry's `unknown_service:<process name>` when the
/// settings name none (the resource of every OTel SDK must have one); with `instance`, also a
/// `service.instance.id` (a random UUID per process) unless one is given.
fn with_service_name(mut resource: Vec<(String, String)>, instance: bool) -> Vec<(String, String)> {
    if instance && !resource.iter().any(|(k, _)| k == "service.instance.id") {
        static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let id = ID.get_or_init(|| {
            // UUID version 4: random but for the version and variant bits.
            let r = fastrand::u128(..) & !(0xf << 76) & !(0x3 << 62) | (0x4 << 76) | (0x2 << 62);
            let h = format!("{r:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )
        });
        resource.insert(0, ("service.instance.id".into(), id.clone()));
    }
    if !resource.iter().any(|(k, _)| k == "service.name") {
        let process = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let name = if process.is_empty() {
            "unknown_service".to_owned()
        } else {
            format!("unknown_service:{process}")
        };
        resource.insert(0, ("service.name".into(), name));
    }
    resource
}

/// The exporters for `config`: `primary` (the MLflow server, local store or memory) alone, the
/// OTLP collector alone (an endpoint is set: MLflow's behaviour), or both
/// (`MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT`).
pub fn destinations(
    config: &Config,
    primary: impl FnOnce() -> Box<dyn Exporter>,
) -> Vec<Box<dyn Exporter>> {
    let mode = config.otlp.mode();
    let otlp = match mode {
        OtlpMode::Off => None,
        _ => match OtlpExporter::new(config) {
            Ok(e) => Some(Box::new(e) as Box<dyn Exporter>),
            Err(e) => {
                crate::diag::warn("otlp_config", format!("cannot export over OTLP: {e}"));
                None
            }
        },
    };
    match (mode, otlp) {
        (OtlpMode::Replace, Some(otlp)) => vec![otlp],
        (OtlpMode::Dual, Some(otlp)) => vec![primary(), otlp],
        _ => vec![primary()],
    }
}

/// The trace with its user tags (not `mlflow.*`) as `mlflow.traceTag.<key>` string attributes
/// on the root span; `None` when it has no such tags.
fn with_tags_on_root(trace: &Trace) -> Option<Trace> {
    let tags: Vec<_> = trace
        .info
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with("mlflow."))
        .collect();
    if tags.is_empty() {
        return None;
    }
    let root_id = trace.root()?.span_id;
    let mut out = trace.clone();
    let root = out.spans.iter_mut().find(|s| s.span_id == root_id)?;
    let mut rec: SpanRecord = (**root).clone();
    for (k, v) in tags {
        rec.attributes
            .set(format!("{TRACE_TAG_PREFIX}{k}"), RawJson::string(v));
    }
    *root = Arc::new(rec);
    Some(out)
}

impl Exporter for OtlpExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // `shown` carries no credentials; headers (tokens) never reach the identity.
            spill: SpillKind::Remote(format!("otlp {}", self.shown)),
            // OTLP carries no trace metadata: nothing to add, no copy to make.
            writes_shared_metadata: true,
            counts: self.counts.clone(),
            ..Capabilities::new("otlp")
        }
    }

    fn deadline(&self) -> Deadline {
        self.deadline.clone()
    }

    fn export(&mut self, batch: &[Trace], _shared: &SharedMetadata) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let tagged: Vec<Option<Trace>> = if self.trace_tags {
            batch.iter().map(with_tags_on_root).collect()
        } else {
            Vec::new()
        };
        let traces: Vec<&Trace> = batch
            .iter()
            .enumerate()
            .map(|(i, t)| tagged.get(i).and_then(Option::as_ref).unwrap_or(t))
            .collect();
        let this = &*self;
        this.http.run(|c| async move {
            for chunk in otlp_chunks(&traces) {
                let body = this.body(chunk);
                this.send(&c, &body).await?;
            }
            this.degraded.set(false);
            Ok(())
        })?
    }
}

#[cfg(test)]
mod tests;
