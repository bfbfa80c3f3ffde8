"""``ferrotrace.entities.trace_status`` (``mlflow.entities.trace_status``)."""

from __future__ import annotations

from ferrotrace.entities import TraceStatus

__all__ = ["TraceStatus"]
