"""Per-context state of the Python API, in contextvars (asyncio tasks inherit it, threads do not):
the active span and the last finished trace (one variable, see ``CURRENT``), and the scope set by
``tracing.context`` or ``set_tracing_context_from_http_request_headers``. Plus the span
processors (process-wide)."""

from __future__ import annotations

from contextvars import ContextVar

from ferrotrace import _native
from ferrotrace._log import logger as _logger
from ferrotrace._native import LiveSpan, TracingError

# `typing` costs ~1 MiB at import and is needed by the type checker only (annotations are strings).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

# The active span, or, once a root ended, that root *closed* (``span._closed``): no active span,
# and the context's last trace (get_last_active_trace_id(thread_local=True)). One variable for
# both: a traced root call then neither resets it nor sets a second one. Read it through
# ``active()``; native starts take its raw value (the closed root carries the last trace on).
CURRENT: ContextVar[Optional[LiveSpan]] = ContextVar("ferrotrace_current_span", default=None)


def active() -> Optional[LiveSpan]:
    """The active span of this context, else ``None``."""
    span = CURRENT.get()
    return None if span is None or span._closed else span


class Scope:
    """What ``tracing.context(...)`` declares for traces started inside it (inner scopes win)."""

    __slots__ = ("enabled", "metadata", "tags", "traceparent", "session_id", "user", "experiment_id")

    def __init__(
        self,
        enabled: bool = True,
        metadata: Optional[dict[str, str]] = None,
        tags: Optional[dict[str, str]] = None,
        traceparent: Optional[str] = None,
        session_id: Optional[str] = None,
        user: Optional[str] = None,
        experiment_id: Optional[str] = None,
    ) -> None:
        self.enabled = enabled
        self.metadata = metadata or {}
        self.tags = tags or {}
        self.traceparent = traceparent
        self.session_id = session_id
        self.user = user
        self.experiment_id = experiment_id

    def nested(self, **changes: Any) -> Scope:
        s = Scope(
            self.enabled,
            dict(self.metadata),
            dict(self.tags),
            self.traceparent,
            self.session_id,
            self.user,
            self.experiment_id,
        )
        s.metadata.update(changes.pop("metadata", None) or {})
        s.tags.update(changes.pop("tags", None) or {})
        for k, v in changes.items():
            if v is not None:
                setattr(s, k, v)
        return s

    def on_start(self, span: LiveSpan) -> None:
        if span._is_root and (self.metadata or self.tags or self.session_id or self.user or self.experiment_id):
            # Session and user become MLflow's metadata keys in the core, as for update_current_trace.
            span._update_trace(
                self.tags or None,
                self.metadata or None,
                session_id=self.session_id,
                user=self.user,
                experiment_id=self.experiment_id,
            )


def destination_experiment(destination: Any) -> Optional[str]:
    """The experiment id a trace destination names: an ``MlflowExperimentLocation`` (or MLflow's
    older ``MlflowExperiment``), or an experiment id; ``None`` for no destination."""
    if destination is None:
        return None
    exp_id = getattr(destination, "experiment_id", destination)
    if exp_id is None or isinstance(exp_id, bool) or not isinstance(exp_id, (str, int)):
        raise TracingError(f"unsupported trace destination {destination!r}: use MlflowExperimentLocation(experiment_id)")
    return str(exp_id)


def with_destination(start: Callable[..., Optional[LiveSpan]], experiment_id: Optional[str]) -> Callable[..., Optional[LiveSpan]]:
    """``start`` that sends the traces its roots begin to ``experiment_id`` (``trace_destination``)."""
    if experiment_id is None:
        return start

    def start_to_destination(*args: Any) -> Optional[LiveSpan]:
        span = start(*args)
        if span is not None and span._is_root:
            span._update_trace(experiment_id=experiment_id)
        return span

    return start_to_destination


SCOPE: ContextVar[Optional[Scope]] = ContextVar("ferrotrace_scope", default=None)

# Span processors of tracing.configure(span_processors=[...]); run at each span's end, in order,
# on the application thread. Replaced as a whole, never mutated, so readers need no lock.
PROCESSORS: tuple[Callable[[LiveSpan], Any], ...] = ()
# The native @trace wrapper (version-specific builds) reads these contextvars itself and leaves
# calls with processors to the Python path.
_set_native_processors = getattr(_native, "set_processors_present", None)
if hasattr(_native, "install_context"):
    _native.install_context(CURRENT, SCOPE)


def set_processors(processors: tuple[Callable[[LiveSpan], Any], ...]) -> None:
    global PROCESSORS
    PROCESSORS = processors
    if _set_native_processors is not None:
        _set_native_processors(bool(processors))


def after_root(span: LiveSpan) -> None:
    """A root just ended and closed (its wrapper reset the contextvar first): it becomes this
    context's last trace, unless the context has an active span of another trace (a root
    generator iterated inside it), which keeps its own last trace until it ends."""
    if active() is None:
        CURRENT.set(span)


def end(span: LiveSpan, result: Any, exc: Optional[BaseException], capture_result: bool = True) -> None:
    """Ends a span the way every API does: outputs or exception, processors, end."""
    if not PROCESSORS:
        # _end_ok / _end_exc / _close return whether the span was a root (now closed).
        if exc is not None:
            if span._end_exc(exc):
                after_root(span)
        elif capture_result:
            if span._end_ok(result):
                after_root(span)
        elif span._close():
            after_root(span)
        return
    if exc is not None:
        span.record_exception(exc)
    elif capture_result and not span._outputs_set:
        span.set_outputs(result)
    if span.status.status_code.value == "UNSET":
        span.set_status("OK")  # as MLflow: processors see the final status
    for processor in PROCESSORS:
        try:
            returned = processor(span)
        except Exception as e:
            _logger.warning("span processor %r failed: %s", processor, e)
            continue
        if returned is not None:
            _logger.warning("span processor %r returned a value; processors change the span in place", processor)
    if span._close():
        after_root(span)


def begin(start: Callable[..., Optional[LiveSpan]], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[LiveSpan]:
    """Starts the span of one traced call, honouring the scope; None when not tracing."""
    scope = SCOPE.get()
    if scope is not None and not scope.enabled:
        return None
    try:
        span = start(CURRENT.get(), args, kwargs, None if scope is None else scope.traceparent)
    except Exception:
        return None
    if scope is not None and span is not None:
        scope.on_start(span)
    return span
