//! The HTTP details under [`super::MlflowClient`]: methods, request bodies, and answers mapped
//! to classified errors with the server's message.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

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

pub(crate) fn parse_json_response(method: Method, path: &str, bytes: &[u8]) -> Result<Value> {
    parse_answer(method, path, bytes, Value::Object(Default::default()))
}

/// Checks that a 2xx answer is a JSON object (or empty) without keeping it: what the exporter
/// does with the StartTraceV3 answer, an echo of the trace info it has no use for. An answer
/// framed as an object (`{` ... `}`) is taken as one without parsing it: the check is there to
/// name a tracking URI that is no MLflow server (an HTML login page, a proxy's text); anything
/// else is parsed, as for [`parse_json_response`].
pub(crate) fn check_json_response(method: Method, path: &str, bytes: &[u8]) -> Result<()> {
    let text = bytes.trim_ascii();
    if text.first() == Some(&b'{') && text.last() == Some(&b'}') {
        return Ok(());
    }
    parse_answer(method, path, bytes, serde::de::IgnoredAny).map(|_| ())
}

/// An answer decoded as `T`, `empty` for an empty body; not JSON is refused.
fn parse_answer<T: serde::de::DeserializeOwned>(
    method: Method,
    path: &str,
    bytes: &[u8],
    empty: T,
) -> Result<T> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Ok(empty);
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

pub(crate) fn truncate(s: &str, max: usize) -> String {
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
