//! A trace whose root has not ended yet: finished spans collect here until the root seals it.

use std::collections::BTreeMap;
use std::sync::Arc;

mod spin;

use self::spin::{SpinGuard, SpinMutex};
use super::Tracer;
use crate::model::{SpanRecord, StatusCode, Trace, TraceId, TraceInfo, TraceState};
use crate::pipeline::{Sealed, TraceSource};
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
    /// Sends this trace to another experiment of the configured server (`trace_destination`,
    /// context-local `set_destination`).
    pub experiment_id: Option<String>,
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
        // The destination is chosen once, as the root starts: the root's own
        // `trace_destination` is applied first and wins over a context-local one applied after.
        if draft.experiment_id.is_none() {
            draft.experiment_id = self.experiment_id;
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
    /// A trace timeout is set: open spans are tracked (and their attributes mirrored) so an
    /// expired trace can be exported whole. False costs the hot path one branch.
    pub(crate) watched: bool,
    pub(crate) tracer: Tracer,
    /// Set for a trace the sampling ratio dropped but the tail rule records: kept at seal only
    /// if the rule says so. Off (0) for every other trace.
    pub(crate) tail: crate::process::TailRule,
    fork_generation: u64,
    /// Taken by every span end: a spin lock, released with a plain store.
    buf: SpinMutex<Buf>,
}

#[derive(Default)]
struct Buf {
    spans: crate::model::SpanList,
    draft: TraceDraft,
    sealed: bool,
    /// Sealed by `MLFLOW_TRACE_BUFFER_TTL_SECONDS` (see [`OpenTrace::abandon`]): spans that end
    /// later are counted with the trace, not as ended after their root.
    abandoned: bool,
    /// The sealed trace until the export worker takes it ([`Sealed::take`]): it travels inside
    /// this allocation, so sealing allocates nothing for it.
    out: Option<Trace>,
    /// Ended child leaves recorded in a batch (`leaves.rs`): their records are built from the
    /// batch by the export worker, as it takes the trace.
    leaves: Vec<(Arc<super::LeafBatch>, u32)>,
    /// The spans the bindings still hold, as far as the trace timeout needs them (only when
    /// `watched`).
    open: Vec<OpenStub>,
}

/// A copy of an open span for the trace timeout: identity, start, name and attributes.
pub(crate) struct OpenStub {
    pub(crate) span_id: crate::model::SpanId,
    pub(crate) parent_id: Option<crate::model::SpanId>,
    pub(crate) name: crate::model::SpanName,
    pub(crate) start_ns: u64,
    pub(crate) attributes: crate::model::Attributes,
    pub(crate) is_root: bool,
}

impl OpenTrace {
    pub(crate) fn new(id: TraceId, sampled: bool, watched: bool, tracer: Tracer) -> Self {
        OpenTrace {
            id,
            sampled,
            watched,
            tracer,
            tail: crate::process::TailRule::default(),
            fork_generation: crate::runtime::fork::generation(),
            buf: SpinMutex::default(),
        }
    }

    /// This trace with its root already ended (a recorded leaf's, see `leaves.rs`): nothing
    /// more is collected or changed.
    pub(crate) fn sealed(self) -> Self {
        self.buf.lock().sealed = true;
        self
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

    /// Collects an ended span. By reference: the one clone is the list's, so a span costs no
    /// reference-count increment and decrement beyond that (each a locked instruction).
    pub(crate) fn finish_span(self: &Arc<Self>, rec: &Arc<SpanRecord>, is_root: bool) {
        let stats = &self.tracer.inner.stats;
        stats.spans.ended();
        if !self.sampled {
            return;
        }
        let mut buf = self.buf.lock();
        if buf.sealed {
            let abandoned = buf.abandoned;
            drop(buf);
            self.ended_after_root(&rec.name, abandoned);
            return;
        }
        if self.watched {
            buf.open.retain(|s| s.span_id != rec.span_id);
        }
        buf.spans.push(rec.clone());
        if !is_root {
            return;
        }
        self.seal(buf, rec);
    }

    /// Collects an ended child leaf of a recorded batch (see `leaves.rs`); counted as ended by
    /// the batch.
    pub(crate) fn finish_leaf(&self, batch: &Arc<super::LeafBatch>, i: u32) {
        if !self.sampled {
            return;
        }
        let mut buf = self.buf.lock();
        if buf.sealed {
            let abandoned = buf.abandoned;
            drop(buf);
            self.ended_after_root(batch.name(i as usize), abandoned);
            return;
        }
        buf.leaves.push((batch.clone(), i));
    }

    /// A span `name` ended after this trace was sealed: counted and reported, not exported. In
    /// a trace abandoned by the buffer TTL it is counted with the trace (reported once, then).
    #[cold]
    fn ended_after_root(&self, name: &str, abandoned: bool) {
        let stats = &self.tracer.inner.stats;
        if abandoned {
            stats.drop_counted(DropReason::TraceBufferTtl, 0, 1);
            return;
        }
        stats.drop_counted(DropReason::SpanAfterRootEnded, 0, 1);
        crate::diag::warn(
            "span_after_root",
            format!(
                "span {name:?} of trace {} ended after its root span; it is not exported",
                self.id
            ),
        );
    }

    /// Tracks a span the binding now holds (only when `watched`).
    pub(crate) fn track_open(&self, stub: OpenStub) {
        let mut buf = self.buf.lock();
        if !buf.sealed {
            buf.open.push(stub);
        }
    }

    /// Applies a change the binding made to an open span to its copy (only when `watched`).
    pub(crate) fn mirror(&self, span_id: crate::model::SpanId, f: impl FnOnce(&mut OpenStub)) {
        let mut buf = self.buf.lock();
        if let Some(stub) = buf.open.iter_mut().rev().find(|s| s.span_id == span_id) {
            f(stub);
        }
    }

    pub(crate) fn is_sealed(&self) -> bool {
        self.buf.lock().sealed
    }

    pub(crate) fn is_abandoned(&self) -> bool {
        self.buf.lock().abandoned
    }

    /// `MLFLOW_TRACE_BUFFER_TTL_SECONDS`: MLflow forgets a trace still open that long after it
    /// started, so it is never exported. The same here: what it collected is let go now and
    /// counted as dropped (`trace_buffer_ttl`), as is every span of it that ends later. Returns
    /// the spans let go, `None` if the trace was already sealed.
    pub(crate) fn abandon(&self) -> Option<u64> {
        let mut buf = self.buf.lock();
        if buf.sealed {
            return None;
        }
        buf.sealed = true;
        buf.abandoned = true;
        let spans = std::mem::take(&mut buf.spans);
        let leaves = std::mem::take(&mut buf.leaves);
        buf.open = Vec::new();
        buf.draft = TraceDraft::default();
        drop(buf);
        let n = spans.len() as u64 + leaves.len() as u64;
        self.tracer
            .inner
            .stats
            .drop_counted(DropReason::TraceBufferTtl, 1, n);
        Some(n)
    }

    /// The trace timeout: ends the root MLflow's way (status ERROR and an exception event) with
    /// the inputs and attributes it has so far, ends every span still open the same way (MLflow
    /// leaves those out), and exports the trace. Spans that end later are counted as ended
    /// after their root. Returns false if the trace was already sealed.
    pub(crate) fn expire(self: &Arc<Self>, message: &str) -> bool {
        let mut buf = self.buf.lock();
        if buf.sealed {
            return false;
        }
        let open = std::mem::take(&mut buf.open);
        let Some(root_id) = open.iter().find(|s| s.is_root).map(|s| s.span_id) else {
            buf.open = open;
            return false;
        };
        let now = crate::runtime::now_ns();
        let mut root = None;
        for stub in open {
            let is_root = stub.span_id == root_id;
            let text = if is_root {
                message.to_owned()
            } else {
                format!(
                    "Span {:?} was still open when its trace timed out: {message}",
                    stub.name
                )
            };
            let rec = Arc::new(timed_out_record(self.id, stub, &text, now));
            if is_root {
                root = Some(rec.clone());
            }
            buf.spans.push(rec);
        }
        match root {
            Some(rec) => self.seal(buf, &rec),
            None => return false,
        }
        true
    }

    /// Takes the collected spans and hands the whole trace to the export queue.
    fn seal(self: &Arc<Self>, mut buf: SpinGuard<'_, Buf>, rec: &SpanRecord) {
        let stats = &self.tracer.inner.stats;
        buf.sealed = true;
        let spans = std::mem::take(&mut buf.spans);
        let draft = std::mem::take(&mut buf.draft);
        // Taken too, so a trace dropped below lets its batches go.
        let leaf_list = std::mem::take(&mut buf.leaves);
        let leaves = leaf_list.len() as u64;
        let state = draft
            .state
            .unwrap_or(if rec.status.code == StatusCode::Error {
                TraceState::Error
            } else {
                TraceState::Ok
            });
        let duration_ns = rec.end_ns.saturating_sub(rec.start_ns);
        if self.tail.is_on() && !self.tail.keeps(state == TraceState::Error, duration_ns) {
            drop(buf);
            Stats::inc(&stats.traces_sampled_out);
            return;
        }
        Stats::inc(&stats.traces_completed);
        self.tracer.set_last_trace_id(self.id);
        if self.fork_generation != crate::runtime::fork::generation() {
            drop(buf);
            stats.drop_counted(DropReason::InheritedByFork, 1, spans.len() as u64 + leaves);
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
        let trace = Trace { info, spans };
        let leaf_bytes: u64 = leaf_list.iter().map(|(b, i)| b.child_bytes(*i)).sum();
        let (bytes, span_count) = (
            crate::pipeline::estimate_bytes(&trace) + leaf_bytes,
            trace.spans.len() as u64 + leaves,
        );
        buf.out = Some(trace);
        buf.leaves = leaf_list;
        drop(buf);
        self.tracer
            .submit(Sealed::new(self.clone(), 0), bytes, span_count);
    }
}

/// A sealed trace travels to the export worker inside its open trace's allocation (a reference
/// count instead of a Box per trace: one allocation fewer on the application thread, and one free
/// fewer on the worker's).
impl TraceSource for OpenTrace {
    /// The trace, moved out (taken once: by the worker, the overflow thread or the exit rescue).
    fn take_trace(&self, _index: u32) -> Trace {
        let (trace, leaves) = {
            let mut buf = self.buf.lock();
            (buf.out.take(), std::mem::take(&mut buf.leaves))
        };
        let mut trace = trace.unwrap_or_default();
        // Built here, on the worker's thread (see `leaves.rs`).
        for (batch, i) in leaves {
            trace.spans.push(Arc::new(batch.record(i as usize)));
        }
        trace
    }
}

/// An open span ended by the trace timeout: status ERROR, an `exception` event of type
/// `MlflowTracingException` with `message`, log level ERROR (MLflow's marks on an expired root).
fn timed_out_record(trace_id: TraceId, stub: OpenStub, message: &str, now: u64) -> SpanRecord {
    use crate::model::{keys::attr, RawJson, SpanEvent, SpanStatus};
    let mut event = crate::model::Attributes::with_capacity(3);
    event.set("exception.message", RawJson::string(message));
    event.set("exception.type", RawJson::string("MlflowTracingException"));
    event.set(
        "exception.stacktrace",
        RawJson::string(&format!("MlflowTracingException: {message}")),
    );
    let mut attributes = stub.attributes;
    attributes.set(attr::LOG_LEVEL, RawJson::int(40));
    SpanRecord {
        trace_id,
        span_id: stub.span_id,
        parent_id: stub.parent_id,
        name: stub.name,
        start_ns: stub.start_ns,
        end_ns: now.max(stub.start_ns),
        status: SpanStatus {
            code: StatusCode::Error,
            message: String::new(),
        },
        attributes,
        events: vec![SpanEvent {
            name: "exception".into(),
            time_ns: now,
            attributes: event,
        }],
        links: Vec::new(),
    }
}
