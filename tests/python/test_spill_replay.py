"""A spilled backlog drains across short processes (cron jobs, serverless handlers, CLIs): each
process replays part of it in batches whose progress is recorded next to the segment, so the
next one goes on from there instead of starting the segment over. Each exit wait stays bounded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from conftest import run_script
from fault_proxy import FaultProxy
from test_delivery_faults import new_experiment, server_traces

CALLS = 1000

APP = r"""
import sys, time
import ferrotrace

@ferrotrace.trace
def job(i):
    with ferrotrace.start_span("inner"):
        return i

for i in range(int(sys.argv[1])):
    job(i)
time.sleep(float(sys.argv[2]))
"""


def test_a_backlog_drains_across_short_processes(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    exp = new_experiment(mlflow_reader)
    with FaultProxy(mlflow_server) as proxy:
        env = {
            "MLFLOW_TRACKING_URI": proxy.uri,
            "MLFLOW_EXPERIMENT_ID": exp,
            "FERROTRACE_EXIT_TIMEOUT": "1",
            "FERROTRACE_PROBE_MAX_INTERVAL": "0.5",
        }
        proxy.set("refuse")
        r = run_script(APP, env, str(tmp_path), argv=[str(CALLS), "0"], timeout=60)
        assert r.returncode == 0, r.stderr
        assert f"{CALLS} trace(s) are kept in the spill folder" in r.stderr, r.stderr[-2000:]
        proxy.set("pass")
        counts = []
        for _ in range(60):
            started = time.monotonic()
            r = run_script(APP, env, str(tmp_path), argv=["0", "1.5"], timeout=60)
            took = time.monotonic() - started
            assert r.returncode == 0, r.stderr
            # Its life, the exit timeout and the interpreter's start-up: never the whole backlog.
            assert took < 1.5 + 1 + 4, took
            counts.append(len(server_traces(mlflow_reader, exp)))
            if counts[-1] >= CALLS:
                break
    assert counts[-1] == CALLS, counts
    # Every process delivered part of it.
    assert all(b > a for a, b in zip(counts, counts[1:])), counts
    assert not list((tmp_path / "ferrotrace-spill").rglob("*.ftseg*")), "the folder is empty at the end"
