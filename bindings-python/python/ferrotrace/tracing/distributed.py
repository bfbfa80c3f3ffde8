"""``ferrotrace.tracing.distributed``: carrying a trace across HTTP calls with W3C
``traceparent`` headers (``mlflow.tracing.distributed``)."""

from __future__ import annotations

from ferrotrace.tracing import get_tracing_context_headers_for_http_request, set_tracing_context_from_http_request_headers

__all__ = ["get_tracing_context_headers_for_http_request", "set_tracing_context_from_http_request_headers"]
