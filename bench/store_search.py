"""Search over the local store at scale, and the same search in MLflow's own local store.

1. 100,000 traces of 5 spans are traced into a fresh local store (one process, as an app
   would), then `search_traces` with a tag filter and with a name filter runs in a new process:
   and without a filter (the newest 100): the first search, and three more (a fresh process
   each time, so nothing is cached in memory). CPU time (the process's) is reported besides
   wall time, since the machine may be shared; and how the CPU splits between the core's
   search, `json.loads` of its answer and building the `Trace` objects. The first call of
   each process (ferrotrace starting; MLflow opening its database) is timed apart.
2. The first 10,000 of those traces are pushed (`ferrotrace push`) to an MLflow server backed
   by sqlite, and MLflow's client searches that database directly (`sqlite:///`, MLflow's own
   local store) with the same filters; ferrotrace searches a local store of the same 10,000.

Prints the times and the ratio. Usage: python bench/store_search.py [N] [--no-mlflow]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
import mlflow_server  # noqa: E402

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 100_000
WITH_MLFLOW = "--no-mlflow" not in sys.argv
SMALL = 10_000
USERS = 1_000  # tags.user: each value on N / USERS traces
NAMES = 100  # trace names: each on N / NAMES traces

WRITE = r"""
import sys, ferrotrace as mlflow
n, start = int(sys.argv[1]), int(sys.argv[2])
for i in range(start, start + n):
    with mlflow.start_span(f"agent_{i % %NAMES%}", span_type="AGENT") as root:
        root.set_inputs({"q": f"question {i}"})
        mlflow.update_current_trace(tags={"user": f"u{i % %USERS%}"})
        for j in range(4):
            with mlflow.start_span(f"step{j}", span_type="TOOL") as s:
                s.set_outputs(j)
        root.set_outputs("answer")
mlflow.flush(600)
""".replace("%NAMES%", str(NAMES)).replace("%USERS%", str(USERS))

SEARCH = r"""
import json, resource, sys, time, ferrotrace as mlflow
from ferrotrace import _native
from ferrotrace._assessments import _search_page
from ferrotrace.entities import Trace
out = {}
# The first call of a process also starts ferrotrace (config, threads): timed apart.
t0, c0 = time.perf_counter(), time.process_time()
mlflow.search_traces(filter_string="tags.user = 'nobody'", max_results=1, return_type="list")
out["first_call"] = [time.perf_counter() - t0, time.process_time() - c0]
for f in json.loads(sys.argv[1]):
    f = f or None
    t0, c0 = time.perf_counter(), time.process_time()
    found = mlflow.search_traces(filter_string=f, max_results=100, return_type="list")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # The same call in parts: the core's search (JSON text out), json.loads, Trace objects.
    c0 = time.process_time()
    text = _native.trace_api("search_traces", json.dumps({"experiment_ids": [], "filter": f, "max_results": 100, "order_by": [], "include_spans": True, "page_token": None}))
    c1 = time.process_time()
    page = json.loads(text)
    c2 = time.process_time()
    traces = [Trace.from_dict(t) for t in page["traces"]]
    c3 = time.process_time()
    assert len(traces) == len(found)
    out[f or ""] = [wall, cpu, len(found), c1 - c0, c2 - c1, c3 - c2]
out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""

MLFLOW_SEARCH = r"""
import json, sys, time, mlflow
mlflow.set_tracking_uri(sys.argv[2])
client = mlflow.MlflowClient()
out = {}
# The first call of a process also opens the database (engine, schema check): timed apart.
t0, c0 = time.perf_counter(), time.process_time()
client.search_traces(locations=[sys.argv[3]], filter_string="tags.user = 'nobody'", max_results=1)
out["first_call"] = [time.perf_counter() - t0, time.process_time() - c0]
for f in json.loads(sys.argv[1]):
    t0, c0 = time.perf_counter(), time.process_time()
    found = client.search_traces(locations=[sys.argv[3]], filter_string=f, max_results=100)
    out[f] = [time.perf_counter() - t0, time.process_time() - c0, len(found)]
print(json.dumps(out))
"""

FILTERS = [f"tags.user = 'u{USERS // 2}'", f"trace.name = 'agent_{NAMES // 3}'"]
# The newest 100 without a filter (only at scale: MLflow's side is compared on the filters).
UNFILTERED = ""


def env_for(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", **extra)
    return env


def run(code: str, *args: str, **env: str) -> str:
    p = subprocess.run([sys.executable, "-c", code, *args], env=env_for(**env), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""


def search(store: Path, filters: list[str] = FILTERS) -> dict[str, list[float]]:
    return json.loads(run(SEARCH, json.dumps(filters), FERROTRACE_LOCAL_DIR=str(store)))


def load() -> str:
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ft-search-"))
    try:
        store, small = work / "store", work / "small"
        t0 = time.perf_counter()
        run(WRITE, str(N), "0", FERROTRACE_LOCAL_DIR=str(store))
        print(f"traced {N:,} traces of 5 spans into the local store in {time.perf_counter() - t0:.1f} s")
        size = sum(p.stat().st_size for p in store.iterdir())
        index = sum(p.stat().st_size for p in store.glob("*.ftix"))
        print(f"store: {size / 1e6:.0f} MB, of which index files {index / 1e6:.1f} MB ({load()})")
        every = FILTERS + [UNFILTERED]
        cold = search(store, every)
        warm = [search(store, every) for _ in range(3)]
        for f in every:
            best = min(warm, key=lambda w: w[f][1])[f]
            print(f"ferrotrace, {N:,} traces, {f or 'no filter'!r}: CPU {best[1] * 1000:.0f} ms, wall "
                  f"{min(w[f][0] for w in warm) * 1000:.0f} ms ({best[2]} found; first search "
                  f"{cold[f][1] * 1000:.0f} ms CPU); of the CPU: core search {best[3] * 1000:.0f} ms, "
                  f"json.loads {best[4] * 1000:.0f} ms, Trace objects {best[5] * 1000:.0f} ms")
        print(f"first call of a process (starts ferrotrace; not in the times above): CPU "
              f"{min(w['first_call'][1] for w in warm) * 1000:.0f} ms")
        print(f"peak RSS of the searching process: {min(w['maxrss_kb'] for w in warm) / 1024:.0f} MB ({load()})")
        if not WITH_MLFLOW:
            return
        # The same 10,000 traces in both stores.
        run(WRITE, str(SMALL), "0", FERROTRACE_LOCAL_DIR=str(small))
        search(small)
        ours = [search(small) for _ in range(3)]
        server = mlflow_server.start(work / "mlflow")
        try:
            p = subprocess.run(
                [sys.executable, "-m", "ferrotrace.cli", "push", "--tracking-uri", server.uri, "--experiment-id", "0", str(small)],
                env=env_for(), capture_output=True, text=True,
            )
            if p.returncode != 0:
                raise SystemExit(p.stdout + p.stderr)
        finally:
            mlflow_server.stop_pid(server.pid)
        db = f"sqlite:///{work / 'mlflow' / 'mlflow.db'}"
        theirs = [json.loads(run(MLFLOW_SEARCH, json.dumps(FILTERS), db, "0")) for _ in range(3)]
        print(f"first call of a process, not in the times below: ferrotrace CPU "
              f"{min(o['first_call'][1] for o in ours) * 1000:.1f} ms, MLflow "
              f"{min(t['first_call'][1] for t in theirs) * 1000:.1f} ms")
        for f in FILTERS:
            a = min(o[f][1] for o in ours)
            b = min(t[f][1] for t in theirs)
            aw = min(o[f][0] for o in ours)
            bw = min(t[f][0] for t in theirs)
            print(f"{SMALL:,} traces, {f!r}: CPU ferrotrace {a * 1000:.1f} ms ({ours[0][f][2]} found), "
                  f"MLflow sqlite:/// {b * 1000:.1f} ms ({theirs[0][f][2]} found): {b / a:.1f}x; "
                  f"wall {aw * 1000:.1f} vs {bw * 1000:.1f} ms: {bw / aw:.1f}x ({load()})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
