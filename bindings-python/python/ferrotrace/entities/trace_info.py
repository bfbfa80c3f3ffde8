"""``ferrotrace.entities.trace_info`` (``mlflow.entities.trace_info``)."""

from __future__ import annotations

from ferrotrace._trace_entities import TraceInfo

__all__ = ["TraceInfo"]
