//! One span as recorded: ids, name, times, status, attributes (JSON text), events, links.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::{RawJson, SpanId, SpanName, TraceId};

/// A span's status code, as OTLP names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// `STATUS_CODE_OK` etc., the form of stored span dicts.
    pub fn otel_name(self) -> &'static str {
        match self {
            StatusCode::Unset => "STATUS_CODE_UNSET",
            StatusCode::Ok => "STATUS_CODE_OK",
            StatusCode::Error => "STATUS_CODE_ERROR",
        }
    }

    /// `OK`, `ERROR`, `UNSET`: MLflow's `SpanStatusCode` values.
    pub fn short_name(self) -> &'static str {
        match self {
            StatusCode::Unset => "UNSET",
            StatusCode::Ok => "OK",
            StatusCode::Error => "ERROR",
        }
    }

    /// Accepts `OK`, `ERROR`, `UNSET` in any case, and the `STATUS_CODE_` forms.
    pub fn parse(s: &str) -> Option<Self> {
        let up = s.trim().to_ascii_uppercase();
        match up.strip_prefix("STATUS_CODE_").unwrap_or(&up) {
            "OK" => Some(StatusCode::Ok),
            "ERROR" => Some(StatusCode::Error),
            "UNSET" => Some(StatusCode::Unset),
            _ => None,
        }
    }
}

/// Status code plus description (`"<ExcType>: <message>"` for exceptions).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SpanStatus {
    pub code: StatusCode,
    pub message: String,
}

/// How many attributes a span keeps without a heap allocation: what the bindings set on a
/// traced call (type, function name, inputs, outputs, log level) plus one.
pub const INLINE_ATTRIBUTES: usize = 6;

/// Ordered attributes; setting an existing key replaces its value in place. Up to
/// [`INLINE_ATTRIBUTES`] live inside the span itself: most spans never allocate for them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes(SmallVec<[(Cow<'static, str>, RawJson); INLINE_ATTRIBUTES]>);

impl Attributes {
    pub fn new() -> Self {
        Attributes(SmallVec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Attributes(SmallVec::with_capacity(n))
    }

    /// Sets `key` to `value`, replacing an earlier value of the same key.
    #[inline]
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: RawJson) {
        let key = key.into();
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }

    /// Appends `key`, which the caller knows is not set yet (no search for it).
    #[inline]
    pub(crate) fn push_absent(&mut self, key: &'static str, value: RawJson) {
        debug_assert!(self.get(key).is_none(), "{key} is already set");
        self.0.push((Cow::Borrowed(key), value));
    }

    pub fn get(&self, key: &str) -> Option<&RawJson> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &str) -> Option<RawJson> {
        let pos = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(pos).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawJson)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A timestamped event on a span (`exception`, `mlflow.chunk.item.N`, user events).
#[derive(Clone, Debug, PartialEq)]
pub struct SpanEvent {
    pub name: String,
    pub time_ns: u64,
    pub attributes: Attributes,
}

/// A link to a span of another (or the same) trace.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanLink {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub attributes: Attributes,
}

/// A finished (or, inside the tracer, still open) span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanRecord {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: SpanName,
    pub start_ns: u64,
    /// 0 while the span is open.
    pub end_ns: u64,
    pub status: SpanStatus,
    pub attributes: Attributes,
    pub events: Vec<SpanEvent>,
    pub links: Vec<SpanLink>,
}

impl SpanRecord {
    /// The span type (`mlflow.spanType`), if set.
    pub fn span_type(&self) -> Option<String> {
        self.attributes
            .get(super::keys::attr::SPAN_TYPE)
            .and_then(RawJson::as_plain_string)
    }
}

#[cfg(test)]
mod tests;
