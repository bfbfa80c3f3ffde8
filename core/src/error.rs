//! The one error type of the core. Bindings map it once each.

use std::time::Duration;

/// The settings that carry credentials for an MLflow server, named in authentication errors.
pub const AUTH_SETTINGS: &str =
    "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD (basic) or MLFLOW_TRACKING_TOKEN (bearer)";

/// Everything the core can report to a caller.
///
/// Errors from an MLflow server say which request failed (method and path, never the query or
/// credentials) and carry the server's own message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting has a value the core cannot use. `setting` names it as the user wrote it
    /// (an environment variable or an API parameter).
    #[error("invalid value for {setting}: {message}")]
    Config { setting: String, message: String },
    /// An API was called with an argument it cannot accept.
    #[error("{0}")]
    InvalidArgument(String),
    /// The local store refused a request, as MLflow's own backends do (see [`Refusal`]).
    #[error("{message}")]
    Store { refusal: Refusal, message: String },
    /// A bounded wait ran out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An exporter could not deliver.
    #[error("export failed: {0}")]
    Export(String),
    /// The server refused the credentials (HTTP 401 or 403).
    #[error("the MLflow server refused the credentials for {request} (HTTP {status}): {message}; set {AUTH_SETTINGS}", AUTH_SETTINGS = AUTH_SETTINGS)]
    Auth {
        status: u16,
        request: String,
        message: String,
    },
    /// HTTP 404: an unknown experiment, trace or endpoint.
    #[error("{request}: not found (HTTP 404): {message}")]
    NotFound {
        request: String,
        /// MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`), when the server sent one.
        code: Option<String>,
        message: String,
    },
    /// Any other 4xx, and 5xx other than 500/502/503/504 (a 501 "not supported"): the server
    /// will refuse the same request again.
    #[error("the MLflow server rejected {request} (HTTP {status}): {message}")]
    Rejected {
        status: u16,
        request: String,
        /// MLflow's `error_code` (`RESOURCE_ALREADY_EXISTS`, `INVALID_PARAMETER_VALUE`, ...).
        code: Option<String>,
        message: String,
    },
    /// HTTP 500, 502, 503, 504, 408 or 429 (MLflow's transient codes): the server may accept
    /// the request later.
    #[error("MLflow server error for {request} (HTTP {status}): {message}")]
    Server {
        status: u16,
        request: String,
        message: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The TLS handshake failed (an untrusted or mismatched certificate, no common protocol).
    /// Not retried: it fails the same way until the settings change.
    #[error("TLS with the MLflow server at {server} failed for {request}: {message}; to trust a private CA, set MLFLOW_TRACKING_SERVER_CERT_PATH to its PEM bundle (MLFLOW_TRACKING_INSECURE_TLS=true skips verification); a server that requires a client certificate takes it from MLFLOW_TRACKING_CLIENT_CERT_PATH")]
    Tls {
        server: String,
        request: String,
        message: String,
    },
    /// An OpenTelemetry collector did not take an OTLP request. `status` is its HTTP answer,
    /// `None` when it could not be reached or did not answer in time.
    #[error("OTLP export to {endpoint} failed: {message}")]
    Otlp {
        endpoint: String,
        status: Option<u16>,
        message: String,
        /// The collector's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The server could not be reached or did not answer in time.
    #[error("could not reach the MLflow server at {server} for {request}: {message}")]
    Transport {
        server: String,
        request: String,
        message: String,
    },
}

impl Error {
    /// Something the local store does not hold: MLflow's `RESOURCE_DOES_NOT_EXIST`, which its
    /// own backends raise there (a 404 to a client).
    ///
    /// ```
    /// let e = ferrotrace_core::Error::not_found_locally("Trace with ID 'tr-1' not found.");
    /// assert_eq!(e.http_status(), Some(404));
    /// assert_eq!(e.mlflow_code(), Some("RESOURCE_DOES_NOT_EXIST"));
    /// assert_eq!(e.to_string(), "Trace with ID 'tr-1' not found.");
    /// ```
    pub fn not_found_locally(message: impl Into<String>) -> Self {
        Error::Store {
            refusal: Refusal::NotFound,
            message: message.into(),
        }
    }

    /// A name the local store already holds: MLflow's `RESOURCE_ALREADY_EXISTS` (a 400).
    pub fn exists_locally(message: impl Into<String>) -> Self {
        Error::Store {
            refusal: Refusal::AlreadyExists,
            message: message.into(),
        }
    }

    pub fn config(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            setting: setting.into(),
            message: message.into(),
        }
    }

    /// Whether trying the same request again later may succeed: transport errors, 5xx, 408 and
    /// 429. Never a 4xx refusal, an authentication error or a bad setting.
    ///
    /// ```
    /// use ferrotrace_core::Error;
    /// let busy = Error::Server { status: 503, request: "POST /v1/traces".into(), message: "busy".into(), retry_after: None };
    /// assert!(busy.is_retryable());
    /// assert!(!Error::InvalidArgument("x".into()).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Server { .. } | Error::Transport { .. } => true,
            // OTLP/HTTP's transient answers (408, 429, 5xx but 501) and transport failures.
            Error::Otlp { status, .. } => {
                status.is_none_or(|s| matches!(s, 408 | 429 | 500 | 502 | 503 | 504))
            }
            _ => false,
        }
    }

    /// The HTTP status the server answered with, if the error comes from one (for the local
    /// store's refusals, the status MLflow's server gives the same refusal).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. }
            | Error::Rejected { status, .. }
            | Error::Server { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::Store { refusal, .. } => Some(refusal.http_status()),
            Error::Otlp { status, .. } => *status,
            _ => None,
        }
    }

    /// MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`, `RESOURCE_ALREADY_EXISTS`, ...), if the
    /// server sent one or the local store refused.
    pub fn mlflow_code(&self) -> Option<&str> {
        match self {
            Error::NotFound { code, .. } | Error::Rejected { code, .. } => code.as_deref(),
            Error::Store { refusal, .. } => Some(refusal.mlflow_code()),
            _ => None,
        }
    }
}

/// Why the local store refused a request: what MLflow's own backends raise in the same case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No such trace, tag, assessment or experiment.
    NotFound,
    /// An experiment of that name exists already.
    AlreadyExists,
}

impl Refusal {
    /// MLflow's `error_code`.
    pub fn mlflow_code(self) -> &'static str {
        match self {
            Refusal::NotFound => "RESOURCE_DOES_NOT_EXIST",
            Refusal::AlreadyExists => "RESOURCE_ALREADY_EXISTS",
        }
    }

    /// The HTTP status MLflow's server gives the same refusal.
    pub fn http_status(self) -> u16 {
        match self {
            Refusal::NotFound => 404,
            Refusal::AlreadyExists => 400,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
