"""Steady traced load for the soak (Python side): one traced call (with a child span) every
few milliseconds until SOAK_SECONDS is over; reports calls made, the slowest call and RSS
samples as one JSON line, then exits normally (the exit hook delivers or spills the rest)."""

from __future__ import annotations

import json
import os
import sys
import time

import ferrotrace


@ferrotrace.trace
def handle(i: int, prompt: str) -> dict[str, object]:
    with ferrotrace.start_span("retrieve") as span:
        span.set_inputs({"q": prompt})
    return {"answer": prompt[::-1], "i": i}


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    seconds, rate = float(sys.argv[1]), float(sys.argv[2])
    end = time.monotonic() + seconds
    calls, slowest, rss = 0, 0.0, []
    next_sample = time.monotonic()
    while time.monotonic() < end:
        t0 = time.perf_counter()
        handle(calls, f"question {calls} " + "x" * 200)
        slowest = max(slowest, time.perf_counter() - t0)
        calls += 1
        if time.monotonic() >= next_sample:
            rss.append(rss_kib())
            next_sample += 1.0
        time.sleep(1.0 / rate)
    print(json.dumps({"lang": "python", "calls": calls, "slowest_ms": slowest * 1000, "rss_kib": rss}), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    main()
