"""Shared fixtures: every test traces into the in-memory destination and reads back what the
core actually exported (after a flush), in MLflow's Trace.to_dict() shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Optional

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


def run_script(
    code: str, env: dict[str, str], cwd: str, timeout: float = 120, argv: Optional[list[str]] = None
) -> subprocess.CompletedProcess[str]:
    """Runs Python code in a fresh interpreter (fresh tracer, real local store, real exit)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    full_env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    # Spilled traces stay inside the test's folder, not in the user's cache.
    full_env["FERROTRACE_SPILL_DIR"] = os.path.join(cwd, "ferrotrace-spill")
    full_env.update(env)
    cmd = [sys.executable, "-c", code, *(argv or [])]
    return subprocess.run(cmd, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real MLflow tracking server on 127.0.0.1 for the whole session (or the one named by
    FERROTRACE_TEST_MLFLOW_URI), stopped by the pid this fixture started."""
    import mlflow_server as support

    given = os.environ.get("FERROTRACE_TEST_MLFLOW_URI")
    if given:
        yield given
        return
    server = support.start(tmp_path_factory.mktemp("mlflow-server"))
    try:
        yield server.uri
    finally:
        support.stop_pid(server.pid)


@pytest.fixture(scope="session")
def mlflow_reader(mlflow_server: str) -> Any:
    """MLflow's own client, pointed at the test server."""
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["DO_NOT_TRACK"] = "true"
    import mlflow

    mlflow.set_tracking_uri(mlflow_server)
    return mlflow
