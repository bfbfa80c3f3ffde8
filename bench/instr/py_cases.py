"""One Python case, N calls, for bench/instructions.py (run under callgrind).

    python bench/instr/py_cases.py CASE N       # CASE: plain trivial nested dict disabled unsampled
                                                #       floor_native floor_wrapper floor_design

The floor_* cases measure what a traced call cannot avoid: a bare call into the extension (PyO3
trampoline), a `*args, **kwargs` wrapper around the function (the Python frame the default
build's native callable no longer runs), and the shape of the Python-level wrapper an abi3 build
keeps (contextvar reads and writes from Python, two bare native calls, no span). The default
build's `@trace` returns a native callable: CPython hands it the arguments, and it does the
contextvar work through the C API. `unsampled` (ratio 0, no tail rule) takes its span-less path:
the call is only counted.
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
from ferrotrace import _native  # noqa: E402
from ferrotrace._context import CURRENT, SCOPE  # noqa: E402


def plain(x: int) -> int:
    return x


def big(d: dict[str, float], xs: list[float]) -> dict[str, object]:
    return {"d": d, "xs": xs}


BIG_IN = {f"key_{i}": i * 1.5 for i in range(20)}
FLOATS = [i * 0.25 for i in range(50)]

traced = ferrotrace.trace(plain)


def bare_wrapper(*args: object, **kwargs: object) -> object:
    return plain(*args, **kwargs)  # type: ignore[arg-type]


def design_floor(*args: object, **kwargs: object) -> object:
    """The traced wrapper's shape with the span work taken out."""
    SCOPE.get()
    CURRENT.get()
    token = CURRENT.set(_native.is_enabled())  # type: ignore[arg-type]
    result = plain(*args, **kwargs)  # type: ignore[arg-type]
    CURRENT.reset(token)
    if _native.is_enabled():  # a root: it stays in the contextvar as the last trace
        CURRENT.set(None)
    return result
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
    elif CASE == "floor_native":
        for _ in range(N):
            _native.is_enabled()
    elif CASE == "floor_wrapper":
        for _ in range(N):
            bare_wrapper(1)
    elif CASE == "floor_design":
        for _ in range(N):
            design_floor(1)
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
