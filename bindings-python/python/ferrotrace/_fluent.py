"""The fluent API: ``@trace``, ``start_span`` and the functions around the active span."""

from __future__ import annotations

import functools
import os

from ferrotrace import _native
from ferrotrace import _context, _signature
from ferrotrace._context import CURRENT, SCOPE, active, after_root, begin, destination_experiment, end, with_destination
from ferrotrace._log import logger as _logger
from ferrotrace._native import FnSpec, LiveSpan, TracingError
from ferrotrace._streaming import wrap_async_generator, wrap_generator
from ferrotrace._typing import TYPE_CHECKING, cast, overload
from ferrotrace.entities import NoOpSpan, SpanLogLevel, SpanType

# No `inspect` (see _signature), `json` (imported by stats()), `typing`, `logging` at import:
# they were most of `import ferrotrace`'s memory.
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeVar, Union

    F = TypeVar("F", bound=Callable[..., Any])

# The contextvar methods the @trace wrappers call, bound once: inside the wrappers (closures)
# CPython 3.11 compiles `CURRENT.get()` as an attribute load that builds a bound method on
# every call (~90 instructions each).
_scope_get = SCOPE.get
_current_get = CURRENT.get
_current_set = CURRENT.set
_current_reset = CURRENT.reset


def _params(fn: Callable[..., Any]) -> Optional[list[tuple[str, int, bool, Any]]]:
    return _signature.params(fn)


def _type_name(span_type: Any) -> str:
    return str(getattr(span_type, "value", span_type))


def _static_attributes(attributes: Optional[dict[str, Any]], log_level: Any, description: Optional[str]) -> Optional[dict[str, Any]]:
    """User attributes plus MLflow's description and log level attributes, checked once."""
    if log_level is None and description is None:
        return attributes
    out = dict(attributes or {})
    if description is not None:
        out["mlflow.spanDescription"] = str(description)
    if log_level is not None:
        try:
            out["mlflow.spanLogLevel"] = int(SpanLogLevel.from_value(log_level))
        except (KeyError, ValueError) as e:
            raise TracingError(f"invalid log_level {log_level!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL") from e
    return out


def _with_links(start: Callable[..., Optional[LiveSpan]], links: Any) -> Callable[..., Optional[LiveSpan]]:
    if not links:
        return start
    links = list(links)

    def start_linked(*args: Any) -> Optional[LiveSpan]:
        span = start(*args)
        if span is not None:
            for link in links:
                span.add_link(link)
        return span

    return start_linked


# The native callable @trace can return for a sync function (a version-specific build; an abi3
# build has none). Opt-in (FERROTRACE_NATIVE_WRAPPER=1, or set NATIVE_WRAPPER before decorating):
# it is not a Python function, so frameworks that check inspect.isfunction() (pydantic's
# validate_call, Ray, ...) reject it. By default @trace returns a function, as MLflow's does.
_TracedFunction = getattr(_native, "TracedFunction", None)
NATIVE_WRAPPER = os.environ.get("FERROTRACE_NATIVE_WRAPPER", "").strip().lower() in ("1", "true", "yes", "on")


def _native_sync_wrapper(fn: Callable[..., Any], start: Callable[..., Optional[LiveSpan]], spec: FnSpec) -> Callable[..., Any]:
    # No Python frame per call: CPython hands the native object the arguments directly. The
    # partial (a C object too) is its Python path, for a tracing.context scope or span processors.
    wrapper = _TracedFunction(fn, spec, functools.partial(_call_traced, fn, start))  # type: ignore[misc]
    return functools.update_wrapper(wrapper, fn)


def _forwarding_sync_wrapper(fn: Callable[..., Any], start: Callable[..., Optional[LiveSpan]], spec: FnSpec) -> Callable[..., Any]:
    # The default where the native callable exists: a real Python function (inspect.isfunction,
    # pydantic's validate_call, Ray, ... accept it) whose one line hands the call to the native
    # callable, so the span work, capture and contextvar updates still run natively. About 0.1 us
    # above the native callable alone; about 0.5 us below the all-Python wrapper.
    native = _native_sync_wrapper(fn, start, spec)

    @functools.wraps(fn)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        return native(*args, **kwargs)

    return sync_wrapper


def _python_sync_wrapper(fn: Callable[..., Any], start: Callable[..., Optional[LiveSpan]]) -> Callable[..., Any]:
    # _call_traced inlined: one Python frame per call, not two.
    @functools.wraps(fn)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        if _scope_get() is None:
            try:
                span = start(_current_get(), args, kwargs)
            except Exception:
                span = None
        else:
            span = begin(start, args, kwargs)
        if span is None:
            return fn(*args, **kwargs)
        token = _current_set(span)
        try:
            result = fn(*args, **kwargs)
        except BaseException as e:
            _current_reset(token)
            end(span, None, e)
            raise
        _current_reset(token)
        if _context.PROCESSORS:
            end(span, result, None)
        elif span._end_ok(result):
            after_root(span)
        return result

    return sync_wrapper


def _call_traced(fn: Callable[..., Any], start: Callable[..., Optional[LiveSpan]], args: Any, kwargs: Any) -> Any:
    """A traced sync call in Python: the native callable's path under a ``tracing.context`` scope
    or span processors, and the whole call in an abi3 build (no native wrapper there) or with
    links or a trace destination. begin() and end() are inlined for the common case."""
    if _scope_get() is None:
        try:
            span = start(_current_get(), args, kwargs)
        except Exception:
            span = None
    else:
        span = begin(start, args, kwargs)
    if span is None:
        return fn(*args, **kwargs)
    token = _current_set(span)
    try:
        result = fn(*args, **kwargs)
    except BaseException as e:
        _current_reset(token)
        end(span, None, e)
        raise
    _current_reset(token)
    _end_ok(span, result)
    return result


def _end_ok(span: LiveSpan, result: Any) -> None:
    """Ends a traced call's span with its result: through the span processors when there are
    any, else natively (a root becomes this context's last trace)."""
    if _context.PROCESSORS:
        end(span, result, None)
    elif span._end_ok(result):
        after_root(span)


@overload
def trace(func: F) -> F: ...
@overload
def trace(
    func: None = None,
    name: Optional[str] = None,
    span_type: str = SpanType.UNKNOWN,
    attributes: Optional[dict[str, Any]] = None,
    output_reducer: Optional[Callable[[list[Any]], Any]] = None,
    trace_destination: Any = None,
    sampling_ratio_override: Optional[float] = None,
    log_level: Any = None,
    links: Any = None,
    description: Optional[str] = None,
) -> Callable[[F], F]: ...


def trace(
    func: Optional[F] = None,
    name: Optional[str] = None,
    span_type: str = SpanType.UNKNOWN,
    attributes: Optional[dict[str, Any]] = None,
    output_reducer: Optional[Callable[[list[Any]], Any]] = None,
    trace_destination: Any = None,
    sampling_ratio_override: Optional[float] = None,
    log_level: Any = None,
    links: Any = None,
    description: Optional[str] = None,
) -> Union[F, Callable[[F], F]]:
    """Traces every call of a function: one span, inputs by parameter name, the return value as
    outputs, exceptions recorded and re-raised unchanged. Works bare, with arguments, and as a
    plain wrapper; on sync and ``async def`` functions.

    >>> import ferrotrace
    >>> @ferrotrace.trace(span_type="TOOL")
    ... def add(a, b=2):
    ...     return a + b
    >>> add(1)
    3
    """
    if sampling_ratio_override is not None:
        if not isinstance(sampling_ratio_override, (int, float)) or not 0.0 <= sampling_ratio_override <= 1.0:
            raise TracingError(
                f"invalid value for sampling_ratio_override: {sampling_ratio_override!r} (must be between 0.0 and 1.0)"
            )

    destination = destination_experiment(trace_destination)

    def decorator(fn: F) -> F:
        if isinstance(fn, (classmethod, staticmethod)):
            return cast("F", type(fn)(decorator(fn.__func__)))  # type: ignore[arg-type]
        fn_name = getattr(fn, "__name__", None) or "span"
        streams = _signature.isgeneratorfunction(fn) or _signature.isasyncgenfunction(fn)
        spec = FnSpec(
            name or fn_name,
            _type_name(span_type),
            None if streams else fn_name,
            _static_attributes(attributes, log_level, description),
            _params(fn),
            None if sampling_ratio_override is None else float(sampling_ratio_override),
        )
        start = with_destination(_with_links(spec.start, links), destination)

        if _signature.isgeneratorfunction(fn):
            wrapper: Callable[..., Any] = wrap_generator(fn, start, output_reducer)
        elif _signature.isasyncgenfunction(fn):
            wrapper = wrap_async_generator(fn, start, output_reducer)
        elif output_reducer is not None:
            raise TracingError("output_reducer is only supported for generator functions")
        elif _signature.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                span = begin(start, args, kwargs)
                if span is None:
                    return await fn(*args, **kwargs)
                token = _current_set(span)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as e:
                    _current_reset(token)
                    end(span, None, e)
                    raise
                _current_reset(token)
                _end_ok(span, result)
                return result

            wrapper = async_wrapper
        elif NATIVE_WRAPPER and _TracedFunction is not None and not links and destination is None:
            wrapper = _native_sync_wrapper(fn, start, spec)
        elif _TracedFunction is not None and not links and destination is None:
            wrapper = _forwarding_sync_wrapper(fn, start, spec)
        else:
            wrapper = _python_sync_wrapper(fn, start)
        wrapper.__mlflow_traced__ = True  # type: ignore[attr-defined]
        return cast("F", wrapper)

    if func is not None:
        return decorator(func)
    return decorator


class start_span:
    """Context manager for a span around a block: a child of the active span, or a new trace.
    Inputs and outputs are not captured automatically; call ``set_inputs`` / ``set_outputs``.

    >>> import ferrotrace
    >>> with ferrotrace.start_span("retrieve", span_type="RETRIEVER") as span:
    ...     span.set_inputs({"query": "q"})
    ...     span.set_outputs(["doc"])
    """

    __slots__ = ("_args", "_span", "_token", "_destination")

    def __init__(
        self,
        name: str = "span",
        span_type: str = SpanType.UNKNOWN,
        attributes: Optional[dict[str, Any]] = None,
        trace_destination: Any = None,
        log_level: Any = None,
        run_id: Optional[str] = None,
        links: Any = None,
        description: Optional[str] = None,
    ) -> None:
        self._args = (name, _type_name(span_type), _static_attributes(attributes, log_level, description), links)
        self._destination = destination_experiment(trace_destination)
        self._span: Optional[LiveSpan] = None
        self._token: Any = None

    def __enter__(self) -> Union[LiveSpan, NoOpSpan]:
        name, span_type, attributes, links = self._args
        scope = SCOPE.get()
        if scope is not None and not scope.enabled:
            return NoOpSpan()
        try:
            traceparent = None if scope is None else scope.traceparent
            self._span = _native.start_span(
                name, CURRENT.get(), span_type, attributes, traceparent=traceparent, from_context=True
            )
        except Exception as e:  # tracing must never break the block
            _logger.warning("ferrotrace: could not start span %r: %s", name, e)
            self._span = None
        if self._span is not None:
            if self._destination is not None and self._span._is_root:
                self._span._update_trace(experiment_id=self._destination)
            if scope is not None:
                scope.on_start(self._span)
            for link in links or ():
                self._span.add_link(link)
        if self._span is None:
            return NoOpSpan()
        self._token = CURRENT.set(self._span)
        return self._span

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        span = self._span
        if span is None:
            return
        try:
            CURRENT.reset(self._token)
        except ValueError:  # exited in another context (e.g. a different asyncio task)
            CURRENT.set(None)
        end(span, None, exc, capture_result=False)


def get_current_active_span() -> Optional[LiveSpan]:
    """The span made active by ``@trace`` or ``start_span`` in this context, else ``None``."""
    return active()


def get_active_trace_id() -> Optional[str]:
    """The trace id (``tr-...``) of the active span, else ``None``."""
    span = active()
    return span.trace_id if span is not None else None


def get_last_active_trace_id(thread_local: bool = False) -> Optional[str]:
    """The id of the most recently finished trace: process-wide by default, or of this
    context (thread / asyncio task) with ``thread_local=True``. Traces dropped by sampling
    do not count."""
    if thread_local:
        span = CURRENT.get()
        return None if span is None else span._context_last_trace_id
    return _native.last_trace_id()


def update_current_trace(
    tags: Optional[dict[str, Any]] = None,
    metadata: Optional[dict[str, Any]] = None,
    client_request_id: Optional[str] = None,
    request_preview: Optional[str] = None,
    response_preview: Optional[str] = None,
    state: Any = None,
    model_id: Optional[str] = None,
    session_id: Optional[str] = None,
    user: Optional[str] = None,
) -> None:
    """Sets tags, metadata and other trace-level fields on the trace of the active span.
    Without an active span it logs a warning and returns.

    >>> import ferrotrace
    >>> with ferrotrace.start_span("request"):
    ...     ferrotrace.update_current_trace(tags={"env": "test"}, user="u1", session_id="s1")
    """
    for label, preview in (("request_preview", request_preview), ("response_preview", response_preview)):
        if preview is not None and not isinstance(preview, str):
            raise TracingError(f"{label} must be a string, got {type(preview).__name__}")
    span = active()
    if span is None:
        _logger.warning("update_current_trace() was called without an active span; nothing was updated.")
        return
    if client_request_id is not None:
        client_request_id = str(client_request_id)
    state_text = None if state is None else str(getattr(state, "value", state))
    updated = span._update_trace(
        tags, metadata, client_request_id, request_preview, response_preview, state_text, session_id, user, model_id
    )
    if not updated:
        _logger.warning("update_current_trace(): the trace %s has already ended; nothing was updated.", span.trace_id)


def flush(timeout: float = 30.0) -> bool:
    """Waits until every finished trace has been delivered, at most ``timeout`` seconds.
    Returns ``False`` on timeout."""
    return _native.flush(timeout)


def flush_trace_async_logging(terminate: bool = False) -> None:
    """MLflow's name for :func:`flush`."""
    _native.flush(30.0)


def stats() -> dict[str, Any]:
    """The tracer's counters: spans started/ended, traces exported, spilled to disk and replayed,
    dropped by reason, export retries, queue depth (traces and bytes), export latency.

    >>> import ferrotrace
    >>> sorted(ferrotrace.stats())[:3]
    ['dropped_spans', 'dropped_traces', 'export_batches']
    """
    import json

    out = cast("dict[str, Any]", json.loads(_native.stats_json()))
    from ferrotrace._integrations import FAILURES

    if FAILURES:  # failures inside autolog integrations (ferrotrace.langchain, ...)
        out["integration_failures"] = dict(FAILURES)
    return out


def start_span_no_context(
    name: str,
    span_type: str = SpanType.UNKNOWN,
    parent_span: Optional[LiveSpan] = None,
    inputs: Optional[Any] = None,
    attributes: Optional[dict[str, Any]] = None,
    tags: Optional[dict[str, str]] = None,
    metadata: Optional[dict[str, str]] = None,
    experiment_id: Optional[str] = None,
    start_time_ns: Optional[int] = None,
    log_level: Any = None,
    links: Any = None,
    description: Optional[str] = None,
) -> Union[LiveSpan, NoOpSpan]:
    """Starts a span that is not made active: its parent is ``parent_span`` (None starts a new
    trace). End it with ``span.end(...)``. ``tags`` and ``metadata`` go onto the trace.

    >>> import ferrotrace
    >>> root = ferrotrace.start_span_no_context("job")
    >>> step = ferrotrace.start_span_no_context("step", parent_span=root, inputs={"i": 1})
    >>> step.end(outputs=2); root.end()
    """
    if isinstance(parent_span, NoOpSpan):
        return NoOpSpan()
    attrs = _static_attributes(attributes, log_level, description)
    if start_time_ns:
        # MLflow records an explicit start time as this attribute too.
        attrs = {**(attrs or {}), "mlflow.spanStartTimeNs": int(start_time_ns)}
    try:
        span = _native.start_span(name, parent_span, _type_name(span_type), attrs, inputs, start_time_ns)
    except Exception as e:
        _logger.warning("ferrotrace: could not start span %r: %s", name, e)
        return NoOpSpan()
    if span is None:
        return NoOpSpan()
    if span._is_root and (tags or metadata or experiment_id is not None):
        span._update_trace(tags, metadata, experiment_id=None if experiment_id is None else str(experiment_id))
    for link in links or ():
        span.add_link(link)
    return span


def with_active_span(fn: F) -> F:
    """Carries the caller's active span (and ``tracing.context`` scope) into other threads:
    ``fn`` runs in a copy of the context taken now, a fresh copy per call, so spans it starts in
    a thread or pool worker become children of the current span. Not in MLflow, which leaves
    threads to ``contextvars.copy_context().run``.

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> import ferrotrace
    >>> with ferrotrace.start_span("fan_out"), ThreadPoolExecutor(4) as pool:
    ...     results = list(pool.map(ferrotrace.with_active_span(str), [1, 2]))
    """
    import contextvars

    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        # One Context cannot be entered by two threads at once: run each call in its own copy.
        return ctx.copy().run(fn, *args, **kwargs)

    return cast("F", run_in_context)
