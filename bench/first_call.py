"""The first traced call against the later ones, on the application thread.

    .venv/bin/python bench/first_call.py [runs] [local]

The first root span to end starts delivery. Each run is a fresh process with
MLFLOW_TRACKING_URI=https://127.0.0.1:<a closed port> (an MLflow server over TLS: the costliest
destination to set up, and nothing answers, so no reply is awaited anywhere) that times its first
traced call, then 200 more. Printed: the first call's median and worst case over the runs, and
the median of the later calls' medians, in microseconds. Wall clock: compare numbers taken in one
run on one machine. With `local`, no tracking URI: the local store (nothing to set up), for
what the first call costs besides its destination.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
import ferrotrace as mlflow

@mlflow.trace
def f(x):
    return x

t0 = time.perf_counter_ns()
f(1)
first = time.perf_counter_ns() - t0
later = []
for i in range(200):
    t0 = time.perf_counter_ns()
    f(i)
    later.append(time.perf_counter_ns() - t0)
later.sort()
print(json.dumps({"first": first, "later": later[len(later) // 2]}))
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    local = "local" in sys.argv[2:]
    firsts, laters = [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            MLFLOW_TRACKING_URI=f"https://127.0.0.1:{closed_port()}",
            FERROTRACE_SPILL_DIR=os.path.join(tmp, "spill"),
            FERROTRACE_LOCAL_DIR=os.path.join(tmp, "store"),
            # The exit hook must not wait for the server that is not there.
            FERROTRACE_EXIT_TIMEOUT="0.2",
        )
        if local:
            del env["MLFLOW_TRACKING_URI"]
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            firsts.append(r["first"] / 1000)
            laters.append(r["later"] / 1000)
    print("| call | median µs | worst µs |")
    print("| --- | ---: | ---: |")
    where = "local store" if local else "https MLflow URI"
    print(f"| first traced call ({runs} processes, {where}) | {statistics.median(firsts):.1f} | {max(firsts):.1f} |")
    print(f"| later calls (median of medians) | {statistics.median(laters):.1f} | {max(laters):.1f} |")


if __name__ == "__main__":
    main()
