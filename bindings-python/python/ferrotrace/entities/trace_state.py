"""``ferrotrace.entities.trace_state`` (``mlflow.entities.trace_state``)."""

from __future__ import annotations

from ferrotrace.entities import TraceState

__all__ = ["TraceState"]
