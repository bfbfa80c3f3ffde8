"""``ferrotrace.entities.span_event`` (``mlflow.entities.span_event``)."""

from __future__ import annotations

from ferrotrace.entities import SpanEvent

__all__ = ["SpanEvent"]
