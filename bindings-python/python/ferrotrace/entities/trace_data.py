"""``ferrotrace.entities.trace_data`` (``mlflow.entities.trace_data``)."""

from __future__ import annotations

from ferrotrace._trace_entities import TraceData

__all__ = ["TraceData"]
