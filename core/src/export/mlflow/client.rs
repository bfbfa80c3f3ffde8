//! A blocking client for an MLflow tracking server: its REST API (JSON) and its OTLP endpoint.
//! Authentication, TLS and the request timeout follow MLflow's settings; failures come back as
//! classified [`Error`]s carrying the server's message and never a credential.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use super::http::{
    check_json_response, classify, encode_component, parse_json_response, prepare, tls_config, Body,
};
pub use super::http::{encode_path_segment, Method};
use super::retry::{retry_after_header, RetryPolicy};
use crate::config::{Config, HttpSettings, Secret};
use crate::error::{Error, Result};

/// MLflow's OTLP ingestion path.
pub const OTLP_TRACES_PATH: &str = "/v1/traces";
/// The header naming the experiment of an OTLP request.
pub const EXPERIMENT_ID_HEADER: &str = "x-mlflow-experiment-id";
/// Connections kept open between requests by a client made with [`MlflowClient::new`].
const DEFAULT_IDLE_CONNECTIONS: usize = 3;
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
    pub(crate) inner: Arc<Inner>,
    retry: RetryPolicy,
}

pub(crate) struct Inner {
    pub(crate) base: String,
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

impl MlflowClient {
    /// A client for the server at `base_uri` (`http(s)://host[:port][/prefix]`). Fails only on
    /// an unreadable `MLFLOW_TRACKING_SERVER_CERT_PATH`.
    pub fn new(base_uri: &str, http: &HttpSettings) -> Result<MlflowClient> {
        MlflowClient::with_connections(base_uri, http, DEFAULT_IDLE_CONNECTIONS)
    }

    /// [`MlflowClient::new`] keeping up to `idle` connections open between requests: as many
    /// as requests go out at once, or every batch opens (and resolves) new ones.
    fn with_connections(base_uri: &str, http: &HttpSettings, idle: usize) -> Result<MlflowClient> {
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
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(format!("ferrotrace/{}", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(http.request_timeout))
            .tls_config(tls_config(http)?)
            .max_idle_connections(idle)
            .max_idle_connections_per_host(idle)
            .build();
        let agent = super::http::agent(config);
        Ok(MlflowClient {
            inner: Arc::new(Inner {
                base,
                agent,
                authorization,
                auth_kind,
                timeout: http.request_timeout,
            }),
            retry: RetryPolicy::default().with_mlflow_settings(&http.retry),
        })
    }

    /// The client for `config`'s tracking URI; `Ok(None)` when it names no MLflow server.
    pub fn from_config(config: &Config) -> Result<Option<MlflowClient>> {
        match &config.tracking_uri {
            // The exporter's StartTraceV3 requests go out `max_workers` at a time, next to one
            // OTLP request.
            Some(uri) => {
                let idle = (config.delivery.max_workers + 1).max(DEFAULT_IDLE_CONNECTIONS);
                MlflowClient::with_connections(uri, &config.http, idle).map(Some)
            }
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

    /// `POST path` with a body that is JSON text already; the answer is checked to be JSON and
    /// dropped (no `Value` is built for it).
    pub(crate) fn post_json_text(
        &self,
        path: &str,
        json: &[u8],
        deadline: Option<Instant>,
    ) -> Result<()> {
        let body = Body {
            bytes: json,
            content_type: "application/json",
            headers: &[],
        };
        let answer = self.send(
            Method::Post,
            path,
            &[],
            Some(&body),
            deadline,
            &mut |_, _| {},
        )?;
        check_json_response(Method::Post, path, &answer)
    }

    /// `POST /v1/traces` with a gzip'd `ExportTraceServiceRequest` for `experiment_id`.
    pub fn post_otlp(&self, experiment_id: &str, gz_body: &[u8]) -> Result<()> {
        self.post_otlp_counting(experiment_id, gz_body, &mut |_, _| {})
    }

    /// [`MlflowClient::post_otlp`] finishing by `deadline` (retries stop, the last attempt's
    /// timeout shrinks).
    pub fn post_otlp_until(
        &self,
        experiment_id: &str,
        gz_body: &[u8],
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.post_otlp_with(experiment_id, gz_body, deadline, &mut |_, _| {})
    }

    pub(crate) fn post_otlp_counting(
        &self,
        experiment_id: &str,
        gz_body: &[u8],
        on_retry: &mut dyn FnMut(&Error, Duration),
    ) -> Result<()> {
        self.post_otlp_with(experiment_id, gz_body, None, on_retry)
    }

    fn post_otlp_with(
        &self,
        experiment_id: &str,
        gz_body: &[u8],
        deadline: Option<Instant>,
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
            deadline,
            on_retry,
        )
        .map(|_| ())
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
        // Named in errors only: not formatted for requests that succeed.
        let request = || format!("{} {path}", method.as_str());
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(self.inner.timeout),
                _ => {
                    return Err(self.transport(
                        &request(),
                        "the time allowed ran out before the request".into(),
                    ))
                }
            },
            None => self.inner.timeout,
        };
        let mut url = String::with_capacity(self.inner.base.len() + path.len());
        url.push_str(&self.inner.base);
        url.push_str(path);
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
        let mut resp = sent.map_err(|e| self.request_failed(&request(), e, timeout))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after_header(resp.headers());
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| self.transport(&request(), format!("reading the response failed: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(classify(status, request(), &bytes, retry_after))
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

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
