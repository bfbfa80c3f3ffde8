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

from ferrotrace import entities
from ferrotrace._fluent import (
    flush,
    flush_trace_async_logging,
    get_active_trace_id,
    get_current_active_span,
    get_last_active_trace_id,
    start_span,
    stats,
    trace,
    update_current_trace,
)
from ferrotrace._lifecycle import install as _install
from ferrotrace._native import ConfigError, LiveSpan, TracingError

MlflowException = TracingError

__all__ = [
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
    "stats",
    "trace",
    "update_current_trace",
]

_install()
