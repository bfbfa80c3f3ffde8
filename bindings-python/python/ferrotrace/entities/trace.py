"""``ferrotrace.entities.trace`` (``mlflow.entities.trace``)."""

from __future__ import annotations

from ferrotrace._trace_entities import Trace

__all__ = ["Trace"]
