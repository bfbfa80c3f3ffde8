"""Delivery through a faulty network, against the real MLflow server: for each fault the app
traces a few hundred calls, the fault is healed, and every trace must reach the server exactly
once, with no traced call slowed past 50 ms and memory bounded. The app runs in its own
interpreter (real worker, real spill folder, real exit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from fault_proxy import FaultProxy

CALLS = 200

# The app: traces CALLS calls (timing each), reports, waits for the test to heal the network,
# then flushes until what it spilled has been replayed. Prints one JSON line per phase.
APP = r"""
import json, resource, sys, time
import ferrotrace

@ferrotrace.trace(span_type="CHAIN")
def work(i):
    with ferrotrace.start_span("inner") as s:
        s.set_inputs({"i": i})
        s.set_outputs({"doubled": 2 * i})
    return {"answer": i}

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

calls = int(sys.argv[1])
half = sys.argv[2] == "half"
base = rss_mb()
worst = 0.0
for i in range(calls):
    t = time.perf_counter()
    work(i)
    worst = max(worst, time.perf_counter() - t)
    if half and i == calls // 2:
        print(json.dumps({"phase": "half"}), flush=True)
        sys.stdin.readline()
    time.sleep(0.002)
print(json.dumps({"phase": "traced", "worst_ms": worst * 1000, "rss_growth_mb": rss_mb() - base,
                  "stats": ferrotrace.stats()}), flush=True)
sys.stdin.readline()  # the test heals the network
deadline = time.time() + 60
while time.time() < deadline:
    ferrotrace.flush(10)
    s = ferrotrace.stats()
    if s["traces_pending"] == 0 and s["traces_replayed"] >= s["traces_spilled"]:
        break
    time.sleep(0.2)
print(json.dumps({"phase": "done", "stats": ferrotrace.stats()}), flush=True)
"""


def app_env(proxy: FaultProxy, experiment_id: str, spill: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        MLFLOW_TRACKING_URI=proxy.uri,
        MLFLOW_EXPERIMENT_ID=experiment_id,
        FERROTRACE_SPILL_DIR=str(spill),
        # Short budgets so a fault turns into a spill (and a replay) within the test's time.
        MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT="1",
        FERROTRACE_PROBE_MAX_INTERVAL="0.5",
        MLFLOW_HTTP_REQUEST_TIMEOUT="2",
        FERROTRACE_EXIT_TIMEOUT="5",
    )
    return env


class App:
    def __init__(self, env: dict[str, str], calls: int, half: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP, str(calls), "half" if half else "all"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def read(self, phase: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise AssertionError(f"app ended before {phase!r}: {self.proc.stderr.read() if self.proc.stderr else ''}")
        msg: dict[str, Any] = json.loads(line)
        assert msg["phase"] == phase, msg
        return msg

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def finish(self) -> dict[str, Any]:
        self.go()
        done = self.read("done")
        assert self.proc.wait(30) == 0
        return done


@pytest.fixture()
def proxy(mlflow_server: str) -> Iterator[FaultProxy]:
    with FaultProxy(mlflow_server) as p:
        yield p


def new_experiment(mlflow_reader: Any) -> str:
    return str(mlflow_reader.MlflowClient().create_experiment(f"delivery-{uuid.uuid4().hex[:10]}"))


def server_traces(mlflow_reader: Any, experiment_id: str) -> list[Any]:
    out: list[Any] = []
    token: Optional[str] = None
    client = mlflow_reader.MlflowClient()
    while True:
        page = client.search_traces(
            locations=[experiment_id], max_results=500, page_token=token, include_spans=False
        )
        out.extend(page)
        token = page.token
        if not token:
            return out


def assert_exactly_once(mlflow_reader: Any, experiment_id: str, calls: int) -> None:
    traces = server_traces(mlflow_reader, experiment_id)
    ids = [t.info.trace_id for t in traces]
    assert len(ids) == len(set(ids)) == calls, (len(ids), len(set(ids)))
    # Each arrived whole: the trace name, its two spans and its state.
    full = mlflow_reader.MlflowClient().get_trace(ids[0])
    assert {s.name for s in full.data.spans} == {"work", "inner"}
    assert {t.info.tags.get("mlflow.traceName") for t in traces} == {"work"}


FAULTS = {
    "refuse": dict(mode="refuse"),
    "delay": dict(mode="delay", delay=0.05),
    "500": dict(mode="status", status=500),
    "503": dict(mode="status", status=503),
    "429": dict(mode="status", status=429, retry_after="1"),
    "reset": dict(mode="reset"),
    "blackhole": dict(mode="blackhole"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_trace_arrives_once_through_a_fault(
    fault: str, proxy: FaultProxy, mlflow_reader: Any, tmp_path: Path
) -> None:
    exp = new_experiment(mlflow_reader)
    spec = dict(FAULTS[fault])
    proxy.set(str(spec.pop("mode")), **spec)  # type: ignore[arg-type]
    app = App(app_env(proxy, exp, tmp_path / "spill"), CALLS)
    traced = app.read("traced")
    proxy.set("pass")
    done = app.finish()
    assert traced["worst_ms"] < 50, traced
    assert traced["rss_growth_mb"] < 100, traced
    stats = done["stats"]
    assert stats["traces_dropped"] == 0, stats
    if fault != "delay":
        # The fault was met: the proxy saw it and the app spilled or retried.
        assert stats["traces_spilled"] + stats["export_retries"] > 0, stats
    assert sum(proxy.seen.values()) > 0
    assert_exactly_once(mlflow_reader, exp, CALLS)


def test_a_server_down_at_start_that_comes_up_mid_run_loses_nothing(
    proxy: FaultProxy, mlflow_reader: Any, tmp_path: Path
) -> None:
    exp = new_experiment(mlflow_reader)
    proxy.set("refuse")
    app = App(app_env(proxy, exp, tmp_path / "spill"), CALLS, half=True)
    app.read("half")
    # Down for longer than the retry budget, so the first traces go through the spill folder.
    time.sleep(2)
    proxy.set("pass")
    app.go()
    traced = app.read("traced")
    done = app.finish()
    assert traced["worst_ms"] < 50, traced
    stats = done["stats"]
    assert stats["traces_spilled"] + stats["export_retries"] > 0, stats
    assert stats["traces_dropped"] == 0, stats
    assert proxy.seen["refuse"] + proxy.seen["pass"] > 0
    assert_exactly_once(mlflow_reader, exp, CALLS)
