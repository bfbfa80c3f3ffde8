"""``ferrotrace.tracing``: switches and scopes of tracing, MLflow's ``mlflow.tracing`` namespace.

>>> import ferrotrace
>>> with ferrotrace.tracing.context(tags={"tenant": "acme"}):
...     with ferrotrace.start_span("request"):
...         pass
"""

from __future__ import annotations

from contextlib import contextmanager

from ferrotrace import _context, _native
from ferrotrace._context import SCOPE, Scope
from ferrotrace._log import logger as _logger
from ferrotrace._native import LiveSpan, TracingError
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Literal, Optional

__all__ = [
    "MlflowExperimentLocation",
    "configure",
    "configure_otlp",
    "context",
    "disable",
    "enable",
    "get_tracing_context_headers_for_http_request",
    "reset",
    "set_destination",
    "set_redaction",
    "set_sampling",
    "set_tracing_context_from_http_request_headers",
]


def enable() -> None:
    """Turns tracing on (the default)."""
    _native.set_enabled(True)


def disable() -> None:
    """Turns tracing off: traced functions run untouched and ``start_span`` yields a NoOpSpan."""
    _native.set_enabled(False)


def reset() -> None:
    """Forgets span processors and turns tracing back on."""
    _context.set_processors(())
    _native.set_enabled(True)


@contextmanager
def context(
    metadata: Optional[dict[str, Any]] = None,
    tags: Optional[dict[str, Any]] = None,
    enabled: Optional[bool] = None,
    session_id: Optional[str] = None,
    user: Optional[str] = None,
) -> Iterator[None]:
    """Adds metadata and tags to every trace started inside the block, without making a span;
    ``enabled=False`` turns tracing off inside it only. Scopes nest; the inner one wins."""
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    outer = SCOPE.get() or Scope()
    inner = outer.nested(
        metadata=meta,
        tags={str(k): str(v) for k, v in (tags or {}).items()},
        enabled=enabled,
        session_id=session_id,
        user=user,
    )
    token = SCOPE.set(inner)
    try:
        yield
    finally:
        SCOPE.reset(token)


class configure:
    """Sets span processors: callables taking one ``LiveSpan``, run in order when each span
    ends (after its outputs and status, before export), on the application thread; they may
    change inputs, outputs and attributes (redaction). Used as a call the setting stays; used
    as ``with tracing.configure(...)`` it is reverted at the end of the block."""

    def __init__(self, span_processors: Optional[list[Callable[[LiveSpan], Any]]] = None) -> None:
        processors = tuple(span_processors or ())
        for p in processors:
            _check_processor(p)
        self._previous = _context.PROCESSORS
        _context.set_processors(processors)

    def __enter__(self) -> configure:
        return self

    def __exit__(self, *exc: object) -> None:
        _context.set_processors(self._previous)


def _check_processor(p: Any) -> None:
    import inspect

    if not callable(p):
        raise TracingError(f"span processor {p!r} is not callable")
    if inspect.isfunction(p) or inspect.ismethod(p):
        params = [
            x
            for x in inspect.signature(p).parameters.values()
            if x.kind in (x.POSITIONAL_ONLY, x.POSITIONAL_OR_KEYWORD) and x.default is x.empty
        ]
        if len(params) != 1:
            raise TracingError(f"span processor {p.__name__} must take exactly one argument (the span)")


def configure_otlp(
    endpoint: Optional[str] = None,
    *,
    headers: Optional[dict[str, str]] = None,
    compression: Optional[str] = None,
    timeout: Optional[float] = None,
    service_name: Optional[str] = None,
    dual_export: Optional[bool] = None,
    semconv: Optional[Literal["mlflow", "genai", "openinference"]] = None,
) -> None:
    """Sends traces to an OpenTelemetry collector over OTLP/HTTP (protobuf), as the
    ``OTEL_EXPORTER_OTLP_*`` variables do. ``endpoint`` is used as is when it has a path,
    else ``/v1/traces`` is appended; ``""`` turns OTLP export off. As in MLflow, the collector
    replaces the MLflow server (or local store) unless ``dual_export=True``. ``compression``
    is ``"gzip"`` or ``"none"``, ``timeout`` in seconds. ``semconv`` picks the span attributes
    (``FERROTRACE_OTLP_SEMCONV``): ``"mlflow"`` (what MLflow's OTLP exporter sends, the
    default), ``"genai"`` (MLflow's OpenTelemetry GenAI translation,
    ``MLFLOW_ENABLE_OTEL_GENAI_SEMCONV``) or ``"openinference"`` (for Arize Phoenix). Arguments
    left ``None`` keep their setting. An invalid value raises ``ConfigError`` naming it
    (``otlp_endpoint``, ``otlp_semconv``, ...).

    Example: ``ferrotrace.tracing.configure_otlp("http://localhost:4318", headers={"x-api-key": "k"})``
    """
    _native.configure(
        otlp={
            "endpoint": endpoint,
            "headers": None if headers is None else [(str(k), str(v)) for k, v in headers.items()],
            "compression": compression,
            "timeout": timeout,
            "service_name": service_name,
            "dual_export": dual_export,
            "semconv": semconv,
        }
    )


def set_redaction(
    mode: Optional[str] = None,
    *,
    patterns: Optional[dict[str, str]] = None,
) -> None:
    """Sets what is redacted before traces leave the process (``FERROTRACE_REDACT``,
    ``FERROTRACE_REDACT_PATTERNS``). ``mode``: ``"secrets"`` (the default), ``"secrets,pii"``
    or ``"off"``; ``patterns``: user rules, rule name -> regex (Rust ``regex`` syntax), each
    match replaced by ``[REDACTED:<name>]``; replaces earlier user rules. ``None`` keeps a
    setting. An invalid value raises ``ConfigError`` naming it.

    >>> import ferrotrace
    >>> ferrotrace.tracing.set_redaction("secrets,pii", patterns={"employee_id": r"EMP-\\d{6}"})
    >>> ferrotrace.tracing.set_redaction("secrets", patterns={})
    """
    items = None if patterns is None else [(str(k), str(v)) for k, v in patterns.items()]
    _native.configure(redact=mode, redact_patterns=items)


def set_sampling(
    ratio: Optional[float] = None,
    *,
    keep_errors: Optional[bool] = None,
    keep_slower_than_ms: Optional[float] = None,
) -> None:
    """Sets trace sampling: ``ratio`` as ``MLFLOW_TRACE_SAMPLING_RATIO``; the opt-in tail rule
    keeps traces the ratio drops when they end in error (``keep_errors``,
    ``FERROTRACE_SAMPLING_KEEP_ERRORS``) or their root runs at least ``keep_slower_than_ms``
    (``FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS``; 0 turns it off). ``None`` keeps a setting.

    >>> import ferrotrace
    >>> ferrotrace.tracing.set_sampling(1.0, keep_errors=False, keep_slower_than_ms=0)
    """
    _native.configure(
        sampling_ratio=ratio,
        sampling_keep_errors=keep_errors,
        sampling_keep_slower_than_ms=keep_slower_than_ms,
    )


class MlflowExperimentLocation:
    """A trace destination: an experiment on the configured MLflow server."""

    def __init__(self, experiment_id: str) -> None:
        self.experiment_id = str(experiment_id)


def set_destination(destination: Any, *, context_local: bool = False) -> None:
    """Sends traces to this destination (an ``MlflowExperimentLocation``, or an experiment id of
    the configured server). With ``context_local=True`` only traces started later in the current
    context (thread, asyncio task, and tasks it starts) go there; others keep the process-wide one.

    >>> from ferrotrace import tracing
    >>> tracing.set_destination(tracing.MlflowExperimentLocation("0"), context_local=True)
    """
    exp_id = _context.destination_experiment(destination)
    if exp_id is None:
        raise TracingError("set_destination() needs a destination, e.g. MlflowExperimentLocation(experiment_id)")
    if context_local:
        SCOPE.set((SCOPE.get() or Scope()).nested(experiment_id=exp_id))
    else:
        _native.configure(experiment_id=exp_id)


def get_tracing_context_headers_for_http_request() -> dict[str, str]:
    """W3C ``traceparent`` of the active span, to send to a downstream service (``{}`` and a
    warning without an active span)."""
    span = _context.active()
    if span is None:
        _logger.warning("get_tracing_context_headers_for_http_request() was called without an active span")
        return {}
    return {"traceparent": span._traceparent()}


@contextmanager
def set_tracing_context_from_http_request_headers(headers: Any) -> Iterator[None]:
    """Continues the caller's trace: spans started inside become children of the remote span
    named by the ``traceparent`` header (any capitalisation), in the same trace."""
    items = headers.items() if hasattr(headers, "items") else headers
    traceparent = next((str(v) for k, v in items if str(k).lower() == "traceparent"), None)
    if traceparent is None:
        raise TracingError("The 'traceparent' header is required to continue a trace")
    outer = SCOPE.get() or Scope()
    token = SCOPE.set(outer.nested(traceparent=traceparent))
    try:
        yield
    finally:
        SCOPE.reset(token)


# The rest of mlflow.tracing's public names, loaded on first use (PEP 562).
_LAZY = {
    "set_span_chat_tools": "ferrotrace._trace_functions",
    "add_trace": "ferrotrace._trace_functions",
    "log_trace": "ferrotrace._trace_functions",
    "search_sessions": "ferrotrace._trace_functions",
    "enable_notebook_display": "ferrotrace.tracing._compat",
    "disable_notebook_display": "ferrotrace.tracing._compat",
    "set_databricks_monitoring_sql_warehouse_id": "ferrotrace.tracing._compat",
    "set_experiment_trace_location": "ferrotrace.tracing._compat",
    "unset_experiment_trace_location": "ferrotrace.tracing._compat",
    "get_bridged_tracer_provider": "ferrotrace.tracing._compat",
}
__all__ += list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in ("constant", "distributed", "fluent", "provider", "utils"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
