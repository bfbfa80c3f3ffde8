"""The soak: steady traced load from Python and Node at once against a real MLflow server
behind the fault proxy, which is stalled (black-holed) and whose server is restarted
periodically. At the end every trace is read back with MLflow's own client.

Asserts: zero lost traces (what the load processes made = what the server has, after a later
process replayed the spill folder), no traced call slower than 50 ms, and RSS that stops
growing (the last third of the run stays within a margin of the middle third).

    python tests/soak/soak.py [SECONDS]     (default: SOAK_SECONDS or 30)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))

import mlflow_server  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402

RATE = 50.0  # traced calls per second and per process
SLOWEST_MS = 50.0
RSS_MARGIN_KIB = 8 * 1024


def child_env(uri: str, exp: str, spill: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_EXPERIMENT_ID=exp,
        FERROTRACE_SPILL_DIR=str(spill),
        FERROTRACE_PROBE_MAX_INTERVAL="1",
        MLFLOW_HTTP_REQUEST_TIMEOUT="5",
    )
    return env


def server_count(client: Any, exp: str) -> int:
    n, token = 0, None
    while True:
        page = client.search_traces(locations=[exp], max_results=500, page_token=token, include_spans=False)
        n += len(page)
        token = page.token
        if not token:
            return n


def rss_settles(samples: list[int]) -> bool:
    if len(samples) < 9:
        return True
    third = len(samples) // 3
    middle, last = samples[third : 2 * third], samples[2 * third :]
    return max(last) <= max(middle) + RSS_MARGIN_KIB


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else float(os.environ.get("SOAK_SECONDS", "30"))
    os.environ.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    import mlflow

    work = Path(tempfile.mkdtemp(prefix="ferrotrace-soak-"))
    server = mlflow_server.start(work / "server-0")
    proxy = FaultProxy(server.uri)
    proxy.__enter__()
    loads: list[subprocess.Popen[str]] = []
    events: list[str] = []
    try:
        mlflow.set_tracking_uri(server.uri)
        exp = str(mlflow.MlflowClient().create_experiment(f"soak-{uuid.uuid4().hex[:8]}"))
        env = child_env(proxy.uri, exp, work / "spill")
        loads = [
            subprocess.Popen([sys.executable, str(HERE / "load.py"), str(seconds), str(RATE)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
            subprocess.Popen(["node", str(HERE / "load.mjs"), str(seconds), str(RATE)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        ]
        start = time.monotonic()
        cycle = 0
        # Every 10 s: a 3 s stall; every other cycle the server is restarted instead.
        while time.monotonic() - start < seconds - 5:
            time.sleep(min(7.0, max(0.0, seconds - 5 - (time.monotonic() - start))))
            if time.monotonic() - start >= seconds - 5:
                break
            cycle += 1
            if cycle % 2:
                events.append(f"{time.monotonic() - start:.0f}s stall")
                proxy.set("blackhole")
                time.sleep(3)
                proxy.set("pass")
            else:
                events.append(f"{time.monotonic() - start:.0f}s restart")
                mlflow_server.stop_pid(server.pid)
                server = mlflow_server.start(work / "server-0")
                proxy.target = urlparse(server.uri)
                mlflow.set_tracking_uri(server.uri)
        results, stderr = [], []
        for p in loads:
            out, err = p.communicate(timeout=seconds + 120)
            stderr.append(err)
            if p.returncode != 0:
                print(f"load process failed ({p.returncode}):\n{err[-3000:]}", file=sys.stderr)
                return 1
            results.append(json.loads(out.strip().splitlines()[-1]))
        made = sum(r["calls"] for r in results)
        # A later process with the same configuration replays what was spilled.
        replayer = subprocess.Popen([sys.executable, "-c", "import ferrotrace, time; time.sleep(600)"], env=env)
        client = mlflow.MlflowClient()
        deadline = time.monotonic() + 180
        have = server_count(client, exp)
        while have < made and time.monotonic() < deadline:
            time.sleep(2)
            have = server_count(client, exp)
        replayer.kill()
        replayer.wait()
        report = {
            "seconds": seconds,
            "events": events,
            "made": made,
            "on_server": have,
            "slowest_ms": {r["lang"]: round(r["slowest_ms"], 2) for r in results},
            "rss_kib": {r["lang"]: [r["rss_kib"][0], max(r["rss_kib"]), r["rss_kib"][-1]] for r in results if r["rss_kib"]},
        }
        print(json.dumps(report))
        failures = []
        if have != made:
            failures.append(f"lost traces: made {made}, the server has {have}")
        for r in results:
            if r["slowest_ms"] > SLOWEST_MS:
                failures.append(f"{r['lang']}: a traced call took {r['slowest_ms']:.1f} ms")
            if not rss_settles(r["rss_kib"]):
                failures.append(f"{r['lang']}: RSS kept growing: {r['rss_kib']}")
        for f in failures:
            print("SOAK FAILURE: " + f, file=sys.stderr)
        if failures:
            for err in stderr:
                print(err[-2000:], file=sys.stderr)
        return 1 if failures else 0
    finally:
        for p in loads:
            if p.poll() is None:
                p.kill()
                p.wait()
        proxy.__exit__(None, None, None)
        mlflow_server.stop_pid(server.pid)


if __name__ == "__main__":
    sys.exit(main())
