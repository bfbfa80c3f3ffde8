//! One `Config`, built from environment variables (MLflow's names where MLflow has one) and from
//! code. Values given in code are validated strictly (an error names the setting); values from
//! the environment that cannot be used give a warning naming the variable and fall back.

mod uri;
pub use uri::{classify_tracking_uri, TrackingTarget};
mod delivery;
mod init_env;
pub use init_env::INIT_ENV;
pub(crate) mod http;
mod otlp;
mod process;

use std::path::PathBuf;
use std::time::Duration;

pub use delivery::{DeliverySettings, DEFAULT_LOCAL_MAX_BYTES};
pub use http::{split_userinfo, HttpRetry, HttpSettings, Secret, DEFAULT_HTTP_TIMEOUT};
pub use otlp::{
    validate_endpoint as validate_otlp_endpoint, OtlpCompression, OtlpMode, OtlpSemconv,
    OtlpSettings, OtlpUpdate, DEFAULT_OTLP_TIMEOUT,
};
pub use process::{
    check_pattern, parse_patterns, ProcessSettings, ProcessUpdate, RedactSettings, TailSampling,
    UserPattern,
};

use crate::error::{Error, Result};

/// Where sealed traces go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The embedded default: append-only segments in a local folder.
    Local(PathBuf),
    /// Kept in memory for tests (see [`crate::export::MemoryExporter`]).
    Memory,
    /// An MLflow tracking server at this `http(s)://` base URI.
    Mlflow(String),
}

/// Settings of one tracer. `Debug` shows no credentials (see [`Secret`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `MLFLOW_TRACKING_URI`; `None` means the local store. Credentials written into the URI
    /// (`https://user:pw@host`) are moved to [`Config::http`] when it is set.
    pub tracking_uri: Option<String>,
    /// `MLFLOW_EXPERIMENT_ID`: where traces go on an MLflow server (before `experiment_name`).
    pub experiment_id: Option<String>,
    /// `MLFLOW_EXPERIMENT_NAME`: resolved to an id on the server (created if missing). Without
    /// either, traces go to MLflow's Default experiment `"0"`.
    pub experiment_name: Option<String>,
    /// Credentials, TLS and timeout for the MLflow server (MLflow's variable names).
    pub http: HttpSettings,
    /// `telemetry.sdk.language` of exported spans (`python`, `nodejs`; `rust` by default). Set
    /// by the binding; not read from the environment.
    pub sdk_language: String,
    /// `FERROTRACE_LOCAL_DIR`, default `./ferrotrace-traces`.
    pub local_dir: PathBuf,
    /// `FERROTRACE_DESTINATION=memory` keeps traces in memory (tests).
    pub memory: bool,
    /// `MLFLOW_TRACE_SAMPLING_RATIO`, 0.0..=1.0.
    pub sampling_ratio: f64,
    /// `FERROTRACE_MAX_QUEUE_TRACES`: traces waiting for the export worker.
    pub max_queue_traces: usize,
    /// `FERROTRACE_MAX_BATCH_TRACES`: traces per export call.
    pub max_batch_traces: usize,
    /// `MLFLOW_TRACE_BUFFER_MAX_SIZE`: recently exported traces kept for `get_trace`.
    pub trace_buffer_max: usize,
    /// `MLFLOW_TRACE_TIMEOUT_SECONDS`: a trace whose root is still open this long is exported
    /// with state ERROR. `None`: no timeout (MLflow's default).
    pub trace_timeout: Option<Duration>,
    /// `MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS`: how often open traces are checked.
    pub trace_timeout_check_interval: Duration,
    /// `MLFLOW_TRACE_BUFFER_TTL_SECONDS`: how long a trace may stay open in this process before
    /// it is abandoned, as MLflow abandons it (not exported; counted as `trace_buffer_ttl`).
    /// Not applied while `trace_timeout` is set (MLflow's timeout replaces it). `None`: no limit
    /// (MLflow's default is 3600 s; ferrotrace keeps a long trace unless told otherwise).
    pub trace_buffer_ttl: Option<Duration>,
    /// `FERROTRACE_EXIT_TIMEOUT` (seconds): how long the exit hook may flush.
    pub exit_timeout: Duration,
    /// Export to an OpenTelemetry collector (`OTEL_EXPORTER_OTLP_*`), instead of or besides the
    /// destination above.
    pub otlp: OtlpSettings,
    /// Async/sync export, queue byte bound, retry budget, spill store.
    pub delivery: DeliverySettings,
    /// Tail sampling and redaction (`FERROTRACE_SAMPLING_KEEP_*`, `FERROTRACE_REDACT*`).
    pub process: ProcessSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tracking_uri: None,
            experiment_id: None,
            experiment_name: None,
            http: HttpSettings::default(),
            sdk_language: "rust".to_owned(),
            local_dir: PathBuf::from("ferrotrace-traces"),
            memory: false,
            sampling_ratio: 1.0,
            max_queue_traces: 10_000,
            max_batch_traces: 512,
            trace_buffer_max: 1000,
            trace_timeout: None,
            trace_timeout_check_interval: Duration::from_secs(1),
            trace_buffer_ttl: None,
            exit_timeout: Duration::from_secs(5),
            otlp: OtlpSettings::default(),
            delivery: DeliverySettings::default(),
            process: ProcessSettings::default(),
        }
    }
}

/// Tracing settings of MLflow's SDK that ferrotrace cannot honour: the variable, the values
/// that ask for what ferrotrace does anyway (no warning), and why. Any other value set gets a
/// warning naming the variable, never silence.
const UNHONOURED: &[(&str, &[&str], &str)] = &[
    ("MLFLOW_TRACE_EXTRACT_ATTACHMENTS", &["false", "0"], "base64 data (images, audio) in span values is kept in the values, not extracted into trace attachments"),
    ("MLFLOW_TRACE_MAX_ATTACHMENT_SIZE", &[], "base64 data (images, audio) in span values is kept in the values, not extracted into trace attachments"),
    ("MLFLOW_TRACE_PROPAGATE_TO_OTEL_CONTEXT", &["false", "0"], "ferrotrace spans are not placed in the OpenTelemetry context of the process"),
    ("MLFLOW_USE_DEFAULT_TRACER_PROVIDER", &["true", "1"], "ferrotrace does not use an OpenTelemetry tracer provider, so it never shares the global one"),
    ("MLFLOW_USE_BATCH_SPAN_PROCESSOR", &["true", "1"], "whole traces are always exported in batches by a background worker"),
    ("MLFLOW_ASYNC_TRACE_LOGGING_MAX_SPAN_BATCH_SIZE", &[], "whole traces are exported in batches of FERROTRACE_MAX_BATCH_TRACES traces, as soon as the worker is free"),
    ("MLFLOW_ASYNC_TRACE_LOGGING_MAX_INTERVAL_MILLIS", &[], "whole traces are exported in batches of FERROTRACE_MAX_BATCH_TRACES traces, as soon as the worker is free"),
    ("MLFLOW_TRACKING_AUTH", &[], "authentication plugins are not supported: requests carry MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN only"),
    ("MLFLOW_TRACKING_AWS_SIGV4", &["false", "0"], "AWS SigV4 request signing is not supported: requests carry MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN only"),
];

impl Config {
    /// Reads the environment. Unusable values are reported in the returned warnings and replaced
    /// by their defaults, so a typo in a deployment never stops the application.
    pub fn from_env() -> (Config, Vec<String>) {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`Config::from_env`], reading variables through `get` (testable without touching the
    /// process environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> (Config, Vec<String>) {
        let mut c = Config::default();
        let mut warnings = Vec::new();
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        c.http = HttpSettings::from_lookup(&get, &mut warnings);
        c.otlp = OtlpSettings::from_lookup(&get, &mut warnings);
        c.delivery = DeliverySettings::from_lookup(&get, &mut warnings);
        c.process = ProcessSettings::from_lookup(&get, &mut warnings);
        if let Some(uri) = get("MLFLOW_TRACKING_URI") {
            match classify_tracking_uri(&uri, "MLFLOW_TRACKING_URI") {
                Ok(TrackingTarget::Server(u)) => c.set_tracking_uri(Some(u)),
                Ok(TrackingTarget::LocalDir(dir)) => c.local_dir = dir,
                Ok(TrackingTarget::Unsupported { warning }) => warnings.push(warning),
                Ok(TrackingTarget::Default) => {}
                Err(e) => warnings.push(format!("{e}; traces go to the local store instead")),
            }
        }
        c.experiment_id = get("MLFLOW_EXPERIMENT_ID");
        c.experiment_name = get("MLFLOW_EXPERIMENT_NAME");
        // MLflow's trace destination: an experiment id wins over the experiment settings; its
        // Databricks form (`<catalog>.<schema>`) cannot be honoured here.
        if let Some(dest) = get("MLFLOW_TRACING_DESTINATION") {
            if dest.contains('.') {
                warnings.push(format!(
                    "MLFLOW_TRACING_DESTINATION={dest:?} names a Databricks Unity Catalog location, which ferrotrace does not support; traces go to the configured experiment instead"
                ));
            } else {
                c.experiment_id = Some(dest);
            }
        }
        for (var, same, why) in UNHONOURED {
            if let Some(v) = get(var) {
                if !same.contains(&v.to_ascii_lowercase().as_str()) {
                    warnings.push(format!(
                        "{var}={v:?} is set, but ferrotrace cannot honour it: {why}"
                    ));
                }
            }
        }
        if let Some(dir) = get("FERROTRACE_LOCAL_DIR") {
            c.local_dir = PathBuf::from(dir);
        }
        if let Some(d) = get("FERROTRACE_DESTINATION") {
            match d.to_ascii_lowercase().as_str() {
                "memory" => c.memory = true,
                "local" | "default" => {}
                other => warnings.push(format!("invalid value for FERROTRACE_DESTINATION: {other:?} (use \"local\" or \"memory\")")),
            }
        }
        if let Some(r) = get("MLFLOW_TRACE_SAMPLING_RATIO") {
            match r.parse::<f64>().map_err(|_| ()).and_then(|v| validate_ratio(v, "").map_err(|_| ())) {
                Ok(v) => c.sampling_ratio = v,
                Err(()) => warnings.push(format!(
                    "invalid value for MLFLOW_TRACE_SAMPLING_RATIO: {r:?} (must be a number between 0 and 1); using 1.0"
                )),
            }
        }
        let mut count = |var: &str, slot: &mut usize| {
            if let Some(v) = get(var) {
                match v.parse::<usize>() {
                    Ok(n) if n > 0 => *slot = n,
                    _ => warnings.push(format!(
                        "invalid value for {var}: {v:?} (must be a positive integer); using {slot}"
                    )),
                }
            }
        };
        // MLflow's name first: FERROTRACE_MAX_QUEUE_TRACES, when set too, wins.
        count(
            "MLFLOW_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE",
            &mut c.max_queue_traces,
        );
        count("FERROTRACE_MAX_QUEUE_TRACES", &mut c.max_queue_traces);
        count("FERROTRACE_MAX_BATCH_TRACES", &mut c.max_batch_traces);
        count("MLFLOW_TRACE_BUFFER_MAX_SIZE", &mut c.trace_buffer_max);
        if let Some(v) = get("MLFLOW_TRACE_TIMEOUT_SECONDS") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => c.trace_timeout = Some(crate::config::duration_secs(s)),
                _ => warnings.push(format!("invalid value for MLFLOW_TRACE_TIMEOUT_SECONDS: {v:?} (must be seconds > 0); no timeout")),
            }
        }
        if let Some(v) = get("MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => c.trace_timeout_check_interval = crate::config::duration_secs(s),
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS: {v:?} (must be seconds > 0); using 1"
                )),
            }
        }
        if let Some(v) = get("MLFLOW_TRACE_BUFFER_TTL_SECONDS") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => c.trace_buffer_ttl = Some(crate::config::duration_secs(s)),
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_TRACE_BUFFER_TTL_SECONDS: {v:?} (must be seconds > 0); open traces are kept however long they stay open"
                )),
            }
        }
        if let Some(v) = get("FERROTRACE_EXIT_TIMEOUT") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => c.exit_timeout = crate::config::duration_secs(s),
                _ => warnings.push(format!(
                    "invalid value for FERROTRACE_EXIT_TIMEOUT: {v:?} (must be seconds >= 0); using {}",
                    c.exit_timeout.as_secs_f64()
                )),
            }
        }
        (c, warnings)
    }

    /// Sets the tracking URI, moving credentials written into it to [`Config::http`] (settings
    /// given explicitly win, as in MLflow).
    fn set_tracking_uri(&mut self, uri: Option<String>) {
        self.tracking_uri = uri.map(|u| {
            let (bare, creds) = split_userinfo(&u);
            if let Some((user, password)) = creds {
                if self.http.username.is_none() && self.http.password.is_none() {
                    self.http.username = Some(user);
                    self.http.password = password;
                }
            }
            bare
        });
    }

    /// Where traces go under this configuration.
    pub fn destination(&self) -> Destination {
        if self.memory {
            Destination::Memory
        } else if let Some(uri) = &self.tracking_uri {
            Destination::Mlflow(uri.clone())
        } else {
            Destination::Local(self.local_dir.clone())
        }
    }
}

/// How a binding spells setting names in its API, so errors name them as the user wrote them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameStyle {
    /// Python: `sampling_ratio`.
    Snake,
    /// JavaScript: `samplingRatio`.
    Camel,
}

impl NameStyle {
    /// `snake` in this style: `local_dir` stays, or becomes `localDir`.
    pub fn name(self, snake: &str) -> String {
        match self {
            NameStyle::Snake => snake.to_owned(),
            NameStyle::Camel => {
                let mut out = String::with_capacity(snake.len());
                let mut upper = false;
                for c in snake.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.push(c.to_ascii_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// Settings given in code (Python `configure(...)`, Node `configure({...})`). Every binding
/// fills this in and [`Config::apply`] validates it once for all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigUpdate {
    /// `"local"` or `"memory"`.
    pub destination: Option<String>,
    pub local_dir: Option<PathBuf>,
    pub tracking_uri: Option<String>,
    pub sampling_ratio: Option<f64>,
    /// Replaces `experiment_name` too (the last experiment set wins, as in MLflow).
    pub experiment_id: Option<String>,
    /// Replaces `experiment_id` too. Give one of the two, not both.
    pub experiment_name: Option<String>,
    /// Seconds.
    pub exit_timeout: Option<f64>,
    /// Basic auth user (`MLFLOW_TRACKING_USERNAME`); given in code, e.g. Node's `init`.
    pub username: Option<Secret>,
    /// Basic auth password (`MLFLOW_TRACKING_PASSWORD`).
    pub password: Option<Secret>,
    /// Bearer token (`MLFLOW_TRACKING_TOKEN`).
    pub token: Option<Secret>,
    /// The binding's language, reported to the server as `telemetry.sdk.language`.
    pub sdk_language: Option<String>,
    /// The OTLP collector settings given in code.
    pub otlp: OtlpUpdate,
    /// Tail sampling and redaction.
    pub process: ProcessUpdate,
}

impl Config {
    /// Applies settings given in code. The first invalid value is an error naming the setting
    /// in `style`, and then nothing is changed.
    ///
    /// ```
    /// use ferrotrace_core::config::{Config, ConfigUpdate, NameStyle};
    /// let mut c = Config::default();
    /// let bad = ConfigUpdate { sampling_ratio: Some(2.0), ..Default::default() };
    /// let err = c.apply(bad, NameStyle::Camel).unwrap_err();
    /// assert!(err.to_string().contains("samplingRatio"));
    /// ```
    pub fn apply(&mut self, u: ConfigUpdate, style: NameStyle) -> Result<()> {
        let mut next = self.clone();
        if let Some(d) = u.destination {
            next.memory = match d.to_ascii_lowercase().as_str() {
                "memory" => true,
                "local" => false,
                other => {
                    return Err(Error::config(
                        style.name("destination"),
                        format!("{other:?} (use \"local\" or \"memory\")"),
                    ))
                }
            };
        }
        if let Some(dir) = u.local_dir {
            next.local_dir = dir;
        }
        if let Some(uri) = u.tracking_uri {
            match classify_tracking_uri(&uri, &style.name("tracking_uri"))? {
                TrackingTarget::Server(u) => next.set_tracking_uri(Some(u)),
                TrackingTarget::Default => next.set_tracking_uri(None),
                TrackingTarget::LocalDir(dir) => {
                    next.set_tracking_uri(None);
                    next.local_dir = dir;
                }
                TrackingTarget::Unsupported { warning } => {
                    next.set_tracking_uri(None);
                    crate::diag::warn("config", warning);
                }
            }
        }
        if let Some(r) = u.sampling_ratio {
            next.sampling_ratio = validate_ratio(r, &style.name("sampling_ratio"))?;
        }
        if u.experiment_id.is_some() && u.experiment_name.is_some() {
            return Err(Error::config(
                style.name("experiment_name"),
                format!(
                    "give {} or {}, not both",
                    style.name("experiment_id"),
                    style.name("experiment_name")
                ),
            ));
        }
        for (value, setting) in [
            (&u.experiment_id, "experiment_id"),
            (&u.experiment_name, "experiment_name"),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::config(style.name(setting), "must not be empty"));
            }
        }
        if let Some(e) = u.experiment_id {
            next.experiment_id = Some(e.trim().to_owned());
            next.experiment_name = None;
        }
        if let Some(n) = u.experiment_name {
            next.experiment_name = Some(n);
            next.experiment_id = None;
        }
        if let Some(t) = u.exit_timeout {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::config(
                    style.name("exit_timeout"),
                    format!("{t} (must be seconds >= 0)"),
                ));
            }
            next.exit_timeout = crate::config::duration_secs(t);
        }
        for (value, slot) in [
            (u.username, &mut next.http.username),
            (u.password, &mut next.http.password),
            (u.token, &mut next.http.token),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
        if let Some(lang) = u.sdk_language {
            next.sdk_language = lang;
        }
        next.otlp.apply(u.otlp, style)?;
        next.process.apply(u.process, style)?;
        *self = next;
        Ok(())
    }
}

/// Checks a tracking URI. `None` (empty) selects the local store.
///
/// ```
/// use ferrotrace_core::config::validate_tracking_uri;
/// assert!(validate_tracking_uri("http://127.0.0.1:5000/", "uri").is_ok());
/// let err = validate_tracking_uri("ftp://x", "MLFLOW_TRACKING_URI").unwrap_err();
/// assert!(err.to_string().contains("MLFLOW_TRACKING_URI"));
/// ```
pub fn validate_tracking_uri(uri: &str, setting: &str) -> Result<Option<String>> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Ok(None);
    }
    let lower = uri.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(Some(uri.trim_end_matches('/').to_owned())),
        Some(_) => Err(Error::config(setting, format!("{uri:?} has no host"))),
        None => Err(Error::config(
            setting,
            format!("{uri:?} is not supported: use an http:// or https:// MLflow server, or leave it unset for the local store"),
        )),
    }
}

/// Seconds from a setting as a `Duration`. `Duration::from_secs_f64` panics past ~5.8e11 years,
/// and `Instant + d` overflows long before: a value like `1e200` is capped at a century (found
/// by the config fuzz target); NaN and negatives are zero (callers refuse them first).
pub(crate) fn duration_secs(s: f64) -> Duration {
    const CENTURY_SECS: f64 = 100.0 * 365.0 * 86_400.0;
    if s.is_nan() || s <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(s.min(CENTURY_SECS))
}

/// Checks a sampling ratio.
pub fn validate_ratio(ratio: f64, setting: &str) -> Result<f64> {
    if ratio.is_finite() && (0.0..=1.0).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(Error::config(
            setting,
            format!("{ratio} is not between 0.0 and 1.0"),
        ))
    }
}

#[cfg(test)]
mod tests;
