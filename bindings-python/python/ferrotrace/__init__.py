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
    start_span_no_context,
    stats,
    trace,
    update_current_trace,
    with_active_span,
)
from ferrotrace._lifecycle import install as _install
from ferrotrace._native import ConfigError, LiveSpan, TracingError
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from ferrotrace import tracing
    from ferrotrace._autolog import autolog
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
    from ferrotrace._tracking import get_tracking_uri, is_tracking_uri_set, set_experiment, set_tracking_uri
    from ferrotrace._trace_functions import add_trace, log_trace, search_sessions
    from ferrotrace.client import MlflowClient, create_experiment, get_experiment, get_experiment_by_name, search_experiments
    from ferrotrace.tracing import context

from ferrotrace.exceptions import MlflowException

# Names loaded on first use (PEP 562), by module: what tracing does not need stays out of
# `import ferrotrace` (the server API brings `json`, `datetime`, `urllib.parse`, `logging`).
_LAZY = {
    "ferrotrace._assessments": (
        "delete_assessment",
        "delete_trace_tag",
        "get_assessment",
        "get_trace",
        "log_assessment",
        "log_expectation",
        "log_feedback",
        "override_feedback",
        "search_traces",
        "set_trace_tag",
        "update_assessment",
    ),
    "ferrotrace._tracking": ("get_tracking_uri", "is_tracking_uri_set", "set_experiment", "set_tracking_uri"),
    "ferrotrace._autolog": ("autolog",),
    "ferrotrace.client": (
        "MlflowClient",
        "create_experiment",
        "get_experiment",
        "get_experiment_by_name",
        "search_experiments",
    ),
    "ferrotrace._trace_functions": ("add_trace", "log_trace", "search_sessions"),
}
# MLflow's submodules, reachable as attributes (`mlflow.exceptions.MlflowException`), and the
# integration submodules (`ferrotrace.openai.autolog()`), each loaded on first use.
_SUBMODULES = ("client", "exceptions", "tracking", "openai", "anthropic", "langchain")
_LAZY_MODULE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "tracing":
        return importlib.import_module("ferrotrace.tracing")
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"ferrotrace.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"ferrotrace.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    if name == "context":
        value = importlib.import_module("ferrotrace.tracing").context
    elif name in _LAZY_MODULE:
        value = getattr(importlib.import_module(_LAZY_MODULE[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "autolog",
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
    "MlflowClient",
    "add_trace",
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "log_trace",
    "search_experiments",
    "search_sessions",
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
