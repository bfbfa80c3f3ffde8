"""Traces made in child processes are kept, written the way users write it (no flush in the
children): multiprocessing with every start method, with `Process` and with `with Pool()`
(whose `__exit__` ends the workers with SIGTERM). Children leave through `os._exit`, so `atexit`
never runs there: the package's own finalizers and the SIGTERM handler deliver instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from test_delivery_faults import new_experiment, server_traces

CALLS = 1000

# A file, not `-c`: spawn and forkserver children import the main module by its path.
APP = r"""
import multiprocessing as mp
import sys

import ferrotrace

@ferrotrace.trace
def job(i):
    with ferrotrace.start_span("inner"):
        return i * 2

def several(start, stop):
    for i in range(start, stop):
        job(i)

if __name__ == "__main__":
    method, usage, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = mp.get_context(method)
    if usage == "process":
        n = 4
        step = calls // n
        procs = [ctx.Process(target=several, args=(k * step, (k + 1) * step)) for k in range(n)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        print("exitcodes", [p.exitcode for p in procs])
    else:
        with ctx.Pool(4) as pool:
            print("results", sum(pool.map(job, range(calls), chunksize=25)))
"""


def run_app(tmp_path: Path, env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "app.py"
    script.write_text(APP)
    full = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    full.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    full["FERROTRACE_SPILL_DIR"] = str(tmp_path / "ferrotrace-spill")
    full.update(env)
    return subprocess.run(
        [sys.executable, str(script), *args], env=full, cwd=str(tmp_path), capture_output=True, text=True, timeout=timeout
    )


def stored_inputs(store: Path) -> list[int]:
    from ferrotrace import _native

    texts, warnings = _native.store_read(str(store))
    assert warnings == []
    out = []
    for text in texts:
        trace = json.loads(text)
        root = [s for s in trace["data"]["spans"] if s["name"] == "job"][0]
        out.append(json.loads(root["attributes"]["mlflow.spanInputs"])["i"])
    return sorted(out)


CASES = [
    ("fork", "process"),
    ("fork", "pool"),
    ("forkserver", "process"),
    ("forkserver", "pool"),
    ("spawn", "process"),
    ("spawn", "pool"),
]


@pytest.mark.parametrize("method,usage", CASES)
def test_children_keep_every_trace_in_the_local_store(tmp_path: Path, method: str, usage: str) -> None:
    store = tmp_path / "store"
    r = run_app(tmp_path, {"FERROTRACE_LOCAL_DIR": str(store)}, method, usage, str(CALLS))
    assert r.returncode == 0, r.stderr
    if usage == "process":
        assert "exitcodes [0, 0, 0, 0]" in r.stdout, r.stdout
    assert stored_inputs(store) == list(range(CALLS)), r.stderr[-2000:]


@pytest.mark.parametrize("method,usage", [("fork", "process"), ("fork", "pool"), ("forkserver", "pool"), ("spawn", "pool")])
def test_children_keep_every_trace_on_the_mlflow_server(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path, method: str, usage: str
) -> None:
    exp = new_experiment(mlflow_reader)
    # A loaded CI machine's one-worker server can take longer than the default 5 s exit timeout
    # for 1,000 traces; what it cannot take in time is spilled (kept, not lost), but this test
    # reads the server.
    env = {"MLFLOW_TRACKING_URI": mlflow_server, "MLFLOW_EXPERIMENT_ID": exp, "FERROTRACE_EXIT_TIMEOUT": "60"}
    r = run_app(tmp_path, env, method, usage, str(CALLS))
    assert r.returncode == 0, r.stderr
    traces = server_traces(mlflow_reader, exp)
    assert len(traces) == CALLS, r.stderr[-2000:]
    assert not list((tmp_path / "ferrotrace-spill").rglob("*.ftseg")), "everything was delivered"
