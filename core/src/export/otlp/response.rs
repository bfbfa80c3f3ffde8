//! What a collector answers: `ExportTraceServiceResponse` (partial success) on 2xx, a
//! `google.rpc.Status` or text on failure.

#![allow(missing_docs)]

use prost::Message as _;

/// `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportTraceServiceResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<ExportTracePartialSuccess>,
}

/// `opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportTracePartialSuccess {
    #[prost(int64, tag = "1")]
    rejected_spans: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

/// `google.rpc.Status` (only the message is read).
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// Rejected spans and the collector's message, when a 2xx answer reports a partial success.
pub(super) fn partial_success(body: &[u8]) -> Option<(i64, String)> {
    let p = ExportTraceServiceResponse::decode(body)
        .ok()?
        .partial_success?;
    (p.rejected_spans > 0 || !p.error_message.is_empty())
        .then_some((p.rejected_spans, p.error_message))
}

/// The collector's message in a failure answer (at most 500 characters).
pub(super) fn error_message(body: &[u8], protobuf: bool) -> String {
    if protobuf {
        if let Ok(s) = RpcStatus::decode(body) {
            if !s.message.is_empty() {
                return truncate(&s.message);
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "no message".into()
    } else {
        truncate(text)
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests;
