"""MLflow's trace functions beyond the span API: ``add_trace`` (merge a finished remote trace into
the current one), ``log_trace`` (one-span trace from a request/response pair), ``search_sessions``
(traces grouped by session id) and ``set_span_chat_tools``."""

from __future__ import annotations

from typing import Any, Optional

from ferrotrace import _fluent
from ferrotrace._native import LiveSpan
from ferrotrace.exceptions import MlflowException, MlflowTracingException

_SESSION_KEY = "mlflow.trace.session"
_REQUEST_ID_KEY = "mlflow.traceRequestId"
_INTERMEDIATE_OUTPUTS_KEY = "mlflow.trace.intermediate_outputs"
# Attributes the span API sets itself; copied from a remote span they would be written twice.
_OWN_ATTRIBUTES = {_REQUEST_ID_KEY, "mlflow.spanInputs", "mlflow.spanOutputs", "mlflow.spanType"}


def set_span_chat_tools(span: Any, tools: list[Any]) -> None:
    """Records the tools offered to a chat model (OpenAI's function tool format) on a span, as
    the ``mlflow.chat.tools`` attribute MLflow's UI shows.

    >>> import ferrotrace
    >>> with ferrotrace.start_span("chat") as span:
    ...     ferrotrace.tracing.set_span_chat_tools(span, [{"type": "function", "function": {"name": "add"}}])
    """
    if not isinstance(tools, list):
        raise MlflowTracingException(f"Invalid tools type {type(tools)}. Expected a list of ChatTool.", error_code="BAD_REQUEST")
    clean: list[Any] = []
    for tool in tools:
        if hasattr(tool, "model_dump"):  # a pydantic ChatTool
            tool = tool.model_dump(exclude_unset=True)
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function")
        if tool.get("type") != "function" or (fn is not None and not (isinstance(fn, dict) and isinstance(fn.get("name"), str))):
            raise MlflowException.invalid_parameter_value(
                f"Invalid chat tool {tool!r}: expected {{'type': 'function', 'function': {{'name': ..., ...}}}}"
            )
        clean.append(tool)
    span.set_attribute("mlflow.chat.tools", clean)


def log_trace(
    name: str = "Task",
    request: Optional[Any] = None,
    response: Optional[Any] = None,
    intermediate_outputs: Optional[dict[str, Any]] = None,
    attributes: Optional[dict[str, Any]] = None,
    tags: Optional[dict[str, str]] = None,
    start_time_ms: Optional[int] = None,
    execution_time_ms: Optional[int] = None,
) -> str:
    """Records a trace of one span from a request and a response; returns its trace id.
    Without ``start_time_ms`` the trace starts and ends now."""
    attrs = dict(attributes or {})
    if intermediate_outputs:
        attrs[_INTERMEDIATE_OUTPUTS_KEY] = intermediate_outputs
    start_ns = None if start_time_ms is None else int(start_time_ms) * 1_000_000
    span = _fluent.start_span_no_context(name=name, inputs=request, attributes=attrs or None, tags=tags, start_time_ns=start_ns)
    end_ns = None
    if start_time_ms is not None and execution_time_ms is not None:
        end_ns = (int(start_time_ms) + int(execution_time_ms)) * 1_000_000
    span.end(outputs=response, end_time_ns=end_ns)
    return str(span.trace_id)


def add_trace(trace: Any, target: Optional[LiveSpan] = None) -> None:
    """Copies the spans of a finished trace (a ``Trace`` or its ``to_dict()``, e.g. returned by
    a remote service) under ``target``, else under the active span, else under a new root span
    ``Remote Trace <name>``. Parents must come before their children. The copies get new span
    ids in this trace; names, types, times, inputs, outputs, attributes, events and statuses are
    kept, and the remote trace's tags and metadata are added where this trace has none."""
    from ferrotrace._trace_entities import Trace

    if isinstance(trace, dict):
        try:
            trace = Trace.from_dict(trace)
        except Exception as e:
            raise MlflowException.invalid_parameter_value(
                f"Failed to load a trace object from the given dictionary. Please ensure the dictionary is in the correct MLflow Trace format. Error: {e}"
            ) from None
    elif not isinstance(trace, Trace):
        raise MlflowException.invalid_parameter_value(
            f"Invalid trace object: {type(trace)}. Please provide a valid MLflow Trace object to use it as a remote trace."
        )
    state = str(getattr(trace.info.state, "value", trace.info.state))
    if state not in ("OK", "ERROR"):
        raise MlflowException.invalid_parameter_value(f"The trace must be ended before adding it to another trace. Current status: {state}.")
    spans = list(trace.data.spans)
    if not spans:
        return
    parent: Any = target or _fluent.get_current_active_span()
    made_root: Any = None
    if parent is None:
        remote_root = spans[0]
        made_root = _fluent.start_span_no_context(
            name=f"Remote Trace <{remote_root.name}>",
            inputs=remote_root.inputs,
            attributes={k: v for k, v in remote_root.attributes.items() if k not in _OWN_ATTRIBUTES},
            start_time_ns=remote_root.start_time_ns - 1,
        )
        parent = made_root
    copies: dict[Optional[str], Any] = {}
    for span in spans:
        under = parent if span.parent_id is None else copies.get(span.parent_id)
        if under is None:
            raise MlflowException.invalid_parameter_value(
                f"Span with ID {span.parent_id} not found. Please make sure the spans in the trace are ordered correctly i.e. the parent span comes before its children."
            )
        copy = _fluent.start_span_no_context(
            name=span.name,
            span_type=span.span_type or "UNKNOWN",
            parent_span=under,
            inputs=span.inputs,
            attributes={k: v for k, v in span.attributes.items() if k not in _OWN_ATTRIBUTES},
            start_time_ns=span.start_time_ns,
        )
        for event in span.events:
            copy.add_event(event)
        copies[span.span_id] = copy
        if span.outputs is not None:
            copy.set_outputs(span.outputs)
    # Children end before their parents.
    for span in reversed(spans):
        copies[span.span_id].end(status=span.status, end_time_ns=span.end_time_ns)
    if isinstance(parent, LiveSpan):
        tags = {k: v for k, v in trace.info.tags.items() if not k.startswith("mlflow.")}
        meta = {k: v for k, v in trace.info.trace_metadata.items() if not k.startswith("mlflow.")}
        if tags or meta:
            parent._update_trace(tags=tags or None, metadata=meta or None)
    if made_root is not None:
        made_root.end(status=state, outputs=spans[0].outputs, end_time_ns=spans[0].end_time_ns)


class Session:
    """Traces sharing one session id (``mlflow.trace.session`` metadata), oldest first."""

    def __init__(self, traces: list[Any]) -> None:
        self._traces = traces

    @property
    def id(self) -> Optional[str]:
        return self._traces[0].info.trace_metadata.get(_SESSION_KEY) if self._traces else None

    @property
    def traces(self) -> list[Any]:
        return self._traces

    def __iter__(self) -> Any:
        return iter(self._traces)

    def __len__(self) -> int:
        return len(self._traces)

    def __getitem__(self, index: int) -> Any:
        return self._traces[index]

    def __repr__(self) -> str:
        return f"Session(id={self.id!r})"


def search_sessions(
    max_results: int = 100,
    run_id: Optional[str] = None,
    model_id: Optional[str] = None,
    include_spans: bool = True,
    locations: Optional[list[str]] = None,
) -> list[Session]:
    """The most recent sessions (up to ``max_results``), each with all its traces, oldest first."""
    from ferrotrace._assessments import search_traces

    recent = search_traces(
        max_results=1000, order_by=["timestamp DESC"], include_spans=False, run_id=run_id, model_id=model_id,
        locations=locations, return_type="list",
    )
    ids: list[str] = []
    for t in recent:
        sid = t.info.trace_metadata.get(_SESSION_KEY)
        if sid and sid not in ids:
            ids.append(sid)
            if len(ids) >= max_results:
                break
    sessions = []
    for sid in ids:
        escaped = sid.replace("'", "\\'")
        traces = search_traces(
            filter_string=f"metadata.`{_SESSION_KEY}` = '{escaped}'", max_results=None, order_by=["timestamp ASC"],
            include_spans=include_spans, run_id=run_id, model_id=model_id, locations=locations, return_type="list",
        )
        if traces:
            sessions.append(Session(traces))
    return sessions
