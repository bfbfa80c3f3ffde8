"""Delivery at the edges of a process's life, against the real MLflow server: exit right after
the last call delivers it (or spills it for the next process), a 100,000-call loop loses
nothing, `ferrotrace push` replays a store without duplicates, and sync mode delivers before
the traced call returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import run_script
from fault_proxy import FaultProxy
from test_delivery_faults import new_experiment, server_traces

TRACE_N = r"""
import json, sys
import ferrotrace

@ferrotrace.trace
def work(i):
    with ferrotrace.start_span("inner"):
        return i

for i in range(int(sys.argv[1])):
    work(i)
if len(sys.argv) > 2 and sys.argv[2] == "replay":
    import time
    deadline = time.time() + 30
    while time.time() < deadline:
        ferrotrace.flush(5)
        if ferrotrace.stats()["traces_replayed"] > 0:
            break
        time.sleep(0.2)
print(json.dumps(ferrotrace.stats()))
"""


def server_env(uri: str, exp: str, spill: Path, **extra: str) -> dict[str, str]:
    return dict(
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_EXPERIMENT_ID=exp,
        FERROTRACE_SPILL_DIR=str(spill),
        MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT="1",
        FERROTRACE_PROBE_MAX_INTERVAL="0.5",
        MLFLOW_HTTP_REQUEST_TIMEOUT="2",
        **extra,
    )


def test_exit_right_after_the_last_call_delivers_it(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    exp = new_experiment(mlflow_reader)
    r = run_script(TRACE_N, server_env(mlflow_server, exp, tmp_path / "spill"), str(tmp_path), argv=["20"])
    assert r.returncode == 0, r.stderr
    assert "not delivered" not in r.stderr
    assert len(server_traces(mlflow_reader, exp)) == 20


def test_exit_with_the_server_unreachable_spills_and_the_next_process_replays(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    exp = new_experiment(mlflow_reader)
    with FaultProxy(mlflow_server) as proxy:
        env = server_env(proxy.uri, exp, tmp_path / "spill", FERROTRACE_EXIT_TIMEOUT="2")
        proxy.set("blackhole")
        # The subprocess timeout is the hang detector: the exit hook must give up on its own.
        r = run_script(TRACE_N, env, str(tmp_path), argv=["20"], timeout=60)
        assert r.returncode == 0, r.stderr
        segments = list((tmp_path / "spill").rglob("*.ftseg"))
        assert segments, r.stderr
        # One line at exit says where the undelivered traces wait; nothing was dropped.
        assert "20 trace(s) are kept in the spill folder" in r.stderr, r.stderr
        assert "not delivered" not in r.stderr
        assert server_traces(mlflow_reader, exp) == []
        proxy.set("pass")
        # The next process replays at start-up, before (here: without) tracing anything.
        r = run_script(TRACE_N, env, str(tmp_path), argv=["0", "replay"], timeout=60)
        assert r.returncode == 0, r.stderr
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        assert stats["traces_replayed"] >= 20, stats
    ids = [t.info.trace_id for t in server_traces(mlflow_reader, exp)]
    assert len(ids) == len(set(ids)) == 20
    assert not list((tmp_path / "spill").rglob("*.ftseg"))


def test_a_100k_call_tight_loop_loses_nothing_with_default_settings(tmp_path: Path) -> None:
    code = r"""
import json, resource
import ferrotrace

@ferrotrace.trace
def f(i):
    return i

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

f(-1)
ferrotrace.flush(10)
base = rss()
for i in range(100_000):
    f(i)
ferrotrace.flush(120)
print(json.dumps({"rss_growth_mb": rss() - base, "stats": ferrotrace.stats()}))
"""
    store = tmp_path / "store"
    r = run_script(code, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp_path), timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    stats = out["stats"]
    assert stats["traces_dropped"] == 0, stats
    assert stats["traces_exported"] == 100_001, stats
    # Bounded by FERROTRACE_MAX_QUEUE_BYTES (queue and overflow), not by the number of calls.
    assert out["rss_growth_mb"] < 300, out
    records = sum(seg.read_bytes().count(b"\nFT1 ") + 1 for seg in store.glob("*.ftseg"))
    assert records == 100_001


def test_push_replays_a_store_once_however_often_it_runs(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    r = run_script(TRACE_N, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp_path), argv=["10"])
    assert r.returncode == 0, r.stderr
    exp = new_experiment(mlflow_reader)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    for _ in range(2):
        p = subprocess.run(
            [sys.executable, "-m", "ferrotrace.cli", "push", "--tracking-uri", mlflow_server,
             "--experiment-id", exp, str(store)],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert p.returncode == 0, p.stderr
        assert "found 10 trace(s): sent 10, rejected 0, unsent 0" in p.stdout
    traces = server_traces(mlflow_reader, exp)
    assert len({t.info.trace_id for t in traces}) == len(traces) == 10
    full = mlflow_reader.MlflowClient().get_trace(traces[0].info.trace_id)
    assert sorted(s.name for s in full.data.spans) == ["inner", "work"]
    # A server that is not there: counted as unsent, non-zero exit.
    p = subprocess.run(
        [sys.executable, "-m", "ferrotrace.cli", "push", "--tracking-uri", "http://127.0.0.1:9", str(store)],
        env={**env, "MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT": "0"}, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 1
    assert "unsent 10" in p.stdout


def test_sync_mode_delivers_before_the_traced_call_returns(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    exp = new_experiment(mlflow_reader)
    code = r"""
import os
import ferrotrace

@ferrotrace.trace
def work():
    return 1

work()
print(ferrotrace.get_last_active_trace_id())
os._exit(0)  # no exit hook: only what was delivered during the call counts
"""
    env = server_env(mlflow_server, exp, tmp_path / "spill", MLFLOW_ENABLE_ASYNC_TRACE_LOGGING="false")
    r = run_script(code, env, str(tmp_path))
    assert r.returncode == 0, r.stderr
    trace_id = r.stdout.strip()
    assert [t.info.trace_id for t in server_traces(mlflow_reader, exp)] == [trace_id]
