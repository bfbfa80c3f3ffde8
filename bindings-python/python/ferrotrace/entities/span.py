"""``ferrotrace.entities.span`` (``mlflow.entities.span``): spans and their types."""

from __future__ import annotations

from ferrotrace._native import LiveSpan
from ferrotrace._trace_entities import Span
from ferrotrace.entities import NO_OP_SPAN_TRACE_ID, NoOpSpan, SpanType
from ferrotrace.tracing.constant import SpanAttributeKey

__all__ = ["LiveSpan", "NO_OP_SPAN_TRACE_ID", "NoOpSpan", "Span", "SpanAttributeKey", "SpanType"]
