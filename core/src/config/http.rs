//! How to talk to an MLflow tracking server: credentials, TLS and timeout, read from MLflow's own
//! environment variables (and its `~/.mlflow/credentials` file) with MLflow's precedence.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A credential. `Debug` never shows it; only [`Secret::expose`] does, for the one place that
/// builds the `Authorization` header.
///
/// ```
/// use ferrotrace_core::config::Secret;
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?}"), "Secret(***)");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself. Never format it into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// MLflow's default `MLFLOW_HTTP_REQUEST_TIMEOUT`.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(120);

/// Connection settings for an MLflow server.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpSettings {
    /// `MLFLOW_TRACKING_USERNAME` (or `mlflow_tracking_username` in `~/.mlflow/credentials`, or
    /// the user part of the tracking URI).
    pub username: Option<Secret>,
    /// `MLFLOW_TRACKING_PASSWORD` (same sources as the username).
    pub password: Option<Secret>,
    /// `MLFLOW_TRACKING_TOKEN`: a bearer token, used when no username and password are set
    /// (MLflow's precedence).
    pub token: Option<Secret>,
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH`: a PEM bundle of CA certificates to trust instead of
    /// the system's.
    pub server_cert_path: Option<PathBuf>,
    /// `MLFLOW_TRACKING_INSECURE_TLS=true`: do not verify the server's certificate.
    pub insecure_tls: bool,
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds, default 120): the limit of one HTTP request.
    pub request_timeout: Duration,
    /// `MLFLOW_TRACKING_CLIENT_CERT_PATH`: one PEM file holding the client certificate (and its
    /// chain) and its private key, presented when the server asks for one (mutual TLS).
    pub client_cert_path: Option<PathBuf>,
    /// MLflow's retry settings, each `None` when unset (see [`HttpRetry`]).
    pub retry: HttpRetry,
}

/// MLflow's retry settings for requests to its server. Unset, ferrotrace's own schedule applies
/// (waits of about 0.5, 1, 2, 4, 8 s); with the factor or the jitter set, waits follow MLflow's
/// (urllib3's) formula instead, taking MLflow's default for the one not set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HttpRetry {
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (0 to 9, MLflow's limit): retries after the first
    /// attempt of one request.
    pub max_retries: Option<u32>,
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` seconds (0 to below 120, MLflow's limit): the first
    /// retry goes at once, retry `n` waits `factor * 2^(n-1)`, at most 120 s.
    pub backoff_factor: Option<Duration>,
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` seconds (>= 0): a random 0..jitter added to each
    /// computed wait.
    pub backoff_jitter: Option<Duration>,
    /// `MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER=false`: a server's `Retry-After` does not
    /// replace the computed wait (MLflow's default, `None`, respects it).
    pub ignore_retry_after: bool,
}

/// MLflow's defaults for the settings of [`HttpRetry`] (`environment_variables.py`).
pub const MLFLOW_DEFAULT_BACKOFF_FACTOR: Duration = Duration::from_secs(2);
pub const MLFLOW_DEFAULT_BACKOFF_JITTER: Duration = Duration::from_secs(1);
/// MLflow refuses `MLFLOW_HTTP_REQUEST_MAX_RETRIES` at or above this.
pub const MLFLOW_MAX_RETRIES_LIMIT: u32 = 10;
/// MLflow refuses `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` at or above this (seconds).
pub const MLFLOW_BACKOFF_FACTOR_LIMIT: f64 = 120.0;

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            username: None,
            password: None,
            token: None,
            server_cert_path: None,
            insecure_tls: false,
            request_timeout: DEFAULT_HTTP_TIMEOUT,
            client_cert_path: None,
            retry: HttpRetry::default(),
        }
    }
}

impl HttpSettings {
    /// Reads the variables through `get` (already trimmed, empty as unset). `HOME` locates
    /// `~/.mlflow/credentials`, whose values the environment overrides one by one, as in MLflow.
    pub(crate) fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Self {
        let mut h = HttpSettings::default();
        let (file_user, file_password) = get("HOME")
            .map(|home| read_credentials_file(&PathBuf::from(home).join(".mlflow/credentials")))
            .unwrap_or_default();
        h.username = get("MLFLOW_TRACKING_USERNAME").or(file_user).map(Secret);
        h.password = get("MLFLOW_TRACKING_PASSWORD")
            .or(file_password)
            .map(Secret);
        h.token = get("MLFLOW_TRACKING_TOKEN").map(Secret);
        h.server_cert_path = get("MLFLOW_TRACKING_SERVER_CERT_PATH").map(PathBuf::from);
        h.client_cert_path = get("MLFLOW_TRACKING_CLIENT_CERT_PATH").map(PathBuf::from);
        h.retry = HttpRetry::from_lookup(get, warnings);
        if let Some(v) = get("MLFLOW_TRACKING_INSECURE_TLS") {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" => h.insecure_tls = true,
                "false" | "0" => {}
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_TRACKING_INSECURE_TLS: {v:?} (use true or false); using false"
                )),
            }
        }
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_TIMEOUT") {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => h.request_timeout = crate::config::duration_secs(s),
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_HTTP_REQUEST_TIMEOUT: {v:?} (must be seconds > 0); using {}",
                    DEFAULT_HTTP_TIMEOUT.as_secs()
                )),
            }
        }
        h
    }
}

impl HttpRetry {
    /// Reads MLflow's three retry variables; a value MLflow would refuse is not used, with a
    /// warning naming the variable (MLflow fails every request instead).
    fn from_lookup(get: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> Self {
        let mut r = HttpRetry::default();
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") {
            match v.parse::<u32>() {
                Ok(n) if n < MLFLOW_MAX_RETRIES_LIMIT => r.max_retries = Some(n),
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_HTTP_REQUEST_MAX_RETRIES: {v:?} (must be an integer from 0 to {}); ignored",
                    MLFLOW_MAX_RETRIES_LIMIT - 1
                )),
            }
        }
        let mut seconds = |var: &str, limit: f64, slot: &mut Option<Duration>| {
            let Some(v) = get(var) else { return };
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 && s < limit => {
                    *slot = Some(crate::config::duration_secs(s));
                }
                _ => warnings.push(format!(
                    "invalid value for {var}: {v:?} (must be seconds >= 0{}); ignored",
                    if limit.is_finite() {
                        format!(" and below {limit}")
                    } else {
                        String::new()
                    }
                )),
            }
        };
        seconds(
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
            MLFLOW_BACKOFF_FACTOR_LIMIT,
            &mut r.backoff_factor,
        );
        seconds(
            "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER",
            f64::INFINITY,
            &mut r.backoff_jitter,
        );
        if let Some(v) = get("MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER") {
            match v.to_ascii_lowercase().as_str() {
                "false" | "0" => r.ignore_retry_after = true,
                "true" | "1" => {}
                _ => warnings.push(format!(
                    "invalid value for MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: {v:?} (use true or false); using true"
                )),
            }
        }
        r
    }

    /// Whether the waits follow MLflow's formula (the factor or the jitter is set).
    pub fn mlflow_schedule(&self) -> bool {
        self.backoff_factor.is_some() || self.backoff_jitter.is_some()
    }
}

/// `[mlflow]` `mlflow_tracking_username` / `mlflow_tracking_password` of MLflow's credentials file.
fn read_credentials_file(path: &std::path::Path) -> (Option<String>, Option<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (None, None);
    };
    let (mut user, mut password, mut in_section) = (None, None, false);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[mlflow]";
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let v = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        match (in_section, k.trim().to_ascii_lowercase().as_str()) {
            (true, "mlflow_tracking_username") => user = v,
            (true, "mlflow_tracking_password") => password = v,
            _ => {}
        }
    }
    (user, password)
}

/// Splits `user:password@` out of an `http(s)://` URI, so the URI can be shown and the
/// credentials go to the `Authorization` header only. Percent-escapes in them are decoded.
///
/// ```
/// use ferrotrace_core::config::split_userinfo;
/// let (uri, creds) = split_userinfo("https://al%40x:p%3Aw@mlflow.example:5000/base");
/// assert_eq!(uri, "https://mlflow.example:5000/base");
/// let (user, password) = creds.unwrap();
/// assert_eq!((user.expose(), password.unwrap().expose()), ("al@x", "p:w"));
/// ```
pub fn split_userinfo(uri: &str) -> (String, Option<(Secret, Option<Secret>)>) {
    let Some(scheme_end) = uri.find("://").map(|i| i + 3) else {
        return (uri.to_owned(), None);
    };
    let authority_end = uri[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(uri.len(), |i| scheme_end + i);
    let Some(at) = uri[scheme_end..authority_end]
        .rfind('@')
        .map(|i| scheme_end + i)
    else {
        return (uri.to_owned(), None);
    };
    let userinfo = &uri[scheme_end..at];
    let stripped = format!("{}{}", &uri[..scheme_end], &uri[at + 1..]);
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let creds = (!user.is_empty()).then(|| {
        (
            Secret(percent_decode(user)),
            password.map(|p| Secret(percent_decode(p))),
        )
    });
    (stripped, creds)
}

/// `%XX` escapes decoded (invalid ones kept as written; bytes that are not UTF-8 replaced).
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
