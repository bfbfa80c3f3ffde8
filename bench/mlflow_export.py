"""Export throughput to a real MLflow server: ferrotrace against MLflow's own SDK, same server,
same run. Each side traces N calls (a root with one child) in a fresh process and flushes; we
report the per-call cost the app saw and the traces per second delivered (first call to flush
done, then checked by counting the traces on the server).

Then the server's own bound, with raw requests and no SDK: how many trace infos (StartTraceV3)
per second it stores on its insert path, and how many traces per second it takes in MLflow's
order (spans, then the info, which then takes the server's conflict path) and in ours (the info,
then the spans). Every trace needs one StartTraceV3 (OTLP cannot carry its metadata), so the
first number caps any SDK.

    .venv/bin/python bench/mlflow_export.py [N] [--workers W]

W is the server's uvicorn worker count: 1 by default (as the tests run it), 4 is what a plain
`mlflow server` starts.
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

_args = sys.argv[1:]
WORKERS = 1
if "--workers" in _args:
    i = _args.index("--workers")
    WORKERS = int(_args[i + 1])
    del _args[i : i + 2]
N = int(_args[0]) if _args else 2000

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


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every process in the server's process group
    (its uvicorn workers and its job runners)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ..., utime (11), stime (12), counted from state.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_floor(uri: str, n: int = 300, pgid: int = 0) -> dict[str, tuple[float, float]]:
    """Per way of sending: traces/s the server stores from raw requests (2 spans per trace, 4
    requests in flight), and the server's CPU milliseconds per trace (its whole process group;
    0 without `pgid`). The CPU time is the floor: the server cannot store more traces per
    second than its cores have milliseconds for them."""
    import secrets
    from concurrent.futures import ThreadPoolExecutor

    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as ts
    from opentelemetry.proto.common.v1 import common_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2

    def kv(k: str, v: str) -> common_pb2.KeyValue:
        return common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))

    def post(path: str, body: bytes, ctype: str, exp: str) -> None:
        req = urllib.request.Request(uri + path, data=body, headers={"Content-Type": ctype, "x-mlflow-experiment-id": exp})
        with urllib.request.urlopen(req) as r:
            r.read()

    def spans(exp: str, traces: list[tuple[bytes, int]]) -> None:
        out = []
        for tid, now in traces:
            root, child = secrets.token_bytes(8), secrets.token_bytes(8)
            out.append(trace_pb2.Span(trace_id=tid, span_id=root, name="agent", start_time_unix_nano=now, end_time_unix_nano=now + 10**6,
                                      attributes=[kv("mlflow.spanType", "AGENT"), kv("mlflow.spanInputs", '{"question": "q"}')], status=trace_pb2.Status(code=1)))
            out.append(trace_pb2.Span(trace_id=tid, span_id=child, parent_span_id=root, name="llm", start_time_unix_nano=now + 10, end_time_unix_nano=now + 9 * 10**5,
                                      attributes=[kv("mlflow.spanType", "LLM")], status=trace_pb2.Status(code=1)))
        req = ts.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(scope_spans=[trace_pb2.ScopeSpans(spans=out)])])
        post("/v1/traces", req.SerializeToString(), "application/x-protobuf", exp)

    def info(exp: str, t: tuple[bytes, int]) -> None:
        tid, now = t
        body = {"trace": {"trace_info": {
            "trace_id": "tr-" + tid.hex(), "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}},
            "request_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1e9)) + ".000Z", "execution_duration": "0.001s", "state": "OK",
            "trace_metadata": {"mlflow.trace_schema.version": "3", "mlflow.user": "bench", "mlflow.source.name": "bench.py", "mlflow.source.type": "LOCAL"},
            "tags": {"mlflow.traceName": "agent"}, "request_preview": '{"question": "q"}', "response_preview": '"Q"'}}}
        post("/api/3.0/mlflow/traces", json.dumps(body).encode(), "application/json", exp)

    def experiment(name: str) -> str:
        req = urllib.request.Request(f"{uri}/api/2.0/mlflow/experiments/create", data=json.dumps({"name": name}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            return str(json.load(r)["experiment_id"])

    pool = ThreadPoolExecutor(4)
    modes = {
        "trace infos only (insert path)": lambda e, ts_: list(pool.map(lambda t: info(e, t), ts_)),
        "MLflow's order: spans, then info": lambda e, ts_: list(pool.map(lambda t: (spans(e, [t]), info(e, t)), ts_)),
        "ours: infos, then spans in one request": lambda e, ts_: (list(pool.map(lambda t: info(e, t), ts_)), spans(e, ts_)),
    }
    rates = {}
    for i, (label, run_mode) in enumerate(modes.items()):
        exp = experiment(f"bench-floor-{i}-{time.time_ns()}")
        traces = [(secrets.token_bytes(16), time.time_ns()) for _ in range(n)]
        cpu0 = group_cpu_s(pgid) if pgid else 0.0
        t0 = time.perf_counter()
        run_mode(exp, traces)
        elapsed = time.perf_counter() - t0
        cpu_ms = (group_cpu_s(pgid) - cpu0) * 1000 / n if pgid else 0.0
        rates[label] = (n / elapsed, cpu_ms)
    return rates


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ferrotrace-bench-mlflow-"))
    server = mlflow_server.start(work, WORKERS)
    try:
        tag = str(int(time.time()))
        # A fresh server answers its first hundred or so trace requests several times slower
        # (imports, SQLAlchemy caches): warm it up so neither SDK pays for that.
        server_floor(server.uri, 100)
        results = {}
        for m in ("ferrotrace", "mlflow"):
            cpu0 = group_cpu_s(server.pid)
            results[m] = run(m, server.uri, tag)
            results[m]["server_cpu_ms"] = (group_cpu_s(server.pid) - cpu0) * 1000 / max(results[m]["delivered"], 1)
        floor = server_floor(server.uri, pgid=server.pid)
    finally:
        mlflow_server.stop_pid(server.pid)
    print(f"{N} traced calls (root + 1 child) per SDK, one real MLflow server (127.0.0.1, SQLite, {WORKERS} worker{'s' if WORKERS > 1 else ''})")
    print(f"{'sdk':12} {'app median us':>14} {'app p99 us':>11} {'calls s':>8} {'to flushed s':>13} {'delivered':>10} {'traces/s':>9} {'server cpu ms/trace':>20}")
    for m, r in results.items():
        print(f"{m:12} {r['median_us']:14.1f} {r['p99_us']:11.1f} {r['calls_s']:8.2f} {r['total_s']:13.2f} {r['delivered']:10d} {r['traces_per_s']:9.1f} {r['server_cpu_ms']:20.1f}")
    f, m = results["ferrotrace"], results["mlflow"]
    print(f"ratio: ferrotrace delivers {f['traces_per_s'] / m['traces_per_s']:.1f}x the traces/s; "
          f"app-side median cost {m['median_us'] / f['median_us']:.0f}x lower")
    print("the server's bound, raw requests (no SDK): traces/s, and the server's CPU ms per trace:")
    for label, (rate, cpu_ms) in floor.items():
        print(f"  {label:40} {rate:7.1f} {cpu_ms:7.1f}")
    infos = floor["trace infos only (insert path)"]
    print(f"no SDK that sends a StartTraceV3 per trace can deliver more than {infos[0]:.1f} traces/s here: "
          f"{infos[0] / m['traces_per_s']:.1f}x MLflow's SDK")


if __name__ == "__main__":
    main()
