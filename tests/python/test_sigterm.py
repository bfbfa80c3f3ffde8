"""SIGTERM (how Docker and Kubernetes stop a container) and `kill -9`: a process stopped after
1,000 traced calls keeps every finished trace. With no SIGTERM handler of the application's, the
queue is delivered within the exit timeout and the process still ends with SIGTERM's status; an
application's own handler (or SIG_IGN) is left alone. With a slow or silent server, finished
traces reach the spill folder within a few seconds, so even `kill -9` loses none of them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fault_proxy import FaultProxy
from test_delivery_faults import new_experiment, server_traces

CALLS = 1000

APP = r"""
import os, signal, sys, time
mode = sys.argv[1]
if mode == "app-handler":
    def on_term(signum, frame):
        print("app handler ran", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
elif mode == "ignored":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

import ferrotrace

@ferrotrace.trace
def job(i):
    with ferrotrace.start_span("inner"):
        return i

for i in range(int(sys.argv[2])):
    job(i)
print("done", flush=True)
if mode == "wait":
    time.sleep(60)
else:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(3)
    print("survived", flush=True)
"""


def start(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    full.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    full["FERROTRACE_SPILL_DIR"] = str(tmp_path / "spill")
    full.update(env)
    return subprocess.Popen(
        [sys.executable, "-c", APP, *args],
        env=full,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(p: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def wait_for_line(p: subprocess.Popen[str], line: str, timeout: float = 60) -> None:
    assert p.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = p.stdout.readline()
        if got.strip() == line:
            return
        if not got and p.poll() is not None:
            raise AssertionError(f"exited early: {p.returncode}")
    raise AssertionError(f"no {line!r} within {timeout} s")


def store_inputs(dirs: list[Path]) -> list[int]:
    from ferrotrace import _native

    out = []
    for d in dirs:
        texts, _warnings = _native.store_read(str(d))
        for text in texts:
            trace = json.loads(text)
            root = [s for s in trace["data"]["spans"] if s["name"] == "job"][0]
            out.append(json.loads(root["attributes"]["mlflow.spanInputs"])["i"])
    return sorted(out)


def spill_lanes(tmp_path: Path) -> list[Path]:
    root = tmp_path / "spill"
    return [d for d in root.iterdir() if d.is_dir()] if root.exists() else []


def test_sigterm_without_a_handler_keeps_every_trace_and_still_ends_by_sigterm(tmp_path: Path) -> None:
    store = tmp_path / "store"
    rc, out, err = finish(start(tmp_path, {"FERROTRACE_LOCAL_DIR": str(store)}, "term", str(CALLS)))
    assert rc == -signal.SIGTERM, (rc, out, err)
    assert "survived" not in out
    assert store_inputs([store]) == list(range(CALLS)), err[-2000:]


def test_an_application_handler_or_sig_ign_is_left_alone(tmp_path: Path) -> None:
    store = tmp_path / "store"
    rc, out, err = finish(start(tmp_path, {"FERROTRACE_LOCAL_DIR": str(store)}, "app-handler", "10"))
    assert (rc, out.split()) == (0, ["done", "app", "handler", "ran"]), err
    # The handler's sys.exit runs the normal exit hook: nothing lost either.
    assert store_inputs([store]) == list(range(10))
    rc, out, err = finish(start(tmp_path, {"FERROTRACE_LOCAL_DIR": str(store)}, "ignored", "10"))
    assert (rc, out.split()) == (0, ["done", "survived"]), err


def test_sigterm_against_the_mlflow_server_delivers_every_trace(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    exp = new_experiment(mlflow_reader)
    env = {"MLFLOW_TRACKING_URI": mlflow_server, "MLFLOW_EXPERIMENT_ID": exp}
    rc, out, err = finish(start(tmp_path, env, "term", str(CALLS)))
    assert rc == -signal.SIGTERM, (rc, out, err)
    # Delivered within the exit timeout, or (a server slower than that) on disk for the next
    # process: none lost.
    on_server = {t.info.trace_id for t in server_traces(mlflow_reader, exp)}
    from ferrotrace import _native

    on_disk = set()
    for lane in spill_lanes(tmp_path):
        texts, _ = _native.store_read(str(lane))
        on_disk |= {json.loads(t)["info"]["trace_id"] for t in texts}
    assert len(on_server | on_disk) == CALLS, (len(on_server), len(on_disk), err[-2000:])


def replay_into(mlflow_reader: Any, exp: str, env: dict[str, str], tmp_path: Path) -> list[Any]:
    """A later process (tracing nothing) replays the spill folder."""
    p = start(tmp_path, env, "wait", "0")
    try:
        deadline = time.monotonic() + 240
        traces: list[Any] = []
        while time.monotonic() < deadline:
            traces = server_traces(mlflow_reader, exp)
            # Distinct ids: a search paged while the replay still inserts can list a trace twice.
            if len({t.info.trace_id for t in traces}) >= CALLS:
                break
            time.sleep(1)
        return traces
    finally:
        p.kill()
        p.communicate()


def kill_after_a_stall(tmp_path: Path, mlflow_reader: Any, mlflow_server: str, sig: int, mode: str) -> None:
    exp = new_experiment(mlflow_reader)
    with FaultProxy(mlflow_server) as proxy:
        env = {"MLFLOW_TRACKING_URI": proxy.uri, "MLFLOW_EXPERIMENT_ID": exp, "FERROTRACE_EXIT_TIMEOUT": "2"}
        proxy.set(mode, delay=60.0)
        p = start(tmp_path, env, "wait", str(CALLS))
        try:
            wait_for_line(p, "done")
            # "A few seconds": everything finished is on disk by now, although the first send
            # is still waiting for an answer.
            time.sleep(4)
            on_disk = store_inputs(spill_lanes(tmp_path))
            p.send_signal(sig)
            rc, _out, err = finish(p)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        assert on_disk == list(range(CALLS)), (len(on_disk), err[-2000:])
        assert rc == -sig, (rc, err[-2000:])
        proxy.set("pass")
        traces = replay_into(mlflow_reader, exp, env, tmp_path)
    ids = [t.info.trace_id for t in traces]
    assert len(set(ids)) == CALLS, len(set(ids))


def test_kill_9_with_a_silent_server_loses_nothing_finished_seconds_earlier(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    kill_after_a_stall(tmp_path, mlflow_reader, mlflow_server, signal.SIGKILL, "blackhole")


def test_sigterm_with_a_slow_server_spills_and_the_next_process_delivers(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    kill_after_a_stall(tmp_path, mlflow_reader, mlflow_server, signal.SIGTERM, "delay")

