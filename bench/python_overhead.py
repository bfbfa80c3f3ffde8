"""Cost of @trace per call against the same plain call (ferrotrace only; the side-by-side
comparison with MLflow and OpenTelemetry is `make bench` in a later step).

Prints medians of 5 runs, in microseconds per call. Exports go to a local store in a temp dir.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from typing import Any, Callable

os.environ.setdefault("FERROTRACE_LOCAL_DIR", tempfile.mkdtemp(prefix="ferrotrace-bench-"))

import ferrotrace  # noqa: E402
from ferrotrace import _fluent, _native  # noqa: E402

_DEFAULT_WRAPPER = _fluent.NATIVE_WRAPPER

N = int(os.environ.get("BENCH_N", "20000"))
REPS = 5


def per_call_us(fn: Callable[[], Any], n: int = N) -> float:
    runs = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n * 1e6)
        ferrotrace.flush(30)
    return statistics.median(runs)


def plain(x: int) -> int:
    return x


traced = ferrotrace.trace(plain)

# The opt-in native callable (FERROTRACE_NATIVE_WRAPPER=1), measured in the same run as the
# default Python function wrapper.
_fluent.NATIVE_WRAPPER = True
traced_native = ferrotrace.trace(plain)
_fluent.NATIVE_WRAPPER = _DEFAULT_WRAPPER

BIG_IN = {f"key_{i}": i * 1.5 for i in range(20)}
FLOATS = [i * 0.25 for i in range(50)]


def big(d: dict[str, float], xs: list[float]) -> dict[str, Any]:
    return {"d": d, "xs": xs}


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


def main() -> None:
    rows = []
    base = per_call_us(lambda: plain(1))
    rows.append(("plain call (baseline)", base, None))
    t = per_call_us(lambda: traced(1))
    rows.append(("traced trivial call, capture on", t, t - base))
    if type(traced_native) is not type(traced):  # an abi3 build has no native callable
        tn = per_call_us(lambda: traced_native(1))
        rows.append(("  same, native callable (opt-in)", tn, tn - base))
    nested = per_call_us(lambda: l1(1), N // 4)
    rows.append(("4 nested spans, per span", nested / 4, (nested - base) / 4))
    b0 = per_call_us(lambda: big(BIG_IN, FLOATS))
    b = per_call_us(lambda: traced_big(BIG_IN, FLOATS))
    rows.append(("20-key dict + 50 floats in and out", b, b - b0))
    _native.set_enabled(False)
    d = per_call_us(lambda: traced(1))
    _native.set_enabled(True)
    rows.append(("tracing disabled", d, d - base))
    print(f"python {sys.version.split()[0]}, {N} calls x {REPS} runs, medians")
    print(f"{'case':40} {'us/call':>9} {'overhead us':>12}")
    for name, v, o in rows:
        print(f"{name:40} {v:9.3f} {'' if o is None else f'{o:12.3f}'}")
    s = ferrotrace.stats()
    print(f"exported {s['traces_exported']} traces, dropped {s['traces_dropped']} {s['dropped_traces']}")


if __name__ == "__main__":
    main()
