"""Shared fixtures: every test traces into the in-memory destination and reads back what the
core actually exported (after a flush), in MLflow's Trace.to_dict() shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

import ferrotrace
from ferrotrace import _native


@pytest.fixture(autouse=True)
def memory_destination() -> Any:
    _native.configure(destination="memory")
    _native.set_enabled(True)
    # Deliver what an earlier test left queued before emptying the destination.
    ferrotrace.flush(10)
    _native.clear_memory()
    yield
    ferrotrace.flush(10)
    _native.clear_memory()


def exported() -> list[dict[str, Any]]:
    """Traces exported so far, oldest first."""
    assert ferrotrace.flush(10)
    return [json.loads(t) for t in _native.memory_traces()]


def only_trace() -> dict[str, Any]:
    traces = exported()
    assert len(traces) == 1, [t["info"]["trace_id"] for t in traces]
    return traces[0]


def spans_by_name(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in trace["data"]["spans"]}


def attr(span: dict[str, Any], key: str) -> Any:
    """A span attribute decoded from its JSON text (as MLflow stores it)."""
    raw = span["attributes"].get(key)
    return None if raw is None else json.loads(raw)


def run_script(code: str, env: dict[str, str], cwd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs Python code in a fresh interpreter (fresh tracer, real local store, real exit)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
