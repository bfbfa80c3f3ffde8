//! A blocking client for an MLflow tracking server: its REST API (JSON) and its OTLP endpoint.
//! Authentication, TLS and the request timeout follow MLflow's settings; failures come back as
//! classified [`Error`]s carrying the server's message and never a credential. Requests go
//! through reqwest on the client's own current-thread runtime ([`crate::export::http`]); the
//! exporter drives the same requests as futures on its runtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use super::http::{check_json_response, classify, encode_component, parse_json_response, Body};
pub use super::http::{encode_path_segment, Method};
use super::retry::RetryPolicy;
use crate::config::{Config, HttpSettings, Secret};
use crate::error::{Error, Result};
use crate::export::http::{fetch, Http};
use crate::export::Deadline;

/// MLflow's OTLP ingestion path.
pub const OTLP_TRACES_PATH: &str = "/v1/traces";
/// The header naming the experiment of an OTLP request.
pub const EXPERIMENT_ID_HEADER: &str = "x-mlflow-experiment-id";
/// Connections kept open between requests by a client made with [`MlflowClient::new`].
const DEFAULT_IDLE_CONNECTIONS: usize = 3;
/// Responses larger than this are refused (search results are paged well below it).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A blocking MLflow client. Clones share one connection pool and runtime (built on the first
/// request); every request has the configured timeout and is retried per the client's
/// [`RetryPolicy`] (transport errors, 5xx, 408 and 429 only).
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
    http: Http,
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
        let http_client = Http::new(crate::export::http::tls::mlflow_tls(http)?, idle);
        Ok(MlflowClient {
            inner: Arc::new(Inner {
                base,
                http: http_client,
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
        let deadline = Deadline::at(deadline);
        self.block_on(|c| async move {
            self.json_async(&c, method, path, query, body, &deadline)
                .await
        })
    }

    /// Runs `f` with the reqwest client on this client's runtime, to completion (see
    /// [`crate::export::http`]: never from inside a future of the same runtime).
    pub(crate) fn block_on<T, F: std::future::Future<Output = Result<T>>>(
        &self,
        f: impl FnOnce(reqwest::Client) -> F,
    ) -> Result<T> {
        self.inner.http.run(f)?
    }

    /// [`MlflowClient::json`] as a future of `c`'s runtime.
    pub(crate) async fn json_async(
        &self,
        c: &reqwest::Client,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        deadline: &Deadline,
    ) -> Result<Value> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let body = bytes.as_deref().map(|bytes| Body {
            bytes,
            content_type: "application/json",
            headers: &[],
        });
        let text = self
            .send(
                c,
                method,
                path,
                query,
                body.as_ref(),
                deadline,
                &mut |_, _| {},
            )
            .await?;
        parse_json_response(method, path, &text)
    }

    /// One `POST path` with a body that is JSON text already (no retry); the answer is checked
    /// to be JSON and dropped (no `Value` is built for it).
    pub(crate) async fn post_json_text_once(
        &self,
        c: &reqwest::Client,
        path: &str,
        json: &[u8],
        deadline: Option<Instant>,
    ) -> Result<()> {
        let body = Body {
            bytes: json,
            content_type: "application/json",
            headers: &[],
        };
        let answer = self
            .send_once(c, Method::Post, path, &[], Some(&body), deadline)
            .await?;
        check_json_response(Method::Post, path, &answer)
    }

    /// `POST /v1/traces` with a gzip'd `ExportTraceServiceRequest` for `experiment_id`.
    pub fn post_otlp(&self, experiment_id: &str, gz_body: &[u8]) -> Result<()> {
        self.post_otlp_until(experiment_id, gz_body, None)
    }

    /// [`MlflowClient::post_otlp`] finishing by `deadline` (retries stop, the last attempt's
    /// timeout shrinks).
    pub fn post_otlp_until(
        &self,
        experiment_id: &str,
        gz_body: &[u8],
        deadline: Option<Instant>,
    ) -> Result<()> {
        let deadline = Deadline::at(deadline);
        self.block_on(|c| async move {
            let mut retry = |_: &Error, _: Duration| {};
            self.retry
                .run(
                    &deadline,
                    |d| self.post_otlp_once(&c, experiment_id, gz_body, d),
                    &mut retry,
                )
                .await
        })
    }

    /// One `POST /v1/traces` (no retry).
    pub(crate) async fn post_otlp_once(
        &self,
        c: &reqwest::Client,
        experiment_id: &str,
        gz_body: &[u8],
        deadline: Option<Instant>,
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
        self.send_once(
            c,
            Method::Post,
            OTLP_TRACES_PATH,
            &[],
            Some(&body),
            deadline,
        )
        .await
        .map(|_| ())
    }

    /// Sends one request with retries; returns the response body of a 2xx answer.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send(
        &self,
        c: &reqwest::Client,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Body<'_>>,
        deadline: &Deadline,
        on_retry: &mut dyn FnMut(&Error, Duration),
    ) -> Result<Vec<u8>> {
        self.retry
            .run(
                deadline,
                |d| self.send_once(c, method, path, query, body, d),
                |e, w| on_retry(e, w),
            )
            .await
    }

    async fn send_once(
        &self,
        c: &reqwest::Client,
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
        let m = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut b = c.request(m, &url).timeout(timeout);
        if let Some(auth) = &self.inner.authorization {
            b = b.header("Authorization", auth.expose());
        }
        if let (Some(body), false) = (body, method == Method::Get) {
            b = b.header("Content-Type", body.content_type);
            for (k, v) in body.headers {
                b = b.header(*k, *v);
            }
            b = b.body(body.bytes.to_vec());
        }
        let answer = fetch(b, MAX_RESPONSE_BYTES).await.map_err(|f| {
            if f.tls {
                return Error::Tls {
                    server: self.inner.base.clone(),
                    request: request(),
                    message: f.message,
                };
            }
            let message = if f.timeout {
                format!(
                    "no answer within {:.1} s (MLFLOW_HTTP_REQUEST_TIMEOUT)",
                    timeout.as_secs_f64()
                )
            } else {
                f.message
            };
            self.transport(&request(), message)
        })?;
        if (200..300).contains(&answer.status) {
            return Ok(answer.body);
        }
        Err(classify(
            answer.status,
            request(),
            &answer.body,
            answer.retry_after,
        ))
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
mod tests;
