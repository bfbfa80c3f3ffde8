"""One Python case, N calls, for bench/instructions.py (run under callgrind).

    python bench/instr/py_cases.py CASE N       # CASE: plain trivial nested dict disabled unsampled
"""

from __future__ import annotations

import os
import sys
import tempfile

CASE, N = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("FERROTRACE_LOCAL_DIR", tempfile.mkdtemp(prefix="ferrotrace-instr-"))
os.environ.setdefault("FERROTRACE_MAX_QUEUE_TRACES", "100000")
if CASE == "unsampled":
    os.environ["MLFLOW_TRACE_SAMPLING_RATIO"] = "0"

import ferrotrace  # noqa: E402


def plain(x: int) -> int:
    return x


def big(d: dict[str, float], xs: list[float]) -> dict[str, object]:
    return {"d": d, "xs": xs}


BIG_IN = {f"key_{i}": i * 1.5 for i in range(20)}
FLOATS = [i * 0.25 for i in range(50)]

traced = ferrotrace.trace(plain)
traced_big = ferrotrace.trace(big)


@ferrotrace.trace
def l4(x: int) -> int:
    return x


@ferrotrace.trace
def l3(x: int) -> int:
    return l4(x)


@ferrotrace.trace
def l2(x: int) -> int:
    return l3(x)


@ferrotrace.trace
def l1(x: int) -> int:
    return l2(x)


def run() -> None:
    if CASE == "plain":
        for _ in range(N):
            plain(1)
    elif CASE in ("trivial", "disabled", "unsampled"):
        for _ in range(N):
            traced(1)
    elif CASE == "nested":  # per call: 4 spans
        for _ in range(N):
            l1(1)
    elif CASE == "dict":
        for _ in range(N):
            traced_big(BIG_IN, FLOATS)
    else:
        raise SystemExit(f"unknown case {CASE}")


if CASE == "disabled":
    ferrotrace.tracing.disable()
traced(1)  # warm up (first-call lazy work) before the counted loop
run()
ferrotrace.flush(60)
