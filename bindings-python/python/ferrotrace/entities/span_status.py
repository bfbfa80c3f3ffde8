"""``ferrotrace.entities.span_status`` (``mlflow.entities.span_status``)."""

from __future__ import annotations

from ferrotrace.entities import SpanStatus, SpanStatusCode

__all__ = ["SpanStatus", "SpanStatusCode"]
