"""``ferrotrace.tracing.provider``: turning tracing on and off (``mlflow.tracing.provider``)."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from ferrotrace import _native
from ferrotrace.tracing import disable, enable, reset, set_destination

__all__ = ["disable", "enable", "is_tracing_enabled", "reset", "set_destination", "trace_disabled"]

F = TypeVar("F", bound=Callable[..., Any])


def is_tracing_enabled() -> bool:
    """Whether tracing is on (``enable()`` / ``disable()``)."""
    return bool(_native.is_enabled())


def trace_disabled(f: F) -> F:
    """Runs ``f`` with tracing off, and turns it back on afterwards if it was on."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_on = is_tracing_enabled()
        if was_on:
            disable()
        try:
            return f(*args, **kwargs)
        finally:
            if was_on:
                enable()

    return wrapper  # type: ignore[return-value]
