//! The UI's HTTP surface: the page and its assets, a small JSON API, and the checks every
//! request passes (Host, token for writes, security headers on every answer).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::backend::{FeedbackInput, UiError};
use super::UiState;

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
/// Nothing but our own script, style and API; no framing, no forms, no plugins.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The header a write must carry: a cross-site page cannot set it without a CORS preflight.
pub const TOKEN_HEADER: &str = "x-ferrotrace-token";

pub(crate) fn router(state: Arc<UiState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/api/traces", get(list))
        .route("/api/traces/{id}", get(one))
        .route("/api/traces/{id}/feedback", post(feedback))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Runs before every route: the Host must be ours, a write must carry the token, and every
/// answer gets the security headers.
async fn guard(State(state): State<Arc<UiState>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let host_ok = state.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
        || state.any_host_port.is_some_and(|p| {
            host.rsplit_once(':')
                .is_some_and(|(_, port)| port == p.to_string())
        });
    let mut resp = if !host_ok {
        error(
            StatusCode::MISDIRECTED_REQUEST,
            "this server answers only to the address it serves",
        )
    } else if req.method() != Method::GET
        && req.method() != Method::HEAD
        && !token_ok(&state, req.headers())
    {
        error(StatusCode::FORBIDDEN, "a write needs the page's token")
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn token_ok(state: &UiState, headers: &HeaderMap) -> bool {
    let given = headers
        .get(TOKEN_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or(b"");
    // Same length and every byte compared: no early exit to time.
    given.len() == state.token.len()
        && given
            .iter()
            .zip(state.token.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn index(State(state): State<Arc<UiState>>) -> Response {
    // The token is hex, so it needs no escaping inside the attribute.
    let page = INDEX.replace("{{TOKEN}}", &state.token);
    asset("text/html; charset=utf-8", page)
}

fn asset(content_type: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error(status, &self.1)
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    filter: String,
    #[serde(default = "default_page")]
    max_results: usize,
    page_token: Option<String>,
}

fn default_page() -> usize {
    50
}

async fn list(
    State(state): State<Arc<UiState>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let state2 = state.clone();
    let out = blocking(move || {
        state2
            .backend
            .list(&q.filter, q.max_results, q.page_token.as_deref())
    })
    .await?;
    Ok(Json(out).into_response())
}

async fn one(
    State(state): State<Arc<UiState>>,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let out = blocking(move || state.backend.get(&id)).await?;
    Ok(Json(out).into_response())
}

async fn feedback(
    State(state): State<Arc<UiState>>,
    Path(id): Path<String>,
    Json(input): Json<FeedbackInput>,
) -> Result<Response, UiError> {
    let out = blocking(move || state.backend.feedback(&id, &input)).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Store reads touch the disk: off the runtime's one thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UiError> + Send + 'static,
) -> Result<T, UiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| UiError(500, e.to_string()))?
}
