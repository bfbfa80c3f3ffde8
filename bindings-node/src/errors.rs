//! The one mapping from the core's error to a JS error. Every error an explicit API call throws
//! or rejects with carries a stable `code` (Node's convention, as `ERR_INVALID_ARG_TYPE`), so a
//! program can branch on the kind without parsing messages; an error answer of the MLflow server
//! also carries `status` (its HTTP status) and `errorCode` (MLflow's `error_code`, when sent).
//!
//! | `code` | core error |
//! |---|---|
//! | `ERR_FERROTRACE_CONFIG` | a setting has a value that cannot be used |
//! | `ERR_FERROTRACE_INVALID_ARGUMENT` | an argument the API cannot accept |
//! | `ERR_FERROTRACE_AUTH` | the server refused the credentials (HTTP 401/403) |
//! | `ERR_FERROTRACE_NOT_FOUND` | the server or the local store has no such trace, assessment, experiment (HTTP 404) |
//! | `ERR_FERROTRACE_REJECTED` | the server (another 4xx, or 501) or the local store (a name taken) refused the request |
//! | `ERR_FERROTRACE_SERVER` | the server failed (5xx, 408, 429): it may take it later |
//! | `ERR_FERROTRACE_NETWORK` | the server or collector could not be reached, TLS failed, or the wait timed out |
//! | `ERR_FERROTRACE_INTERNAL` | anything else (an I/O error, a bug) |
//!
//! Tracing itself never throws these: only configuration and client calls do.

use ferrotrace_core::error::Refusal;
use ferrotrace_core::Error as CoreError;
use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, Error, JsValue};

pub const CONFIG: &str = "ERR_FERROTRACE_CONFIG";
pub const INVALID_ARGUMENT: &str = "ERR_FERROTRACE_INVALID_ARGUMENT";
pub const INTERNAL: &str = "ERR_FERROTRACE_INTERNAL";
const NOT_FOUND: &str = "ERR_FERROTRACE_NOT_FOUND";

/// The `code` of a core error (see the module docs).
pub fn code(e: &CoreError) -> &'static str {
    match e {
        CoreError::Config { .. } => CONFIG,
        CoreError::InvalidArgument(_) => INVALID_ARGUMENT,
        CoreError::Auth { .. } => "ERR_FERROTRACE_AUTH",
        CoreError::NotFound { .. } => NOT_FOUND,
        CoreError::Store {
            refusal: Refusal::NotFound,
            ..
        } => NOT_FOUND,
        CoreError::Store {
            refusal: Refusal::AlreadyExists,
            ..
        } => "ERR_FERROTRACE_REJECTED",
        CoreError::Rejected { .. } => "ERR_FERROTRACE_REJECTED",
        CoreError::Server { .. } => "ERR_FERROTRACE_SERVER",
        CoreError::Transport { .. }
        | CoreError::Tls { .. }
        | CoreError::Timeout(_)
        | CoreError::Otlp { .. } => "ERR_FERROTRACE_NETWORK",
        CoreError::Io(_) | CoreError::Export(_) => INTERNAL,
    }
}

/// A core error on its way to JS: what [`js_error`] needs, and `Send` (it crosses from the
/// thread pool to the JS thread).
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub status: Option<u16>,
    pub mlflow_code: Option<String>,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            status: None,
            mlflow_code: None,
        }
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure {
            code: code(&e),
            status: e.http_status(),
            mlflow_code: e.mlflow_code().map(str::to_owned),
            message: e.to_string(),
        }
    }
}

/// A JS `Error` with `f`'s message, `code` (and `status`, `errorCode` when known), as a napi
/// error that throws or rejects with exactly that object. Falls back to a plain error when the
/// object cannot be built (the environment is shutting down).
pub fn js_error(env: &Env, f: Failure) -> Error {
    let build = || -> napi::Result<Error> {
        let mut obj = env.create_error(Error::from_reason(f.message.clone()))?;
        obj.set_named_property("code", f.code)?;
        if let Some(s) = f.status {
            obj.set_named_property("status", u32::from(s))?;
        }
        if let Some(c) = &f.mlflow_code {
            obj.set_named_property("errorCode", c.as_str())?;
        }
        Ok(Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|_| Error::from_reason(f.message))
}

/// Runs a synchronous call whose every failure is of one kind (`init` and `configure` fail only
/// on a setting): its error gets that `code`.
pub fn with_code<T>(env: &Env, code: &'static str, r: napi::Result<T>) -> napi::Result<T> {
    r.map_err(|e| js_error(env, Failure::new(code, e.reason)))
}
