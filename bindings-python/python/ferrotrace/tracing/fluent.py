"""``ferrotrace.tracing.fluent``: where MLflow defines its fluent tracing API
(``mlflow.tracing.fluent``)."""

from __future__ import annotations

from ferrotrace._assessments import delete_trace_tag, get_trace, search_traces, set_trace_tag
from ferrotrace._fluent import (
    flush_trace_async_logging,
    get_active_trace_id,
    get_current_active_span,
    get_last_active_trace_id,
    start_span,
    start_span_no_context,
    trace,
    update_current_trace,
)
from ferrotrace._trace_functions import Session, add_trace, log_trace, search_sessions

__all__ = [
    "Session",
    "add_trace",
    "delete_trace_tag",
    "flush_trace_async_logging",
    "get_active_trace_id",
    "get_current_active_span",
    "get_last_active_trace_id",
    "get_trace",
    "log_trace",
    "search_sessions",
    "search_traces",
    "set_trace_tag",
    "start_span",
    "start_span_no_context",
    "trace",
    "update_current_trace",
]
