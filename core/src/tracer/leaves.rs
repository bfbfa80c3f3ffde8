//! HOT PATH: ended leaf spans recorded a batch at a time.
//!
//! A traced call that nothing looked at while it ran (a *leaf*: no child, nobody read it) is
//! fully known when it ends: name, type, times, inputs and outputs, and its parent. A binding
//! that collects such leaves hands them over in one [`Tracer::record_leaves`] call. On the
//! application thread each leaf then costs its ids and, for a root (a one-span trace), its
//! sampling decision and a queue slot, for a child a push onto its open trace: no open trace,
//! no span record, no allocation (one per batch). The export worker builds the records from the
//! batch when it takes the trace ([`LeafBatch::trace`], `Sealed::take`), so they are allocated
//! and freed on the worker's thread, and the application thread's malloc cache is not emptied
//! by frees on another thread.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::open_trace::OpenTrace;
use super::span::{default_log_level, SpanContext};
use super::{unsampled, Tracer};
use crate::model::keys::attr;
use crate::model::{
    Attributes, RawJson, SpanId, SpanList, SpanName, SpanRecord, SpanStatus, StatusCode, Trace,
    TraceId, TraceInfo, TraceState,
};
use crate::pipeline::{Sealed, TraceSource};
use crate::process::TailRule;

/// One ended leaf as a binding describes it: its parent (`None`: a root, the trace's only
/// span), its span's name and type (JSON text), wall-clock start and end (unix ns), and where
/// its inputs and outputs JSON sit in the batch's text.
pub struct LeafSpec<'a> {
    pub parent: Option<&'a SpanContext>,
    pub name: &'a SpanName,
    pub span_type: &'a RawJson,
    pub start_ns: u64,
    pub end_ns: u64,
    pub inputs: Range<usize>,
    pub outputs: Range<usize>,
}

/// A recorded leaf's identity and sampling decision: enough to give its span's context later.
#[derive(Clone, Copy, Debug)]
pub struct LeafIds {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    sampled: bool,
    /// The tail rule that recorded this ratio-dropped trace (off for every other).
    tail: TailRule,
}

impl LeafIds {
    /// The context of the leaf's span, ended with its trace sealed: a child started under it
    /// is counted as ended after its root, and trace updates are refused, as for any span
    /// whose trace has ended.
    pub fn context(&self, tracer: &Tracer) -> SpanContext {
        let trace = OpenTrace::new(self.trace_id, self.sampled, false, tracer.clone())
            .tentative(self.tail)
            .sealed();
        SpanContext {
            trace: Arc::new(trace),
            span_id: self.span_id,
        }
    }

    /// Whether the trace is kept (sampling is decided once, at the root).
    pub fn sampled(&self) -> bool {
        self.sampled
    }
}

struct Leaf {
    ids: LeafIds,
    /// A child's open trace and parent span.
    parent: Option<(Arc<OpenTrace>, SpanId)>,
    /// Sampled and kept by the tail rule (if it applied): queued for export.
    queued: bool,
    name: SpanName,
    span_type: RawJson,
    start_ns: u64,
    end_ns: u64,
    inputs: (u32, u32),
    outputs: (u32, u32),
}

impl Leaf {
    fn new(
        ids: LeafIds,
        parent: Option<(Arc<OpenTrace>, SpanId)>,
        queued: bool,
        spec: &LeafSpec<'_>,
        end_ns: u64,
        inputs: (u32, u32),
        outputs: (u32, u32),
    ) -> Leaf {
        Leaf {
            ids,
            parent,
            queued,
            name: spec.name.clone(),
            span_type: spec.span_type.clone(),
            start_ns: spec.start_ns,
            end_ns,
            inputs,
            outputs,
        }
    }
}

/// Leaves recorded by one [`Tracer::record_leaves`] call, with the text their inputs and
/// outputs are cut from. Shared by the export queue (a slot per kept leaf) and whatever the
/// binding keeps to read a leaf's span later.
pub struct LeafBatch {
    text: String,
    leaves: Vec<Leaf>,
}

impl LeafBatch {
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The size of the batch's text: what keeping the batch keeps alive, besides its leaves.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Leaf `i`'s ids.
    pub fn ids(&self, i: usize) -> LeafIds {
        self.leaves[i].ids
    }

    /// Leaf `i`'s span name.
    pub fn name(&self, i: usize) -> &str {
        &self.leaves[i].name
    }

    /// Whether leaf `i` is a child (else a root, its trace's only span).
    pub fn is_child(&self, i: usize) -> bool {
        self.leaves[i].parent.is_some()
    }

    /// The context of leaf `i`'s span, ended (see [`LeafIds::context`]); a child's is in its
    /// parent's trace.
    pub fn context(&self, i: usize, tracer: &Tracer) -> SpanContext {
        let leaf = &self.leaves[i];
        match &leaf.parent {
            Some((trace, _)) => SpanContext {
                trace: trace.clone(),
                span_id: leaf.ids.span_id,
            },
            None => leaf.ids.context(tracer),
        }
    }

    fn piece(&self, (start, end): (u32, u32)) -> &str {
        // Checked at record: in bounds and on character boundaries.
        &self.text[start as usize..end as usize]
    }

    /// Leaf `i`'s span record, as ending its span the usual way would have left it: type,
    /// inputs and outputs, status OK, and (if sampled) the log level its type defaults to.
    pub fn record(&self, i: usize) -> SpanRecord {
        let leaf = &self.leaves[i];
        let mut attributes = Attributes::with_capacity(4);
        attributes.push_absent(attr::SPAN_TYPE, leaf.span_type.clone());
        attributes.push_absent(attr::INPUTS, RawJson::copied(self.piece(leaf.inputs)));
        attributes.push_absent(attr::OUTPUTS, RawJson::copied(self.piece(leaf.outputs)));
        if leaf.ids.sampled {
            attributes.push_absent(attr::LOG_LEVEL, default_log_level(Some(&leaf.span_type)));
        }
        SpanRecord {
            trace_id: leaf.ids.trace_id,
            span_id: leaf.ids.span_id,
            parent_id: leaf.parent.as_ref().map(|p| p.1),
            name: leaf.name.clone(),
            start_ns: leaf.start_ns,
            end_ns: leaf.end_ns,
            status: SpanStatus {
                code: StatusCode::Ok,
                message: String::new(),
            },
            attributes,
            events: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Leaf `i`'s trace, as sealing it the usual way would have made it.
    pub(crate) fn trace(&self, i: usize) -> Trace {
        let rec = self.record(i);
        let duration_ns = rec.end_ns - rec.start_ns;
        let info = TraceInfo {
            trace_id: rec.trace_id,
            request_time_ms: rec.start_ns / 1_000_000,
            execution_duration_ms: duration_ns / 1_000_000,
            state: TraceState::Ok,
            ..TraceInfo::default()
        };
        let mut spans = SpanList::new();
        spans.push(Arc::new(rec));
        Trace { info, spans }
    }

    /// What [`crate::pipeline::estimate_bytes`] gives for leaf `i`'s trace, from lengths alone.
    fn estimate_bytes(&self, i: usize) -> u64 {
        256 + self.child_bytes(i as u32)
    }

    /// What [`crate::pipeline::estimate_bytes`] counts for leaf `i`'s span in its trace.
    pub(crate) fn child_bytes(&self, i: u32) -> u64 {
        let leaf = &self.leaves[i as usize];
        let len = |(start, end): (u32, u32)| (end - start) as usize;
        let mut n = 160 + leaf.name.len();
        n += attr::SPAN_TYPE.len() + leaf.span_type.as_str().len() + 16;
        n += attr::INPUTS.len() + len(leaf.inputs) + 16;
        n += attr::OUTPUTS.len() + len(leaf.outputs) + 16;
        // Sampled (only those are queued): the log level's two digits.
        n += attr::LOG_LEVEL.len() + 2 + 16;
        n as u64
    }
}

/// A range of `text` as stored offsets, if it is one (in bounds, on character boundaries).
fn offsets(text: &str, r: &Range<usize>) -> Option<(u32, u32)> {
    text.get(r.clone())?;
    Some((u32::try_from(r.start).ok()?, u32::try_from(r.end).ok()?))
}

impl Tracer {
    /// Records ended leaves (see the module doc) in the order given, as if each had been
    /// started and ended at its times: a root is counted, sampled and queued for export as a
    /// one-span trace; a child joins its parent's trace (or, that trace sealed, is counted as
    /// ended after its root). `text` holds every leaf's inputs and outputs JSON. Returns the
    /// batch, in which leaf `i` is the `i`-th spec, or `None` (nothing recorded) if a spec's
    /// range is not a piece of `text`.
    ///
    /// ```
    /// use ferrotrace_core::{config::Config, model::{RawJson, SpanName}, tracer::{LeafSpec, Tracer}};
    /// let tracer = Tracer::new(Config { memory: true, ..Config::default() });
    /// let (name, span_type) = (SpanName::from("add"), RawJson::from_static("\"UNKNOWN\""));
    /// let text = String::from(r#"{"a":1,"b":2}3"#);
    /// let spec = LeafSpec { parent: None, name: &name, span_type: &span_type, start_ns: 1_000, end_ns: 2_000, inputs: 0..13, outputs: 13..14 };
    /// let batch = tracer.record_leaves(text, [spec]).unwrap();
    /// assert_eq!(batch.record(0).attributes.get("mlflow.spanOutputs").unwrap().as_str(), "3");
    /// assert!(tracer.flush(std::time::Duration::from_secs(5)));
    /// assert_eq!(tracer.memory_traces()[0].info.trace_id, batch.ids(0).trace_id);
    /// ```
    pub fn record_leaves<'a>(
        &self,
        text: String,
        specs: impl IntoIterator<Item = LeafSpec<'a>>,
    ) -> Option<Arc<LeafBatch>> {
        let specs = specs.into_iter();
        let mut leaves = Vec::with_capacity(specs.size_hint().0);
        let ratio = f64::from_bits(self.inner.sampling_ratio.load(Relaxed));
        let tail = TailRule(self.inner.tail_rule.load(Relaxed));
        // As `start_root`: a root sampled out inside a span-less unsampled call is that call's.
        let inside_unsampled = unsampled::inside();
        let (mut started, mut sampled_out, mut completed) = (0u64, 0u64, 0u64);
        let mut last = None;
        for spec in specs {
            let inputs = offsets(&text, &spec.inputs)?;
            let outputs = offsets(&text, &spec.outputs)?;
            let end_ns = spec.end_ns.max(spec.start_ns);
            if let Some(p) = spec.parent {
                // A child: its parent's trace and sampling decision; collected below.
                let ids = LeafIds {
                    trace_id: p.trace.id,
                    span_id: SpanId::random(),
                    sampled: p.trace.sampled,
                    tail: p.trace.tail,
                };
                let parent = Some((p.trace.clone(), p.span_id));
                leaves.push(Leaf::new(
                    ids, parent, false, &spec, end_ns, inputs, outputs,
                ));
                continue;
            }
            let trace_id = TraceId::ordered(spec.start_ns);
            let mut ids = LeafIds {
                trace_id,
                span_id: SpanId::random(),
                sampled: crate::process::sampled(trace_id, ratio),
                tail: TailRule::default(),
            };
            if !ids.sampled && tail.is_on() {
                // The tail rule records what the ratio drops, decided at once: a leaf ended OK.
                ids.sampled = true;
                ids.tail = tail;
            }
            if ids.sampled || !inside_unsampled {
                started += 1;
                sampled_out += u64::from(!ids.sampled);
            }
            let queued =
                ids.sampled && (!ids.tail.is_on() || ids.tail.keeps(false, end_ns - spec.start_ns));
            if queued {
                completed += 1;
                last = Some(leaves.len());
            } else if ids.sampled {
                sampled_out += 1;
            }
            leaves.push(Leaf::new(ids, None, queued, &spec, end_ns, inputs, outputs));
        }
        let stats = &self.inner.stats;
        let n = leaves.len() as u64;
        stats.spans.add(n, n);
        stats.traces_started.fetch_add(started, Relaxed);
        stats.traces_sampled_out.fetch_add(sampled_out, Relaxed);
        stats.traces_completed.fetch_add(completed, Relaxed);
        let batch = Arc::new(LeafBatch { text, leaves });
        for (i, leaf) in batch.leaves.iter().enumerate() {
            if let Some((trace, _)) = &leaf.parent {
                trace.finish_leaf(&batch, i as u32);
            }
        }
        if let Some(i) = last {
            self.set_last_trace_id(batch.leaves[i].ids.trace_id);
        }
        let queued = batch.leaves.iter().enumerate().filter(|(_, l)| l.queued);
        self.submit_all(queued.map(|(i, _)| {
            let bytes = batch.estimate_bytes(i);
            (Sealed::new(batch.clone(), i as u32), bytes, 1)
        }));
        Some(batch)
    }
}

#[cfg(test)]
mod tests;

/// A leaf of a recorded batch is built when the export side takes it.
impl TraceSource for LeafBatch {
    fn take_trace(&self, index: u32) -> Trace {
        self.trace(index as usize)
    }
}
