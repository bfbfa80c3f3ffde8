"""ferrotrace: MLflow Tracing's API on a native Rust core.

Swap the import and keep your instrumentation::

    import ferrotrace as mlflow

    @mlflow.trace(span_type="LLM")
    def ask(question: str) -> str:
        return "..."

With no tracking server configured, traces go to ``./ferrotrace-traces`` (see ``ferrotrace
traces list``).
"""

from __future__ import annotations

from ferrotrace import entities, tracing
from ferrotrace._assessments import (
    delete_assessment,
    delete_trace_tag,
    get_assessment,
    get_trace,
    log_assessment,
    log_expectation,
    log_feedback,
    override_feedback,
    search_traces,
    set_trace_tag,
    update_assessment,
)
from ferrotrace._fluent import (
    flush,
    flush_trace_async_logging,
    get_active_trace_id,
    get_current_active_span,
    get_last_active_trace_id,
    start_span,
    start_span_no_context,
    stats,
    trace,
    update_current_trace,
    with_active_span,
)
from ferrotrace._lifecycle import install as _install
from ferrotrace._tracking import get_tracking_uri, is_tracking_uri_set, set_experiment, set_tracking_uri
from ferrotrace._native import ConfigError, LiveSpan, TracingError

MlflowException = TracingError
context = tracing.context

__all__ = [
    "delete_assessment",
    "delete_trace_tag",
    "get_assessment",
    "get_trace",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "override_feedback",
    "search_traces",
    "set_experiment",
    "set_trace_tag",
    "set_tracking_uri",
    "update_assessment",
    "ConfigError",
    "LiveSpan",
    "MlflowException",
    "TracingError",
    "entities",
    "flush",
    "flush_trace_async_logging",
    "get_active_trace_id",
    "get_current_active_span",
    "get_last_active_trace_id",
    "start_span",
    "start_span_no_context",
    "context",
    "tracing",
    "stats",
    "trace",
    "update_current_trace",
    "with_active_span",
]

_install()
