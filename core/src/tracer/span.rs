//! A span while it is open, owned by the binding until it ends.

use std::borrow::Cow;
use std::sync::Arc;

use super::open_trace::OpenTrace;
use super::record::OpenRecord;
use crate::model::keys::attr;
use crate::model::{RawJson, SpanEvent, SpanId, SpanRecord, StatusCode, TraceId};
use crate::runtime::now_ns;

/// Span types MLflow logs at INFO by default; every other type defaults to DEBUG.
const INFO_SPAN_TYPES: [&str; 6] = [
    "\"LLM\"",
    "\"CHAT_MODEL\"",
    "\"TOOL\"",
    "\"RETRIEVER\"",
    "\"AGENT\"",
    "\"EMBEDDING\"",
];
const LEVEL_ERROR: i64 = 40;

/// What a child needs from its parent: the trace and the parent's span id. Cheap to clone; the
/// bindings keep it as the "current span" in contextvars / AsyncLocalStorage.
#[derive(Clone)]
pub struct SpanContext {
    pub(crate) trace: Arc<OpenTrace>,
    pub(crate) span_id: SpanId,
}

impl SpanContext {
    pub fn trace_id(&self) -> TraceId {
        self.trace.id
    }

    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// Whether the trace is kept (sampling is decided once, at the root).
    pub fn sampled(&self) -> bool {
        self.trace.sampled
    }

    /// The `traceparent` to send to a downstream service. The trace is remembered as
    /// propagated: a span continued from this header in this same process, while the trace is
    /// still open, joins it (see [`super::Tracer::start_root`]).
    pub fn traceparent(&self) -> crate::model::TraceParent {
        self.trace.tracer.note_propagated(&self.trace);
        crate::model::TraceParent {
            trace_id: self.trace.id,
            parent_id: self.span_id,
            // A trace kept only tentatively (tail rule) is unsampled as far as the ratio goes.
            sampled: self.trace.sampled && !self.trace.tail.is_on(),
        }
    }

    /// Changes trace-level data (tags, metadata, previews, state) before the trace is sealed.
    /// Returns `false` when the trace has already been sealed.
    pub fn update_trace(&self, f: impl FnOnce(&mut super::TraceDraft)) -> bool {
        self.trace.update(f)
    }

    /// Applies `update_current_trace`'s arguments. `Err` for an invalid state (nothing changed);
    /// `Ok(false)` when the trace has already been sealed.
    pub fn apply_update(&self, update: super::TraceUpdate) -> crate::Result<bool> {
        update.validate()?;
        Ok(self.trace.update(|d| update.apply(d)))
    }
}

/// An open span. All setters are plain field writes; nothing here locks or allocates beyond the
/// values given. [`LiveSpan::end`] hands the record to its trace.
pub struct LiveSpan {
    pub(crate) ctx: SpanContext,
    pub(crate) rec: OpenRecord,
    pub(crate) is_root: bool,
}

impl Drop for LiveSpan {
    /// A span dropped without `end()` is counted, never lost silently; a root takes its trace.
    /// (`end` consumes the span without running this.)
    fn drop(&mut self) {
        if self.ctx.trace.sampled {
            let stats = &self.ctx.trace.tracer.inner.stats;
            if self.ctx.trace.is_abandoned() {
                // Its trace is counted already (`trace_buffer_ttl`); so is this span, with it.
                stats.drop_counted(crate::stats::DropReason::TraceBufferTtl, 0, 1);
                return;
            }
            stats.drop_counted(
                crate::stats::DropReason::SpanNotEnded,
                u64::from(self.is_root),
                1,
            );
        }
    }
}

impl LiveSpan {
    pub fn context(&self) -> &SpanContext {
        &self.ctx
    }

    pub fn is_root(&self) -> bool {
        self.is_root
    }

    /// The record as it is now.
    pub fn record(&self) -> &SpanRecord {
        &self.rec
    }

    /// Direct access for bindings that set many fields at once.
    pub fn record_mut(&mut self) -> &mut SpanRecord {
        &mut self.rec
    }

    #[inline]
    pub fn set_attribute(&mut self, key: impl Into<Cow<'static, str>>, value: RawJson) {
        let key = key.into();
        if self.ctx.trace.watched {
            super::timeout::mirror_attribute(self, &key, &value);
        }
        self.rec.attributes.set(key, value);
    }

    pub fn set_name(&mut self, name: impl Into<crate::model::SpanName>) {
        self.rec.name = name.into();
        if self.ctx.trace.watched {
            super::timeout::mirror_name(self);
        }
    }

    pub fn set_status(&mut self, code: StatusCode, message: impl Into<String>) {
        self.rec.status.code = code;
        self.rec.status.message = message.into();
    }

    /// Adds an event; an `exception` event raises the log level to at least ERROR (as MLflow).
    pub fn add_event(&mut self, event: SpanEvent) {
        if event.name == "exception" {
            let level = self
                .rec
                .attributes
                .get(attr::LOG_LEVEL)
                .and_then(|v| v.as_str().parse::<i64>().ok());
            if level.is_none_or(|l| l < LEVEL_ERROR) {
                self.rec
                    .attributes
                    .set(attr::LOG_LEVEL, RawJson::int(LEVEL_ERROR));
            }
        }
        self.rec.events.push(event);
    }

    /// Records an exception the way MLflow does: an `exception` event with type, message and
    /// stack trace, and status ERROR with `"<Type>: <message>"`.
    pub fn record_exception(&mut self, type_name: &str, message: &str, stacktrace: &str) {
        let mut attributes = crate::model::Attributes::with_capacity(3);
        attributes.set("exception.message", RawJson::string(message));
        attributes.set("exception.type", RawJson::string(type_name));
        attributes.set("exception.stacktrace", RawJson::string(stacktrace));
        self.add_event(SpanEvent {
            name: "exception".into(),
            time_ns: now_ns(),
            attributes,
        });
        self.set_status(StatusCode::Error, format!("{type_name}: {message}"));
    }

    /// Ends the span at `end_ns` (now if `None`) and returns the finished record. A status still
    /// UNSET becomes OK and the log level defaults from the span type, as in MLflow. Ending the
    /// root seals the trace and queues it for export.
    pub fn end(self, end_ns: Option<u64>) -> Arc<SpanRecord> {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.finish(end_ns);
        // SAFETY: `this` is never used or dropped again, so each field is moved out once; the
        // only other field, `is_root`, is `Copy`.
        let (ctx, rec) = unsafe { (std::ptr::read(&this.ctx), std::ptr::read(&this.rec)) };
        let rec = rec.share();
        ctx.trace.finish_span(&rec, this.is_root);
        rec
    }

    /// End time, default status and log level: what `end` writes before the record is shared.
    #[inline]
    fn finish(&mut self, end_ns: Option<u64>) {
        self.rec.end_ns = end_ns.unwrap_or_else(now_ns).max(self.rec.start_ns);
        if self.rec.status.code == StatusCode::Unset {
            self.rec.status.code = StatusCode::Ok;
        }
        // Unsampled spans are never exported: skip what only the export would read.
        if self.ctx.trace.sampled && self.rec.attributes.get(attr::LOG_LEVEL).is_none() {
            let level = default_log_level(self.rec.attributes.get(attr::SPAN_TYPE));
            // Absent (checked above): appended without a second search.
            self.rec.attributes.push_absent(attr::LOG_LEVEL, level);
        }
    }
}

/// MLflow's log level for a span of type `span_type` (JSON text) that set none: INFO for the
/// types it logs at INFO, else DEBUG. Static text: no allocation.
#[inline]
pub(super) fn default_log_level(span_type: Option<&RawJson>) -> RawJson {
    let info = span_type.is_some_and(|t| INFO_SPAN_TYPES.contains(&t.as_str()));
    RawJson::from_static(if info { "20" } else { "10" })
}
