//! `LiveSpan`: the Python face of a core span. Values are converted to JSON before the span is
//! borrowed, so user code running inside a conversion (`__str__`, `model_dump`) can never meet a
//! borrowed span; a failed borrow is skipped silently rather than raised into user code.

use std::sync::Arc;

use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{Attributes, RawJson, SpanEvent, SpanRecord, TraceDict, TraceId};
use ferrotrace_core::tracer::TraceUpdate;
use ferrotrace_core::{LiveSpan, SpanContext};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::errors::{CoreErr, TracingError};
use crate::guard::{fault, guard, Point};
use crate::span_convert::{entities, exception_parts, json_loads, parse_status};
use crate::value::{dict_items, display_text, to_json};

// Not boxed: the span lives inside its Python object already; boxing would add an allocation
// per span to save bytes only after it ends.
#[allow(clippy::large_enum_variant)]
pub(crate) enum State {
    Live(LiveSpan),
    Ended(Arc<SpanRecord>),
}

/// A span that is open (or was: after `end()` its data stays readable).
///
/// The active-span contextvar (`_context.CURRENT`) also records the context's last trace
/// (`get_last_active_trace_id(thread_local=True)`): when a decorator or `start_span` ends a
/// root, the span stays in the contextvar, *closed*, and means "no active span; this trace was
/// the last". That spares a traced root call the reset of the contextvar and the set of a second
/// one (~2,000 instructions of what a root call cost before). Readers of the contextvar go through
/// [`context_parent`] (native) or `_context.active()` (Python).
///
/// Made and freed once per traced call: a free list of objects saves the allocator both ways.
#[pyclass(module = "ferrotrace._native", name = "LiveSpan", freelist = 64)]
pub struct PySpan {
    pub(crate) ctx: SpanContext,
    pub(crate) state: State,
    pub(crate) is_root: bool,
    /// `set_outputs` was called: the decorator must not overwrite it with the return value.
    pub(crate) outputs_set: bool,
    /// A root its decorator or context manager ended: read from the contextvar, it is no
    /// active span. Only those ends set it; `end()` called by the user does not.
    pub(crate) closed: bool,
    /// The last sampled trace of the context this span started in (an id, not the span: roots
    /// would otherwise chain each other in memory).
    pub(crate) prev_last: Option<TraceId>,
}

impl PySpan {
    pub(crate) fn new(span: LiveSpan, prev_last: Option<TraceId>) -> Self {
        PySpan {
            ctx: span.context().clone(),
            is_root: span.is_root(),
            state: State::Live(span),
            outputs_set: false,
            closed: false,
            prev_last,
        }
    }

    /// Ends the span with what it has, a root closed: the recovery after a failed end.
    #[cfg(not(feature = "abi3"))]
    pub(crate) fn close_now(slf: &Bound<'_, Self>) {
        finish(slf, |_| {});
    }

    /// The context's last sampled trace, as this span records it when it is the contextvar's
    /// value.
    pub(crate) fn context_last(&self) -> Option<TraceId> {
        if self.closed && self.ctx.sampled() {
            Some(self.ctx.trace_id())
        } else {
            self.prev_last
        }
    }

    pub(crate) fn record(&self) -> &SpanRecord {
        match &self.state {
            State::Live(s) => s.record(),
            State::Ended(r) => r,
        }
    }

    fn live(&mut self) -> Option<&mut LiveSpan> {
        match &mut self.state {
            State::Live(s) => Some(s),
            State::Ended(_) => None,
        }
    }

    fn end_now(&mut self, end_ns: Option<u64>) {
        if let State::Live(_) = self.state {
            // The placeholder is a shared empty record: `Arc::default()` would allocate one
            // per span end, only to free it a moment later.
            static PLACEHOLDER: std::sync::LazyLock<Arc<SpanRecord>> =
                std::sync::LazyLock::new(Arc::default);
            let State::Live(span) =
                std::mem::replace(&mut self.state, State::Ended(PLACEHOLDER.clone()))
            else {
                unreachable!()
            };
            self.state = State::Ended(span.end(end_ns));
        }
    }
}

/// Applies `last` to the live span, then ends it: one borrow for a decorator's or context
/// manager's exit. Returns whether the span is a root, which is then *closed*: the caller leaves
/// it in (or puts it back into) the contextvar as the context's last trace (see [`PySpan`]).
pub(crate) fn finish(slf: &Bound<'_, PySpan>, last: impl FnOnce(&mut LiveSpan)) -> bool {
    if let Ok(mut me) = slf.try_borrow_mut() {
        if let Some(live) = me.live() {
            last(live);
        }
        me.end_now(None);
        me.closed = me.is_root;
        return me.is_root;
    }
    false
}

/// What a value of the active-span contextvar means to a span started now: its parent (none
/// for a closed root, which only records the last trace) and the context's last trace.
pub(crate) fn context_parent<'py>(
    value: Option<&Bound<'py, PySpan>>,
) -> (Option<PyRef<'py, PySpan>>, Option<TraceId>) {
    match value.and_then(|v| v.try_borrow().ok()) {
        Some(p) if p.closed => (None, p.context_last()),
        Some(p) => {
            let last = p.prev_last;
            (Some(p), last)
        }
        None => (None, None),
    }
}

/// Runs `f` on the span if it is live and not borrowed elsewhere.
pub(crate) fn with_live(slf: &Bound<'_, PySpan>, f: impl FnOnce(&mut LiveSpan)) {
    if let Ok(mut me) = slf.try_borrow_mut() {
        if let Some(live) = me.live() {
            f(live);
        }
    }
}

#[pymethods]
impl PySpan {
    /// `tr-` + 32 hex digits.
    #[getter]
    fn trace_id(&self) -> String {
        self.ctx.trace_id().to_mlflow()
    }

    /// Deprecated alias of `trace_id`, as in MLflow.
    #[getter]
    fn request_id(&self) -> String {
        self.ctx.trace_id().to_mlflow()
    }

    #[getter]
    fn span_id(&self) -> String {
        self.ctx.span_id().to_hex()
    }

    #[getter]
    fn parent_id(&self) -> Option<String> {
        self.record().parent_id.map(|p| p.to_hex())
    }

    #[getter]
    fn name(&self) -> String {
        self.record().name.to_string()
    }

    #[getter]
    fn start_time_ns(&self) -> u64 {
        self.record().start_ns
    }

    #[getter]
    fn end_time_ns(&self) -> Option<u64> {
        Some(self.record().end_ns).filter(|e| *e > 0)
    }

    #[getter]
    fn span_type(&self) -> Option<String> {
        self.record().span_type()
    }

    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.record()
            .attributes
            .get(attr::INPUTS)
            .map(|v| json_loads(py, v))
            .transpose()
    }

    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.record()
            .attributes
            .get(attr::OUTPUTS)
            .map(|v| json_loads(py, v))
            .transpose()
    }

    /// All attributes, values decoded from their JSON text.
    #[getter]
    fn attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.record().attributes.iter() {
            d.set_item(k, json_loads(py, v)?)?;
        }
        Ok(d)
    }

    fn get_attribute<'py>(
        &self,
        py: Python<'py>,
        key: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.record()
            .attributes
            .get(key)
            .map(|v| json_loads(py, v))
            .transpose()
    }

    /// The `mlflow.llm.cost` attribute (MLflow's `LiveSpan.llm_cost`).
    #[getter]
    fn llm_cost<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.get_attribute(py, "mlflow.llm.cost")
    }

    /// The `mlflow.llm.model` attribute (MLflow's `LiveSpan.model_name`).
    #[getter]
    fn model_name<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.get_attribute(py, "mlflow.llm.model")
    }

    /// A read-only copy of the span as it is now (MLflow's `LiveSpan.to_immutable_span()`).
    fn to_immutable_span<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = self.to_dict(py)?;
        py.import("ferrotrace._trace_entities")?
            .getattr("Span")?
            .call1((d, self.trace_id()))
    }

    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let st = &self.record().status;
        entities(py)?
            .getattr("SpanStatus")?
            .call1((st.code.short_name(), st.message.clone()))
    }

    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let cls = entities(py)?.getattr("SpanEvent")?;
        let out = PyList::empty(py);
        for e in &self.record().events {
            let attrs = PyDict::new(py);
            for (k, v) in e.attributes.iter() {
                attrs.set_item(k, json_loads(py, v)?)?;
            }
            out.append(cls.call1((e.name.clone(), e.time_ns, attrs))?)?;
        }
        Ok(out)
    }

    fn set_inputs(slf: &Bound<'_, Self>, inputs: &Bound<'_, PyAny>) {
        let v = to_json(inputs);
        with_live(slf, |s| s.set_attribute(attr::INPUTS, v));
    }

    fn set_outputs(slf: &Bound<'_, Self>, outputs: &Bound<'_, PyAny>) {
        let v = to_json(outputs);
        with_live(slf, |s| s.set_attribute(attr::OUTPUTS, v));
        if let Ok(mut me) = slf.try_borrow_mut() {
            me.outputs_set = true;
        }
    }

    fn set_attribute(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) {
        let Ok(key) = key.cast::<PyString>() else {
            ferrotrace_core::diag::warn(
                "attribute_key",
                "span attribute keys must be strings; the attribute was skipped",
            );
            return;
        };
        let key = key.to_string_lossy().into_owned();
        let v = to_json(value);
        with_live(slf, |s| s.set_attribute(key, v));
    }

    fn set_attributes(slf: &Bound<'_, Self>, attributes: &Bound<'_, PyAny>) {
        let Ok(d) = attributes.cast::<PyDict>() else {
            ferrotrace_core::diag::warn(
                "attribute_key",
                "set_attributes() takes a dict; the call was ignored",
            );
            return;
        };
        for (k, v) in dict_items(d) {
            Self::set_attribute(slf, &k, &v);
        }
    }

    fn set_span_type(slf: &Bound<'_, Self>, span_type: &Bound<'_, PyAny>) {
        let text = match span_type.getattr("value") {
            Ok(v) if span_type.cast::<PyString>().is_err() => display_text(&v),
            _ => display_text(span_type),
        };
        with_live(slf, |s| {
            s.set_attribute(attr::SPAN_TYPE, RawJson::string(&text))
        });
    }

    fn set_description(slf: &Bound<'_, Self>, description: &Bound<'_, PyAny>) {
        let text = display_text(description);
        with_live(slf, |s| {
            s.set_attribute(attr::DESCRIPTION, RawJson::string(&text))
        });
    }

    /// A `SpanLogLevel`, an int, or a level name (`"DEBUG"` ... `"CRITICAL"`).
    fn set_log_level(slf: &Bound<'_, Self>, level: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = match level.extract::<i64>() {
            Ok(v) => Some(v),
            Err(_) => match display_text(level).trim().to_ascii_uppercase().as_str() {
                "DEBUG" => Some(10),
                "INFO" => Some(20),
                "WARNING" => Some(30),
                "ERROR" => Some(40),
                "CRITICAL" => Some(50),
                _ => None,
            },
        };
        let v = value.ok_or_else(|| {
            crate::errors::invalid("invalid log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        })?;
        with_live(slf, |s| s.set_attribute(attr::LOG_LEVEL, RawJson::int(v)));
        Ok(())
    }

    /// Accepts `SpanStatusCode`, `SpanStatus`, or `"OK"` / `"ERROR"` / `"UNSET"`.
    fn set_status(slf: &Bound<'_, Self>, status: &Bound<'_, PyAny>) -> PyResult<()> {
        let (code, desc) = parse_status(status)?;
        with_live(slf, |s| s.set_status(code, desc));
        Ok(())
    }

    /// Adds a `SpanEvent` (anything with `name`, `timestamp` and `attributes`).
    fn add_event(slf: &Bound<'_, Self>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let name = display_text(&event.getattr("name")?);
        let time_ns = event
            .getattr("timestamp")
            .and_then(|t| t.extract::<u64>())
            .unwrap_or_else(|_| ferrotrace_core::runtime::now_ns());
        let mut attributes = Attributes::new();
        if let Ok(d) = event
            .getattr("attributes")
            .and_then(|a| a.cast_into::<PyDict>().map_err(PyErr::from))
        {
            for (k, v) in dict_items(&d) {
                attributes.set(display_text(&k), to_json(&v));
            }
        }
        with_live(slf, |s| {
            s.add_event(SpanEvent {
                name,
                time_ns,
                attributes,
            })
        });
        Ok(())
    }

    /// Records an exception (or a message) as MLflow does: an `exception` event and status ERROR.
    fn record_exception(slf: &Bound<'_, Self>, exception: &Bound<'_, PyAny>) -> PyResult<()> {
        let is_exc = exception.is_instance_of::<pyo3::exceptions::PyBaseException>();
        if !is_exc && exception.cast::<PyString>().is_err() {
            return Err(TracingError::new_err(
                "record_exception() takes an exception or a string",
            ));
        }
        let (ty, msg, stack) = exception_parts(exception);
        with_live(slf, |s| s.record_exception(&ty, &msg, &stack));
        Ok(())
    }

    /// Ends the span (needed for spans from `start_span_no_context`).
    #[pyo3(signature = (outputs=None, attributes=None, status=None, end_time_ns=None))]
    fn end(
        slf: &Bound<'_, Self>,
        outputs: Option<&Bound<'_, PyAny>>,
        attributes: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        end_time_ns: Option<u64>,
    ) -> PyResult<()> {
        if let Some(o) = outputs {
            Self::set_outputs(slf, o);
        }
        if let Some(a) = attributes {
            Self::set_attributes(slf, a);
        }
        if let Some(s) = status {
            Self::set_status(slf, s)?;
        }
        if let Ok(mut me) = slf.try_borrow_mut() {
            me.end_now(end_time_ns);
        }
        Ok(())
    }

    /// Decorator exit: outputs from the return value unless the body set them, then end.
    /// Returns whether the span is a root (now closed).
    pub(crate) fn _end_ok(slf: &Bound<'_, Self>, result: &Bound<'_, PyAny>) -> bool {
        guard(
            "ending a span",
            || {
                fault(Point::End);
                // Convert outside the borrow: `result` may run user code (`__str__`,
                // `model_dump`).
                let wanted = slf
                    .try_borrow()
                    .is_ok_and(|s| !s.outputs_set && s.ctx.sampled());
                let outputs = wanted.then(|| to_json(result));
                finish(slf, |s| {
                    if let Some(v) = outputs {
                        s.set_attribute(attr::OUTPUTS, v);
                    }
                })
            },
            // Ended and closed all the same: a span left open would stay the active span.
            || finish(slf, |_| {}),
        )
    }

    /// Decorator / context-manager exit with an exception: record it, then end. Returns whether
    /// the span is a root (now closed).
    pub(crate) fn _end_exc(slf: &Bound<'_, Self>, exception: &Bound<'_, PyAny>) -> bool {
        guard(
            "ending a span",
            || {
                fault(Point::End);
                let wanted = slf.try_borrow().is_ok_and(|s| s.ctx.sampled());
                let parts = wanted.then(|| exception_parts(exception));
                finish(slf, |s| {
                    if let Some((ty, msg, stack)) = parts {
                        s.record_exception(&ty, &msg, &stack);
                    }
                })
            },
            || finish(slf, |_| {}),
        )
    }

    /// Context-manager exit without outputs (or after span processors ran): end the span if the
    /// user did not. Returns whether it is a root (now closed).
    fn _close(slf: &Bound<'_, Self>) -> bool {
        guard(
            "ending a span",
            || finish(slf, |_| {}),
            || finish(slf, |_| {}),
        )
    }

    /// Adds a link (`entities.Link`: `trace_id`, `span_id`, `attributes`) to another span. An
    /// invalid link is skipped with a warning, as in MLflow.
    fn add_link(slf: &Bound<'_, Self>, link: &Bound<'_, PyAny>) {
        use ferrotrace_core::model::{SpanId, SpanLink, TraceId};
        let text = |k: &str| {
            link.getattr(k)
                .map(|v| display_text(&v))
                .unwrap_or_default()
        };
        let (trace_id, span_id) = (
            TraceId::parse(&text("trace_id")),
            SpanId::parse(&text("span_id")),
        );
        let (Some(trace_id), Some(span_id)) = (trace_id, span_id) else {
            ferrotrace_core::diag::warn("link", "a span link needs a trace id (tr-<32 hex>) and a 16-hex span id; the link was skipped");
            return;
        };
        let mut attributes = Attributes::new();
        if let Ok(d) = link
            .getattr("attributes")
            .and_then(|a| a.cast_into::<PyDict>().map_err(PyErr::from))
        {
            for (k, v) in dict_items(&d) {
                attributes.set(display_text(&k), to_json(&v));
            }
        }
        with_live(slf, |s| {
            s.record_mut().links.push(SpanLink {
                trace_id,
                span_id,
                attributes,
            })
        });
    }

    /// A streamed item: event `mlflow.chunk.item.{index}` with `mlflow.chunk.value`, as MLflow
    /// records generator output. Past the item cap only the count grows (the outputs list says
    /// how many were cut).
    fn _chunk(slf: &Bound<'_, Self>, index: usize, item: &Bound<'_, PyAny>) {
        if index >= ferrotrace_core::model::caps::MAX_ITEMS
            || !slf.try_borrow().is_ok_and(|s| s.ctx.sampled())
        {
            return;
        }
        // MLflow stores the item's JSON text as a string attribute of the event.
        let value = RawJson::string(to_json(item).as_str());
        with_live(slf, |s| {
            let mut attributes = Attributes::with_capacity(1);
            attributes.set(attr::CHUNK_VALUE, value);
            let name = format!("mlflow.chunk.item.{index}");
            s.add_event(SpanEvent {
                name,
                time_ns: ferrotrace_core::runtime::now_ns(),
                attributes,
            });
        });
    }

    #[getter]
    fn _outputs_set(&self) -> bool {
        self.outputs_set
    }

    #[getter]
    fn _is_root(&self) -> bool {
        self.is_root
    }

    #[getter]
    fn _sampled(&self) -> bool {
        self.ctx.sampled()
    }

    #[getter]
    fn _ended(&self) -> bool {
        matches!(self.state, State::Ended(_))
    }

    /// A root its decorator or context manager ended: as the contextvar's value, no active span.
    #[getter]
    fn _closed(&self) -> bool {
        self.closed
    }

    /// `get_last_active_trace_id(thread_local=True)` of a context whose contextvar holds this span.
    #[getter]
    fn _context_last_trace_id(&self) -> Option<String> {
        self.context_last().map(|t| t.to_mlflow())
    }

    /// The W3C `traceparent` of this span.
    fn _traceparent(&self) -> String {
        self.ctx.traceparent().to_string()
    }

    /// Changes the trace of this span before it is exported. Returns False if already exported;
    /// raises for an invalid state.
    #[pyo3(signature = (tags=None, metadata=None, client_request_id=None, request_preview=None, response_preview=None, state=None, session_id=None, user=None, model_id=None, experiment_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn _update_trace(
        &self,
        tags: Option<&Bound<'_, PyDict>>,
        metadata: Option<&Bound<'_, PyDict>>,
        client_request_id: Option<String>,
        request_preview: Option<String>,
        response_preview: Option<String>,
        state: Option<String>,
        session_id: Option<String>,
        user: Option<String>,
        model_id: Option<String>,
        experiment_id: Option<String>,
    ) -> PyResult<bool> {
        let pairs = |d: Option<&Bound<'_, PyDict>>| -> Vec<(String, String)> {
            d.map(|d| {
                dict_items(d)
                    .iter()
                    .map(|(k, v)| (display_text(k), display_text(v)))
                    .collect()
            })
            .unwrap_or_default()
        };
        let update = TraceUpdate {
            tags: pairs(tags),
            metadata: pairs(metadata),
            client_request_id,
            request_preview,
            response_preview,
            state,
            session_id,
            user,
            model_id,
            experiment_id,
        };
        Ok(self.ctx.apply_update(update).map_err(CoreErr)?)
    }

    /// The span in MLflow's `Span.to_dict()` form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let trace = ferrotrace_core::model::Trace {
            info: ferrotrace_core::model::TraceInfo {
                trace_id: self.ctx.trace_id(),
                ..Default::default()
            },
            spans: vec![Arc::new(self.record().clone())].into(),
        };
        let dict = TraceDict::from(&trace);
        let text = serde_json::to_string(&dict.data.spans[0])
            .map_err(|e| TracingError::new_err(e.to_string()))?;
        json_loads(py, &RawJson::from_trusted(text))
    }

    fn __repr__(&self) -> String {
        let r = self.record();
        format!(
            "LiveSpan(name={:?}, trace_id={:?}, span_id={:?}, parent_id={:?})",
            r.name,
            self.trace_id(),
            self.span_id(),
            self.parent_id()
        )
    }
}
