//! A trace whose root has not ended yet: finished spans collect here until the root seals it.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::Tracer;
use crate::model::{SpanRecord, StatusCode, Trace, TraceId, TraceInfo, TraceState};
use crate::stats::{DropReason, Stats};

/// Trace-level data set while the trace runs (`update_current_trace`, context tags).
#[derive(Clone, Debug, Default)]
pub struct TraceDraft {
    pub tags: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    pub request_preview: Option<String>,
    pub response_preview: Option<String>,
    pub client_request_id: Option<String>,
    /// Overrides the state derived from the root span's status.
    pub state: Option<TraceState>,
    pub experiment_id: Option<String>,
}

/// What `update_current_trace` / `updateCurrentTrace` may change, as both bindings pass it.
/// `session_id`, `user` and `model_id` become the metadata keys MLflow reads.
#[derive(Clone, Debug, Default)]
pub struct TraceUpdate {
    pub tags: Vec<(String, String)>,
    pub metadata: Vec<(String, String)>,
    pub client_request_id: Option<String>,
    pub request_preview: Option<String>,
    pub response_preview: Option<String>,
    /// `"OK"` or `"ERROR"`; overrides the state derived from the root span's status.
    pub state: Option<String>,
    pub session_id: Option<String>,
    pub user: Option<String>,
    pub model_id: Option<String>,
}

impl TraceUpdate {
    /// Checks the update and applies it to `draft`. An invalid state changes nothing.
    pub(crate) fn apply(self, draft: &mut TraceDraft) {
        use crate::model::keys::meta;
        draft.tags.extend(self.tags);
        draft.metadata.extend(self.metadata);
        for (key, value) in [
            (meta::SESSION, self.session_id),
            (meta::USER, self.user),
            (meta::MODEL_ID, self.model_id),
        ] {
            if let Some(v) = value {
                draft.metadata.insert(key.to_owned(), v);
            }
        }
        if self.client_request_id.is_some() {
            draft.client_request_id = self.client_request_id;
        }
        if self.request_preview.is_some() {
            draft.request_preview = self.request_preview;
        }
        if self.response_preview.is_some() {
            draft.response_preview = self.response_preview;
        }
        if let Some(state) = self.state.as_deref().and_then(parse_update_state) {
            draft.state = Some(state);
        }
    }

    /// The error to raise for an invalid `state`, if any.
    pub fn validate(&self) -> crate::Result<()> {
        match self.state.as_deref() {
            Some(s) if parse_update_state(s).is_none() => Err(crate::Error::InvalidArgument(
                format!("invalid trace state {s:?}: use 'OK' or 'ERROR'"),
            )),
            _ => Ok(()),
        }
    }
}

fn parse_update_state(s: &str) -> Option<TraceState> {
    TraceState::parse(s).filter(|s| matches!(s, TraceState::Ok | TraceState::Error))
}

pub(crate) struct OpenTrace {
    pub(crate) id: TraceId,
    pub(crate) sampled: bool,
    pub(crate) tracer: Tracer,
    /// Set for a trace the sampling ratio dropped but the tail rule records: kept at seal only
    /// if the rule says so. Off (0) for every other trace.
    pub(crate) tail: crate::process::TailRule,
    fork_generation: u64,
    buf: Mutex<Buf>,
}

#[derive(Default)]
struct Buf {
    spans: Vec<Arc<SpanRecord>>,
    draft: TraceDraft,
    sealed: bool,
    /// What the trace timeout needs to end a root the binding still holds (set only when a
    /// timeout is configured).
    root_stub: Option<RootStub>,
}

/// The root's identity and start, kept for the trace timeout.
pub(crate) struct RootStub {
    pub(crate) span_id: crate::model::SpanId,
    pub(crate) parent_id: Option<crate::model::SpanId>,
    pub(crate) name: String,
    pub(crate) start_ns: u64,
}

impl OpenTrace {
    pub(crate) fn new(id: TraceId, sampled: bool, tracer: Tracer) -> Self {
        OpenTrace {
            id,
            sampled,
            tracer,
            tail: crate::process::TailRule::default(),
            fork_generation: crate::pipeline::fork::generation(),
            buf: Mutex::default(),
        }
    }

    /// Records this ratio-dropped trace tentatively, to be decided by `rule` at seal.
    pub(crate) fn tentative(mut self, rule: crate::process::TailRule) -> Self {
        self.tail = rule;
        self
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut TraceDraft)) -> bool {
        let mut buf = self.buf.lock();
        if buf.sealed {
            return false;
        }
        f(&mut buf.draft);
        true
    }

    pub(crate) fn finish_span(&self, rec: Arc<SpanRecord>, is_root: bool) {
        let stats = &self.tracer.inner.stats;
        Stats::inc(&stats.spans_ended);
        if !self.sampled {
            return;
        }
        let mut buf = self.buf.lock();
        if buf.sealed {
            drop(buf);
            stats.drop_counted(DropReason::SpanAfterRootEnded, 0, 1);
            crate::diag::warn(
                "span_after_root",
                format!(
                    "span {:?} of trace {} ended after its root span; it is not exported",
                    rec.name, self.id
                ),
            );
            return;
        }
        buf.spans.push(rec.clone());
        if !is_root {
            return;
        }
        self.seal(buf, &rec);
    }

    pub(crate) fn watch_root(&self, stub: RootStub) {
        self.buf.lock().root_stub = Some(stub);
    }

    pub(crate) fn is_sealed(&self) -> bool {
        self.buf.lock().sealed
    }

    /// The trace timeout: ends the root MLflow's way (status ERROR and an exception event) and
    /// exports the trace with what has ended so far. Spans that end later are counted as ended
    /// after their root. Returns false if the trace was already sealed.
    pub(crate) fn expire(&self, message: &str) -> bool {
        let mut buf = self.buf.lock();
        if buf.sealed {
            return false;
        }
        let Some(stub) = buf.root_stub.take() else {
            return false;
        };
        let now = super::now_ns();
        let mut attributes = crate::model::Attributes::with_capacity(3);
        attributes.set("exception.message", crate::model::RawJson::string(message));
        attributes.set(
            "exception.type",
            crate::model::RawJson::string("MlflowTracingException"),
        );
        attributes.set(
            "exception.stacktrace",
            crate::model::RawJson::string(&format!("MlflowTracingException: {message}")),
        );
        let mut root_attrs = crate::model::Attributes::with_capacity(1);
        root_attrs.set(
            crate::model::keys::attr::LOG_LEVEL,
            crate::model::RawJson::int(40),
        );
        let rec = Arc::new(SpanRecord {
            trace_id: self.id,
            span_id: stub.span_id,
            parent_id: stub.parent_id,
            name: stub.name,
            start_ns: stub.start_ns,
            end_ns: now.max(stub.start_ns),
            status: crate::model::SpanStatus {
                code: StatusCode::Error,
                message: String::new(),
            },
            attributes: root_attrs,
            events: vec![crate::model::SpanEvent {
                name: "exception".into(),
                time_ns: now,
                attributes,
            }],
            links: Vec::new(),
        });
        buf.spans.push(rec.clone());
        self.seal(buf, &rec);
        true
    }

    /// Takes the collected spans and hands the whole trace to the export queue.
    fn seal(&self, mut buf: parking_lot::MutexGuard<'_, Buf>, rec: &SpanRecord) {
        let stats = &self.tracer.inner.stats;
        buf.sealed = true;
        let spans = std::mem::take(&mut buf.spans);
        let draft = std::mem::take(&mut buf.draft);
        drop(buf);
        let state = draft
            .state
            .unwrap_or(if rec.status.code == StatusCode::Error {
                TraceState::Error
            } else {
                TraceState::Ok
            });
        let duration_ns = rec.end_ns.saturating_sub(rec.start_ns);
        if self.tail.is_on() && !self.tail.keeps(state == TraceState::Error, duration_ns) {
            Stats::inc(&stats.traces_sampled_out);
            return;
        }
        Stats::inc(&stats.traces_completed);
        self.tracer.set_last_trace_id(self.id);
        if self.fork_generation != crate::pipeline::fork::generation() {
            stats.drop_counted(DropReason::InheritedByFork, 1, spans.len() as u64);
            return;
        }
        let info = TraceInfo {
            trace_id: self.id,
            experiment_id: draft.experiment_id,
            request_time_ms: rec.start_ns / 1_000_000,
            execution_duration_ms: duration_ns / 1_000_000,
            state,
            request_preview: draft.request_preview,
            response_preview: draft.response_preview,
            client_request_id: draft.client_request_id,
            metadata: draft.metadata,
            tags: draft.tags,
        };
        self.tracer.submit(Box::new(Trace { info, spans }));
    }
}
