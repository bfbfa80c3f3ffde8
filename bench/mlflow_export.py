"""Export throughput to a real MLflow server: ferrotrace against MLflow's own SDK, same server,
same run. Each side traces N calls (a root with one child) in a fresh process and flushes; we
report the per-call cost the app saw and the traces per second delivered (first call to flush
done, then checked by counting the traces on the server).

    .venv/bin/python bench/mlflow_export.py [N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
import mlflow_server  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

APP = r'''
import json, sys, time
MODULE = sys.argv[3]
mlflow = __import__(MODULE)
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
N = int(sys.argv[4])

@mlflow.trace(span_type="LLM")
def llm(prompt, temperature=0.1):
    return {"content": prompt.upper()}

@mlflow.trace(span_type="AGENT")
def agent(question):
    return llm(question)

costs = []
t0 = time.perf_counter()
for i in range(N):
    a = time.perf_counter()
    agent(f"question {i}")
    costs.append(time.perf_counter() - a)
t_calls = time.perf_counter() - t0
if MODULE == "mlflow":
    mlflow.flush_trace_async_logging()
else:
    mlflow.flush(600)
t_all = time.perf_counter() - t0
costs.sort()
print(json.dumps({"calls_s": t_calls, "total_s": t_all, "median_us": costs[len(costs)//2] * 1e6,
                  "p99_us": costs[int(len(costs) * 0.99)] * 1e6}))
'''


def count_traces(uri: str, exp_name: str) -> int:
    with urllib.request.urlopen(f"{uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name={exp_name}") as r:
        exp_id = json.load(r)["experiment"]["experiment_id"]
    total, token = 0, None
    while True:
        body: dict[str, object] = {"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp_id}}], "max_results": 500}
        if token:
            body["page_token"] = token
        req = urllib.request.Request(f"{uri}/api/3.0/mlflow/traces/search", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            page = json.load(r)
        total += len(page.get("traces", []))
        token = page.get("next_page_token")
        if not token:
            return total


def run(module: str, uri: str, tag: str) -> dict[str, float]:
    env = mlflow_server.server_env()
    exp = f"bench-{module}-{tag}"
    out = subprocess.run([sys.executable, "-c", APP, uri, exp, module, str(N)], env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{module} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["delivered"] = count_traces(uri, exp)
    res["traces_per_s"] = res["delivered"] / res["total_s"]
    return res


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ferrotrace-bench-mlflow-"))
    server = mlflow_server.start(work)
    try:
        tag = str(int(time.time()))
        results = {m: run(m, server.uri, tag) for m in ("ferrotrace", "mlflow")}
    finally:
        mlflow_server.stop_pid(server.pid)
    print(f"{N} traced calls (root + 1 child) per SDK, one real MLflow server (127.0.0.1, SQLite, 1 worker)")
    print(f"{'sdk':12} {'app median us':>14} {'app p99 us':>11} {'calls s':>8} {'to flushed s':>13} {'delivered':>10} {'traces/s':>9}")
    for m, r in results.items():
        print(f"{m:12} {r['median_us']:14.1f} {r['p99_us']:11.1f} {r['calls_s']:8.2f} {r['total_s']:13.2f} {r['delivered']:10d} {r['traces_per_s']:9.1f}")
    f, m = results["ferrotrace"], results["mlflow"]
    print(f"ratio: ferrotrace delivers {f['traces_per_s'] / m['traces_per_s']:.1f}x the traces/s; "
          f"app-side median cost {m['median_us'] / f['median_us']:.0f}x lower")


if __name__ == "__main__":
    main()
