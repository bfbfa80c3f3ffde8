"""Counters shared by the autolog integrations: failures inside tracing, by integration, shown
in ``stats()["integration_failures"]`` once there are any (the run they happened in went on)."""

from __future__ import annotations

FAILURES: dict[str, int] = {}


def count_failure(integration: str) -> int:
    """Counts one failure of ``integration``; returns its count so far."""
    n = FAILURES.get(integration, 0) + 1
    FAILURES[integration] = n
    return n
