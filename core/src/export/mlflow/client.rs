//! A blocking client for an MLflow tracking server: its REST API (JSON) and its OTLP endpoint.
//! Authentication, TLS and the request timeout follow MLflow's settings; failures come back as
//! classified [`Error`]s carrying the server's message and never a credential.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use parking_lot::Mutex;
use serde_json::{json, Value};
use ureq::tls::{PemItem, RootCerts, TlsConfig};

use super::retry::{parse_retry_after, RetryPolicy};
use crate::config::{Config, HttpSettings, Secret};
use crate::error::{Error, Result};

/// MLflow's OTLP ingestion path.
pub const OTLP_TRACES_PATH: &str = "/v1/traces";
/// The header naming the experiment of an OTLP request.
pub const EXPERIMENT_ID_HEADER: &str = "x-mlflow-experiment-id";
/// Responses larger than this are refused (search results are paged well below it).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// A blocking MLflow client. Clones share one connection pool; every request has the
/// configured timeout and is retried per the client's [`RetryPolicy`] (transport errors, 5xx,
/// 408 and 429 only).
///
/// ```
/// use ferrotrace_core::config::HttpSettings;
/// use ferrotrace_core::export::mlflow::MlflowClient;
/// let client = MlflowClient::new("http://127.0.0.1:5000/", &HttpSettings::default()).unwrap();
/// assert_eq!(client.base_uri(), "http://127.0.0.1:5000");
/// // Nothing is sent until a method is called: client.get_json("/api/2.0/mlflow/experiments/get", &[("experiment_id", "0")])
/// ```
#[derive(Clone)]
pub struct MlflowClient {
    inner: Arc<Inner>,
    retry: RetryPolicy,
}

struct Inner {
    base: String,
    agent: ureq::Agent,
    /// The whole `Authorization` header value.
    authorization: Option<Secret>,
    auth_kind: &'static str,
    timeout: Duration,
}

impl std::fmt::Debug for MlflowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlflowClient")
            .field("base_uri", &self.inner.base)
            .field("auth", &self.inner.auth_kind)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// HTTP methods the client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    /// `GET`, `POST`, `PATCH`, `DELETE` (any case).
    ///
    /// ```
    /// use ferrotrace_core::export::mlflow::Method;
    /// assert_eq!(Method::parse("patch"), Some(Method::Patch));
    /// assert_eq!(Method::parse("PUT"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Method> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PATCH" => Some(Method::Patch),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One request's body and headers beyond the defaults.
pub(crate) struct Body<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) content_type: &'static str,
    pub(crate) headers: &'a [(&'static str, &'a str)],
}

impl MlflowClient {
    /// A client for the server at `base_uri` (`http(s)://host[:port][/prefix]`). Fails only on
    /// an unreadable `MLFLOW_TRACKING_SERVER_CERT_PATH`.
    pub fn new(base_uri: &str, http: &HttpSettings) -> Result<MlflowClient> {
        let (base, uri_creds) =
            crate::config::split_userinfo(base_uri.trim().trim_end_matches('/'));
        let (user, password) = match (&http.username, &http.password, uri_creds) {
            (None, None, Some((u, p))) => (Some(u), p),
            (u, p, _) => (u.clone(), p.clone()),
        };
        let (authorization, auth_kind) = match (user, password, &http.token) {
            // MLflow: username and password (both) win over a token.
            (Some(u), Some(p), _) => {
                let raw = format!("{}:{}", u.expose(), p.expose());
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
                (Some(Secret::new(format!("Basic {b64}"))), "basic")
            }
            (_, _, Some(t)) => (
                Some(Secret::new(format!("Bearer {}", t.expose()))),
                "bearer",
            ),
            _ => (None, "none"),
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(format!("ferrotrace/{}", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(http.request_timeout))
            .tls_config(tls_config(http)?)
            .build()
            .new_agent();
        Ok(MlflowClient {
            inner: Arc::new(Inner {
                base,
                agent,
                authorization,
                auth_kind,
                timeout: http.request_timeout,
            }),
            retry: RetryPolicy::default(),
        })
    }

    /// The client for `config`'s tracking URI; `Ok(None)` when it names no MLflow server.
    pub fn from_config(config: &Config) -> Result<Option<MlflowClient>> {
        match &config.tracking_uri {
            Some(uri) => MlflowClient::new(uri, &config.http).map(Some),
            None => Ok(None),
        }
    }

    /// The same client with another retry policy ([`RetryPolicy::NONE`] for a single attempt).
    pub fn with_retry(mut self, policy: RetryPolicy) -> MlflowClient {
        self.retry = policy;
        self
    }

    /// The server's base URI, without credentials or a trailing slash.
    pub fn base_uri(&self) -> &str {
        &self.inner.base
    }

    /// The limit of one HTTP request (`MLFLOW_HTTP_REQUEST_TIMEOUT`).
    pub fn request_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// `GET path?query`; the decoded JSON response (`{}` for an empty body).
    pub fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        self.json(Method::Get, path, query, None, None)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.json(Method::Post, path, &[], Some(body), None)
    }

    /// `PATCH path` with a JSON body.
    pub fn patch_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.json(Method::Patch, path, &[], Some(body), None)
    }

    /// `DELETE path` with a JSON body (MLflow's delete endpoints read their arguments from it).
    pub fn delete_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.json(Method::Delete, path, &[], Some(body), None)
    }

    /// Any JSON call, with an optional overall deadline (retries stop, and the last attempt's
    /// timeout shrinks, to meet it).
    pub fn json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        deadline: Option<Instant>,
    ) -> Result<Value> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let body = bytes.as_deref().map(|bytes| Body {
            bytes,
            content_type: "application/json",
            headers: &[],
        });
        let text = self.send(method, path, query, body.as_ref(), deadline, &mut |_, _| {})?;
        parse_json_response(method, path, &text)
    }

    /// `POST /v1/traces` with a gzip'd `ExportTraceServiceRequest` for `experiment_id`.
    pub fn post_otlp(&self, experiment_id: &str, gz_body: &[u8]) -> Result<()> {
        self.post_otlp_counting(experiment_id, gz_body, &mut |_, _| {})
    }

    pub(crate) fn post_otlp_counting(
        &self,
        experiment_id: &str,
        gz_body: &[u8],
        on_retry: &mut dyn FnMut(&Error, Duration),
    ) -> Result<()> {
        let headers = [
            (EXPERIMENT_ID_HEADER, experiment_id),
            ("content-encoding", "gzip"),
        ];
        let body = Body {
            bytes: gz_body,
            content_type: "application/x-protobuf",
            headers: &headers,
        };
        self.send(
            Method::Post,
            OTLP_TRACES_PATH,
            &[],
            Some(&body),
            None,
            on_retry,
        )
        .map(|_| ())
    }

    /// The id of the experiment named `name`, created if it does not exist. A concurrent creator
    /// (`RESOURCE_ALREADY_EXISTS`) is survived by reading the name again. A deleted experiment
    /// is an error, as in MLflow's `set_experiment`.
    pub fn resolve_experiment(&self, name: &str) -> Result<String> {
        self.resolve_experiment_by(name, None)
    }

    /// [`MlflowClient::resolve_experiment`] within `deadline`, remembered per server and name
    /// for the life of the process.
    pub(crate) fn resolve_experiment_cached(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<String> {
        let key = (self.inner.base.clone(), name.to_owned());
        if let Some(id) = experiment_cache().lock().get(&key) {
            return Ok(id.clone());
        }
        let id = self.resolve_experiment_by(name, deadline)?;
        experiment_cache().lock().insert(key, id.clone());
        Ok(id)
    }

    /// Forgets a cached name (its experiment was deleted on the server).
    pub(crate) fn forget_experiment(&self, name: &str) {
        experiment_cache()
            .lock()
            .remove(&(self.inner.base.clone(), name.to_owned()));
    }

    fn resolve_experiment_by(&self, name: &str, deadline: Option<Instant>) -> Result<String> {
        const BY_NAME: &str = "/api/2.0/mlflow/experiments/get-by-name";
        let get = || {
            self.json(
                Method::Get,
                BY_NAME,
                &[("experiment_name", name)],
                None,
                deadline,
            )
        };
        let found = match get() {
            Ok(v) => v,
            Err(Error::NotFound { .. }) => {
                let created = self.json(
                    Method::Post,
                    "/api/2.0/mlflow/experiments/create",
                    &[],
                    Some(&json!({ "name": name })),
                    deadline,
                );
                match created {
                    Ok(v) => return experiment_id_of(&v, "experiment_id"),
                    Err(e) if e.mlflow_code() == Some("RESOURCE_ALREADY_EXISTS") => get()?,
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let exp = &found["experiment"];
        if exp["lifecycle_stage"] == "deleted" {
            return Err(Error::InvalidArgument(format!(
                "the MLflow experiment {name:?} is deleted; restore it on the server or use another name"
            )));
        }
        experiment_id_of(exp, "experiment_id")
    }

    /// Sends one request with retries; returns the response body of a 2xx answer.
    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Body<'_>>,
        deadline: Option<Instant>,
        on_retry: &mut dyn FnMut(&Error, Duration),
    ) -> Result<Vec<u8>> {
        self.retry.run(
            deadline,
            |d| self.send_once(method, path, query, body, d),
            |e, w| on_retry(e, w),
        )
    }

    fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Body<'_>>,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        let request = format!("{} {path}", method.as_str());
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(self.inner.timeout),
                _ => {
                    return Err(self.transport(
                        &request,
                        "the time allowed ran out before the request".into(),
                    ))
                }
            },
            None => self.inner.timeout,
        };
        let mut url = format!("{}{path}", self.inner.base);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_component(k));
            url.push('=');
            url.push_str(&encode_component(v));
        }
        let agent = &self.inner.agent;
        let auth = self.inner.authorization.as_ref();
        let sent = match (method, body) {
            (Method::Get, _) => prepare(agent.get(&url), timeout, auth, None).call(),
            (Method::Delete, None) => prepare(agent.delete(&url), timeout, auth, None).call(),
            (m, body) => {
                let b = match m {
                    Method::Patch => agent.patch(&url),
                    Method::Delete => agent.delete(&url).force_send_body(),
                    _ => agent.post(&url),
                };
                let b = prepare(b, timeout, auth, body);
                match body {
                    Some(body) => b.send(body.bytes),
                    None => b.send_empty(),
                }
            }
        };
        let mut resp = sent.map_err(|e| self.request_failed(&request, e, timeout))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| self.transport(&request, format!("reading the response failed: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(classify(status, request, &bytes, retry_after))
    }

    fn request_failed(&self, request: &str, e: ureq::Error, timeout: Duration) -> Error {
        let tls = match &e {
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => true,
            ureq::Error::Io(io) => io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>()),
            _ => false,
        };
        if tls {
            return Error::Tls {
                server: self.inner.base.clone(),
                request: request.to_owned(),
                message: e.to_string(),
            };
        }
        let message = match e {
            ureq::Error::Timeout(_) => format!(
                "no answer within {:.1} s (MLFLOW_HTTP_REQUEST_TIMEOUT)",
                timeout.as_secs_f64()
            ),
            other => other.to_string(),
        };
        self.transport(request, message)
    }

    fn transport(&self, request: &str, message: String) -> Error {
        Error::Transport {
            server: self.inner.base.clone(),
            request: request.to_owned(),
            message,
        }
    }
}

/// Timeout, credentials and body headers of one request.
fn prepare<B>(
    b: ureq::RequestBuilder<B>,
    timeout: Duration,
    auth: Option<&Secret>,
    body: Option<&Body<'_>>,
) -> ureq::RequestBuilder<B> {
    let mut b = b.config().timeout_global(Some(timeout)).build();
    if let Some(auth) = auth {
        b = b.header("Authorization", auth.expose());
    }
    if let Some(body) = body {
        b = b.header("Content-Type", body.content_type);
        for (k, v) in body.headers {
            b = b.header(*k, *v);
        }
    }
    b
}

fn experiment_cache() -> &'static Mutex<HashMap<(String, String), String>> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), String>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn experiment_id_of(v: &Value, key: &str) -> Result<String> {
    match &v[key] {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::Rejected {
            status: 200,
            request: "experiment lookup".into(),
            code: None,
            message: format!("the answer has no {key}: {}", truncate(&v.to_string(), 300)),
        }),
    }
}

fn tls_config(http: &HttpSettings) -> Result<TlsConfig> {
    let builder = TlsConfig::builder();
    if http.insecure_tls {
        return Ok(builder.disable_verification(true).build());
    }
    let Some(path) = &http.server_cert_path else {
        return Ok(builder.root_certs(RootCerts::PlatformVerifier).build());
    };
    const SETTING: &str = "MLFLOW_TRACKING_SERVER_CERT_PATH";
    let pem = std::fs::read(path)
        .map_err(|e| Error::config(SETTING, format!("cannot read {}: {e}", path.display())))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::config(
            SETTING,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(builder
        .root_certs(RootCerts::new_with_certs(&certs))
        .build())
}

fn parse_json_response(method: Method, path: &str, bytes: &[u8]) -> Result<Value> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(&text).map_err(|_| Error::Rejected {
        status: 200,
        request: format!("{} {path}", method.as_str()),
        code: None,
        message: format!(
            "the answer is not JSON (is the tracking URI an MLflow server?): {}",
            truncate(&text, 200)
        ),
    })
}

/// Maps a non-2xx answer to an error with the server's message (MLflow's `{"error_code",
/// "message"}`, FastAPI's `{"detail"}`, or the text).
pub(crate) fn classify(
    status: u16,
    request: String,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Error {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v["error_code"].as_str())
        .map(str::to_owned);
    let message = match parsed.as_ref() {
        Some(v) if v["message"].is_string() => v["message"].as_str().unwrap_or_default().to_owned(),
        Some(v) if v["detail"].is_string() => v["detail"].as_str().unwrap_or_default().to_owned(),
        Some(v) if !v["detail"].is_null() => v["detail"].to_string(),
        _ if text.trim().is_empty() => format!("HTTP {status} with no message"),
        _ => text.trim().to_owned(),
    };
    let message = truncate(&message, 1000);
    match status {
        401 | 403 => Error::Auth {
            status,
            request,
            message,
        },
        404 => Error::NotFound {
            request,
            code,
            message,
        },
        // MLflow's transient codes; a 501 (the file store has no OTLP ingestion) is final.
        408 | 429 | 500 | 502 | 503 | 504 => Error::Server {
            status,
            request,
            message,
            retry_after,
        },
        _ => Error::Rejected {
            status,
            request,
            code,
            message,
        },
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a query value or one
/// path segment).
///
/// ```
/// assert_eq!(ferrotrace_core::export::mlflow::encode_path_segment("tr-1 a/b"), "tr-1%20a%2Fb");
/// ```
pub fn encode_path_segment(s: &str) -> String {
    encode_component(s)
}

pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
