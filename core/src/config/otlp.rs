//! Export to any OpenTelemetry collector over OTLP/HTTP (protobuf), configured with the standard
//! `OTEL_EXPORTER_OTLP_*` variables and MLflow's switches for it:
//!
//! * an endpoint set (and `MLFLOW_ENABLE_OTLP_EXPORTER` not false) sends traces to the collector
//!   **instead of** the MLflow server / local store, as MLflow does;
//! * `MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT=true` sends them to both.

use std::path::PathBuf;
use std::time::Duration;

use super::http::percent_decode;
#[cfg(test)]
use super::ConfigUpdate;
use super::{NameStyle, Secret};
use crate::error::{Error, Result};

/// The OTLP/HTTP path of traces, appended to `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub const OTLP_TRACES_SUFFIX: &str = "/v1/traces";
/// The OTel specification's default `OTEL_EXPORTER_OTLP_TIMEOUT` (10 s).
pub const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// Body compression of OTLP requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OtlpCompression {
    /// The OTel specification's default: no compression.
    #[default]
    None,
    Gzip,
}

impl OtlpCompression {
    /// `gzip` or `none` (any case).
    pub fn parse(s: &str) -> Option<OtlpCompression> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gzip" => Some(OtlpCompression::Gzip),
            "none" | "" => Some(OtlpCompression::None),
            _ => None,
        }
    }
}

/// How spans are written for a collector that is not MLflow's own `/v1/traces` (see
/// [`crate::export::otlp`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OtlpSemconv {
    /// What MLflow's OTLP exporter sends: `mlflow.*` attributes as JSON strings.
    #[default]
    Mlflow,
    /// MLflow's translation to the OpenTelemetry GenAI semantic conventions
    /// (`MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true`).
    GenAi,
    /// MLflow's form plus the OpenInference attributes (`openinference.span.kind`,
    /// `input.value`, `llm.token_count.*`, ...) that Arize Phoenix reads.
    OpenInference,
}

impl OtlpSemconv {
    /// `mlflow`, `genai` or `openinference` (any case).
    pub fn parse(s: &str) -> Option<OtlpSemconv> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mlflow" | "" => Some(OtlpSemconv::Mlflow),
            "genai" | "gen_ai" => Some(OtlpSemconv::GenAi),
            "openinference" => Some(OtlpSemconv::OpenInference),
            _ => None,
        }
    }

    /// The name [`OtlpSemconv::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            OtlpSemconv::Mlflow => "mlflow",
            OtlpSemconv::GenAi => "genai",
            OtlpSemconv::OpenInference => "openinference",
        }
    }
}

/// Settings of the OTLP collector destination. `Debug` shows header names, never their values.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpSettings {
    /// The full URL spans are POSTed to: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. `None`: no OTLP export.
    pub endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (or, when unset, `OTEL_EXPORTER_OTLP_HEADERS`):
    /// `k=v,k2=v2`, URL-decoded. Values are secrets (API keys).
    pub headers: Vec<(String, Secret)>,
    /// `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` / `OTEL_EXPORTER_OTLP_COMPRESSION`: `gzip` or
    /// `none` (the default, as the OTel specification says).
    pub compression: OtlpCompression,
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds, as the
    /// OTel specification says; default 10 s): the limit of one request.
    pub timeout: Duration,
    /// `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` / `OTEL_EXPORTER_OTLP_CERTIFICATE`: a PEM bundle
    /// of CA certificates to trust for an `https` collector instead of the system's.
    pub certificate: Option<PathBuf>,
    /// `OTEL_SERVICE_NAME`: the resource's `service.name` (wins over the one in
    /// `OTEL_RESOURCE_ATTRIBUTES`; `unknown_service` when neither sets it).
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`: `k=v,k2=v2`, URL-decoded, on the resource of every request.
    pub resource_attributes: Vec<(String, String)>,
    /// `MLFLOW_ENABLE_OTLP_EXPORTER` (default true): false ignores the endpoint.
    pub enabled: bool,
    /// `MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT` (default false): export to the collector and to
    /// the MLflow server (or local store) both.
    pub dual_export: bool,
    /// `FERROTRACE_OTLP_SEMCONV` (`mlflow`, `genai`, `openinference`), else `genai` when
    /// `MLFLOW_ENABLE_OTEL_GENAI_SEMCONV` is true: the attributes sent to a collector that is
    /// not MLflow's server.
    pub semconv: OtlpSemconv,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            endpoint: None,
            headers: Vec::new(),
            compression: OtlpCompression::None,
            timeout: DEFAULT_OTLP_TIMEOUT,
            certificate: None,
            service_name: None,
            resource_attributes: Vec::new(),
            enabled: true,
            dual_export: false,
            semconv: OtlpSemconv::Mlflow,
        }
    }
}

/// What the OTLP settings make of the destinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpMode {
    /// No collector: the MLflow server or local store only.
    Off,
    /// The collector only (MLflow's behaviour when an OTLP endpoint is set).
    Replace,
    /// The collector and the MLflow server or local store.
    Dual,
}

impl OtlpSettings {
    /// Whether traces go to a collector, and whether also to the other destination.
    pub fn mode(&self) -> OtlpMode {
        match (&self.endpoint, self.enabled, self.dual_export) {
            (Some(_), true, false) => OtlpMode::Replace,
            (Some(_), true, true) => OtlpMode::Dual,
            _ => OtlpMode::Off,
        }
    }

    /// Reads the variables through `get` (trimmed, empty as unset); unusable values become
    /// `warnings` naming the variable (never a header value) and fall back.
    pub(crate) fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Self {
        let mut s = OtlpSettings::default();
        let endpoint = match get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            Some(e) => Some(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", e, false)),
            None => {
                get("OTEL_EXPORTER_OTLP_ENDPOINT").map(|e| ("OTEL_EXPORTER_OTLP_ENDPOINT", e, true))
            }
        };
        if let Some((var, e, append)) = endpoint {
            match validate_endpoint(&e, var) {
                Ok(url) if append => s.endpoint = Some(join_traces_path(&url)),
                Ok(url) => s.endpoint = Some(url),
                Err(e) => warnings.push(format!("{e}; traces are not sent to an OTLP collector")),
            }
        }
        let (headers_var, headers) = match get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") {
            Some(h) => ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", Some(h)),
            None => (
                "OTEL_EXPORTER_OTLP_HEADERS",
                get("OTEL_EXPORTER_OTLP_HEADERS"),
            ),
        };
        if let Some(h) = headers {
            let (pairs, bad) = parse_key_values(&h);
            if bad > 0 {
                warnings.push(format!(
                    "invalid value for {headers_var}: {bad} entr{} not of the form key=value (ignored)",
                    if bad == 1 { "y is" } else { "ies are" }
                ));
            }
            // A value no HTTP request can carry would fail every send: dropped here, once.
            let (pairs, unsendable): (Vec<_>, Vec<_>) =
                pairs.into_iter().partition(|(_, v)| header_value_ok(v));
            if !unsendable.is_empty() {
                let names: Vec<&str> = unsendable.iter().map(|(k, _)| k.as_str()).collect();
                warnings.push(format!(
                    "invalid value for {headers_var}: the value of header {} holds a control character (CR, LF, ...) no HTTP request can carry; that header is not sent",
                    names.join(", ")
                ));
            }
            s.headers = pairs
                .into_iter()
                .map(|(k, v)| (k, Secret::new(v)))
                .collect();
        }
        let signal_or_generic = |signal: &'static str, generic: &'static str| {
            get(signal)
                .map(|v| (signal, v))
                .or_else(|| get(generic).map(|v| (generic, v)))
        };
        if let Some((var, v)) = signal_or_generic(
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ) {
            match OtlpCompression::parse(&v) {
                Some(c) => s.compression = c,
                None => warnings.push(format!(
                    "invalid value for {var}: {v:?} (use gzip or none); using none"
                )),
            }
        }
        if let Some((var, v)) = signal_or_generic(
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ) {
            match v.parse::<f64>() {
                Ok(ms) if ms.is_finite() && ms > 0.0 => {
                    s.timeout = crate::config::duration_secs(ms / 1000.0);
                }
                _ => warnings.push(format!(
                    "invalid value for {var}: {v:?} (must be milliseconds > 0); using 10000"
                )),
            }
        }
        if let Some((var, p)) = signal_or_generic(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ) {
            if !p.eq_ignore_ascii_case("http/protobuf") {
                warnings.push(format!(
                    "{var}={p:?} is not supported: ferrotrace sends OTLP as http/protobuf only (point the endpoint at the collector's OTLP/HTTP port, usually 4318)"
                ));
            }
        }
        s.certificate = signal_or_generic(
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        )
        .map(|(_, p)| PathBuf::from(p));
        s.service_name = get("OTEL_SERVICE_NAME");
        if let Some(r) = get("OTEL_RESOURCE_ATTRIBUTES") {
            let (pairs, bad) = parse_key_values(&r);
            if bad > 0 {
                warnings.push(format!(
                    "invalid value for OTEL_RESOURCE_ATTRIBUTES: {bad} entr{} not of the form key=value (ignored)",
                    if bad == 1 { "y is" } else { "ies are" }
                ));
            }
            s.resource_attributes = pairs;
        }
        for (var, slot) in [
            ("MLFLOW_ENABLE_OTLP_EXPORTER", &mut s.enabled),
            ("MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT", &mut s.dual_export),
        ] {
            if let Some(v) = get(var) {
                match parse_bool(&v) {
                    Some(b) => *slot = b,
                    None => warnings.push(format!(
                        "invalid value for {var}: {v:?} (use true or false); using {slot}"
                    )),
                }
            }
        }
        s.semconv = semconv_from(get, warnings);
        s
    }

    /// The resource attributes of every request, as MLflow's SDK builds them: with neither
    /// `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES`, only `telemetry.sdk.*`; otherwise the
    /// attributes, `service.name` (`OTEL_SERVICE_NAME`, else the one in the attributes, else
    /// OTel's `unknown_service`), then `telemetry.sdk.*` describing ferrotrace.
    pub fn resource(&self, sdk_language: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        if self.service_name.is_some() || !self.resource_attributes.is_empty() {
            out.extend(
                self.resource_attributes
                    .iter()
                    .filter(|(k, _)| {
                        !k.starts_with("telemetry.sdk.")
                            && (k != "service.name" || self.service_name.is_none())
                    })
                    .cloned(),
            );
            if let Some(name) = &self.service_name {
                out.push(("service.name".into(), name.clone()));
            } else if !out.iter().any(|(k, _)| k == "service.name") {
                out.push(("service.name".into(), "unknown_service".into()));
            }
        }
        out.extend([
            ("telemetry.sdk.language".into(), sdk_language.to_owned()),
            ("telemetry.sdk.name".into(), "ferrotrace".into()),
            (
                "telemetry.sdk.version".into(),
                env!("CARGO_PKG_VERSION").into(),
            ),
        ]);
        out
    }

    /// Applies settings given in code; the first invalid one is an error naming it in `style`.
    pub(crate) fn apply(&mut self, u: OtlpUpdate, style: NameStyle) -> Result<()> {
        if let Some(e) = u.endpoint {
            self.endpoint = if e.trim().is_empty() {
                None
            } else {
                let url = validate_endpoint(&e, &style.name("otlp_endpoint"))?;
                Some(if has_path(&url) {
                    url
                } else {
                    join_traces_path(&url)
                })
            };
        } else if let Some(url) = u.resolved_endpoint {
            self.endpoint = Some(validate_endpoint(&url, &style.name("otlp_endpoint"))?);
        }
        if let Some(h) = u.headers {
            let mut headers = Vec::with_capacity(h.len());
            for (k, v) in h {
                let k = k.trim().to_owned();
                if k.is_empty() || !k.bytes().all(is_token_byte) {
                    return Err(Error::config(
                        style.name("otlp_headers"),
                        format!("{k:?} is not a valid HTTP header name"),
                    ));
                }
                if !header_value_ok(&v) {
                    // Named, never shown: the value is usually a credential.
                    return Err(Error::config(
                        style.name("otlp_headers"),
                        format!("the value of header {k:?} holds a control character (CR, LF, ...) no HTTP request can carry"),
                    ));
                }
                headers.push((k, Secret::new(v)));
            }
            self.headers = headers;
        }
        if let Some(c) = u.compression {
            self.compression = OtlpCompression::parse(&c).ok_or_else(|| {
                Error::config(
                    style.name("otlp_compression"),
                    format!("{c:?} (use \"gzip\" or \"none\")"),
                )
            })?;
        }
        if let Some(t) = u.timeout {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::config(
                    style.name("otlp_timeout"),
                    format!("{t} (must be seconds > 0)"),
                ));
            }
            self.timeout = crate::config::duration_secs(t);
        }
        if let Some(name) = u.service_name {
            self.service_name = Some(name).filter(|n| !n.trim().is_empty());
        }
        if let Some(r) = u.resource_attributes {
            self.resource_attributes = r;
        }
        if let Some(e) = u.enabled {
            self.enabled = e;
        }
        if let Some(d) = u.dual_export {
            self.dual_export = d;
        }
        if let Some(c) = u.semconv {
            self.semconv = OtlpSemconv::parse(&c).ok_or_else(|| {
                Error::config(
                    style.name("otlp_semconv"),
                    format!("{c:?} (use \"mlflow\", \"genai\" or \"openinference\")"),
                )
            })?;
        }
        Ok(())
    }
}

/// OTLP settings given in code (Python `configure(otlp_endpoint=...)`, Node
/// `init({otlpEndpoint})`); `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtlpUpdate {
    /// The collector URL; used as is when it has a path, else `/v1/traces` is appended. Empty
    /// turns OTLP export off.
    pub endpoint: Option<String>,
    /// A full traces URL, used as is (the `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` rule); what
    /// [`OtlpUpdate::fill_from_env`] resolved from the variables. `endpoint` wins over it.
    pub resolved_endpoint: Option<String>,
    /// Request headers (replace the configured ones).
    pub headers: Option<Vec<(String, String)>>,
    /// `"gzip"` or `"none"`.
    pub compression: Option<String>,
    /// Seconds.
    pub timeout: Option<f64>,
    pub service_name: Option<String>,
    /// Resource attributes (replace the configured ones).
    pub resource_attributes: Option<Vec<(String, String)>>,
    /// `false` ignores the endpoint (`MLFLOW_ENABLE_OTLP_EXPORTER`).
    pub enabled: Option<bool>,
    /// Export to the collector and to the MLflow server (or local store).
    pub dual_export: Option<bool>,
    /// `"mlflow"`, `"genai"` or `"openinference"` ([`OtlpSemconv`]).
    pub semconv: Option<String>,
}

impl OtlpUpdate {
    /// Fills the settings not given from the `OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`,
    /// `OTEL_RESOURCE_ATTRIBUTES` and MLflow OTLP variables read through `get` (Node's `init`
    /// reads `process.env` this way); unusable values become `warnings` naming the variable.
    pub fn fill_from_env(
        &mut self,
        get: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let env = OtlpSettings::from_lookup(&get, warnings);
        let any = |vars: &[&str]| vars.iter().any(|v| get(v).is_some());
        if self.endpoint.is_none() {
            self.resolved_endpoint = env.endpoint;
        }
        if self.headers.is_none()
            && any(&[
                "OTEL_EXPORTER_OTLP_HEADERS",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            ])
        {
            self.headers = Some(
                env.headers
                    .into_iter()
                    .map(|(k, v)| (k, v.expose().to_owned()))
                    .collect(),
            );
        }
        if self.compression.is_none()
            && any(&[
                "OTEL_EXPORTER_OTLP_COMPRESSION",
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            ])
        {
            self.compression = Some(match env.compression {
                OtlpCompression::Gzip => "gzip".into(),
                OtlpCompression::None => "none".into(),
            });
        }
        if self.timeout.is_none()
            && any(&[
                "OTEL_EXPORTER_OTLP_TIMEOUT",
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            ])
        {
            self.timeout = Some(env.timeout.as_secs_f64());
        }
        if self.service_name.is_none() {
            self.service_name = env.service_name;
        }
        if self.resource_attributes.is_none() && any(&["OTEL_RESOURCE_ATTRIBUTES"]) {
            self.resource_attributes = Some(env.resource_attributes);
        }
        if self.enabled.is_none() && any(&["MLFLOW_ENABLE_OTLP_EXPORTER"]) {
            self.enabled = Some(env.enabled);
        }
        if self.dual_export.is_none() && any(&["MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT"]) {
            self.dual_export = Some(env.dual_export);
        }
        if self.semconv.is_none()
            && any(&[
                "FERROTRACE_OTLP_SEMCONV",
                "MLFLOW_ENABLE_OTEL_GENAI_SEMCONV",
            ])
        {
            self.semconv = Some(env.semconv.as_str().to_owned());
        }
    }
}

/// Checks an OTLP endpoint: `http(s)://host...`; returns it without surrounding spaces.
///
/// ```
/// use ferrotrace_core::config::validate_otlp_endpoint;
/// assert!(validate_otlp_endpoint("http://collector:4318/v1/traces", "e").is_ok());
/// let err = validate_otlp_endpoint("collector:4317", "OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_err();
/// assert!(err.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
/// ```
pub fn validate_endpoint(url: &str, setting: &str) -> Result<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with(['/', '?', '#', ':']) => {
            Ok(url.to_owned())
        }
        Some(_) => Err(Error::config(setting, format!("{url:?} has no host"))),
        None => Err(Error::config(
            setting,
            format!("{url:?} is not an http:// or https:// URL (ferrotrace sends OTLP over HTTP, e.g. http://localhost:4318)"),
        )),
    }
}

/// Whether a validated URL has a path beyond `/`.
fn has_path(url: &str) -> bool {
    let after_scheme = &url[url.find("://").map_or(0, |i| i + 3)..];
    after_scheme
        .find('/')
        .is_some_and(|i| !after_scheme[i..].trim_end_matches('/').is_empty())
}

/// `base` + `/v1/traces`, without a double slash.
fn join_traces_path(base: &str) -> String {
    format!("{}{OTLP_TRACES_SUFFIX}", base.trim_end_matches('/'))
}

/// `FERROTRACE_OTLP_SEMCONV` wins; else MLflow's `MLFLOW_ENABLE_OTEL_GENAI_SEMCONV`.
fn semconv_from(get: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> OtlpSemconv {
    if let Some(v) = get("FERROTRACE_OTLP_SEMCONV") {
        match OtlpSemconv::parse(&v) {
            Some(c) => return c,
            None => warnings.push(format!(
                "invalid value for FERROTRACE_OTLP_SEMCONV: {v:?} (use mlflow, genai or openinference); using mlflow"
            )),
        }
    }
    match get("MLFLOW_ENABLE_OTEL_GENAI_SEMCONV").map(|v| parse_bool(&v)) {
        Some(Some(true)) => OtlpSemconv::GenAi,
        Some(None) => {
            warnings.push(
                "invalid value for MLFLOW_ENABLE_OTEL_GENAI_SEMCONV (use true or false); using false"
                    .into(),
            );
            OtlpSemconv::Mlflow
        }
        _ => OtlpSemconv::Mlflow,
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Whether an HTTP request can carry `v` as a header value: no control character but tab
/// (RFC 9110 `field-value`; what the HTTP client refuses at every send).
pub(crate) fn header_value_ok(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// RFC 7230 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `k=v,k2=v2` (W3C baggage without properties), keys and values URL-decoded and trimmed;
/// returns the pairs and how many entries were not `key=value` with a valid key.
fn parse_key_values(s: &str) -> (Vec<(String, String)>, usize) {
    let mut pairs = Vec::new();
    let mut bad = 0;
    for entry in s.split(',') {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = entry.split_once('=') else {
            bad += 1;
            continue;
        };
        let k = percent_decode(k.trim());
        if k.is_empty() || !k.bytes().all(is_token_byte) {
            bad += 1;
            continue;
        }
        pairs.push((k, percent_decode(v.trim())));
    }
    (pairs, bad)
}

#[cfg(test)]
mod tests;
