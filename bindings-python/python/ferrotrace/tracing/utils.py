"""``ferrotrace.tracing.utils``: MLflow's tracing helpers that a program calls directly
(``mlflow.tracing.utils``)."""

from __future__ import annotations

import json
from typing import Any

from ferrotrace._trace_functions import set_span_chat_tools

__all__ = ["TraceJSONEncoder", "decode_id", "encode_span_id", "encode_trace_id", "set_span_chat_tools"]


def encode_span_id(span_id: int) -> str:
    """A span id (64-bit int) as the 16 hex digits MLflow shows."""
    return format(int(span_id), "016x")


def encode_trace_id(trace_id: int) -> str:
    """A trace id (128-bit int) as 32 hex digits."""
    return format(int(trace_id), "032x")


def decode_id(span_or_trace_id: str) -> int:
    """Hex digits back to the int id."""
    return int(span_or_trace_id, 16)


class TraceJSONEncoder(json.JSONEncoder):
    """Encodes what spans hold: objects with ``model_dump``/``to_dict``/``__dict__``, else their
    ``str()``; never raises on a value."""

    def default(self, o: Any) -> Any:
        for method in ("model_dump", "to_dict", "dict"):
            fn = getattr(o, method, None)
            if callable(fn):
                try:
                    return fn()
                except Exception:
                    pass
        if isinstance(o, (set, frozenset, tuple)):
            return list(o)
        if hasattr(o, "__dict__"):
            return {k: v for k, v in vars(o).items() if not k.startswith("_")}
        return str(o)
