"""Trace sampling: the same decisions as OpenTelemetry's TraceIdRatioBased sampler, agreement
between two services continuing the same traces, and the opt-in tail rule."""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

import ferrotrace
from ferrotrace import tracing
from conftest import exported, run_script


def _ours(trace_id: int) -> bool:
    """ferrotrace's decision for a trace continued from a caller that sampled it."""
    header = {"traceparent": f"00-{trace_id:032x}-{random.getrandbits(63) + 1:016x}-01"}
    with tracing.set_tracing_context_from_http_request_headers(header):
        with ferrotrace.start_span("s") as span:
            return bool(span._sampled)


def test_decisions_match_opentelemetry_trace_id_ratio_based() -> None:
    rng = random.Random(7)
    try:
        for ratio in [0.0, 0.001, 0.1, 0.25, 0.5, 0.9, 0.999999, 1.0]:
            tracing.set_sampling(ratio)
            otel = TraceIdRatioBased(ratio)
            bound = otel.bound
            ids = [rng.getrandbits(128) | (1 << 64) for _ in range(300)]
            # The decision boundary itself: low 64 bits just below, at and above the bound.
            for low in (bound - 1, bound, bound + 1):
                if 0 <= low < 1 << 64:
                    ids.append((rng.getrandbits(64) << 64 | low) | (1 << 64))
            for tid in ids:
                theirs = otel.should_sample(None, tid, "s").decision.is_sampled()
                assert _ours(tid) == theirs, (ratio, hex(tid))
    finally:
        tracing.set_sampling(1.0)
        ferrotrace.flush(10)


SERVICE_A = r'''
import json, sys
import ferrotrace
from ferrotrace import tracing, _native
headers = []
for i in range(4000):
    with ferrotrace.start_span("frontend"):
        headers.append(tracing.get_tracing_context_headers_for_http_request())
assert ferrotrace.flush(30)
kept = [json.loads(t)["info"]["trace_id"] for t in _native.memory_traces()]
open(sys.argv[1], "w").write(json.dumps(headers))
print(json.dumps({"kept": kept, "stats": ferrotrace.stats()}))
'''

SERVICE_B = r'''
import json, sys
import ferrotrace
from ferrotrace import tracing, _native
for h in json.load(open(sys.argv[1])):
    with tracing.set_tracing_context_from_http_request_headers(h):
        with ferrotrace.start_span("backend"):
            pass
assert ferrotrace.flush(30)
kept = [json.loads(t)["info"]["trace_id"] for t in _native.memory_traces()]
print(json.dumps({"kept": kept, "stats": ferrotrace.stats()}))
'''


def test_two_services_agree_on_every_trace_and_the_ratio_holds(tmp_path: Path) -> None:
    env = {"FERROTRACE_DESTINATION": "memory", "MLFLOW_TRACE_SAMPLING_RATIO": "0.25"}
    headers = str(tmp_path / "headers.json")
    a = run_script(SERVICE_A, env, cwd=str(tmp_path), argv=[headers])
    assert a.returncode == 0, a.stderr
    b = run_script(SERVICE_B, env, cwd=str(tmp_path), argv=[headers])
    assert b.returncode == 0, b.stderr
    out_a = json.loads(a.stdout.strip().splitlines()[-1])
    out_b = json.loads(b.stdout.strip().splitlines()[-1])
    kept = set(out_a["kept"])
    assert kept == set(out_b["kept"]), "both services keep exactly the same traces"
    n, p = 4000, 0.25
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(len(kept) - n * p) <= 5 * sigma, len(kept)
    for out in (out_a, out_b):
        assert out["stats"]["traces_sampled_out"] == n - len(kept)
        assert out["stats"]["traces_dropped"] == 0


def test_tail_rule_keeps_errors_and_slow_roots() -> None:
    def root(name: str, ms: int, error: bool = False) -> None:
        end = time.time_ns()
        span = ferrotrace.start_span_no_context(name, start_time_ns=end - ms * 1_000_000)
        if error:
            span.set_status("ERROR")
        span.end(end_time_ns=end)

    try:
        tracing.set_sampling(0.0, keep_errors=True, keep_slower_than_ms=100)
        before = ferrotrace.stats()["traces_sampled_out"]
        root("fast", 1)
        root("failed", 1, error=True)
        root("slow", 250)
        names = sorted(t["data"]["spans"][0]["name"] for t in exported())
        assert names == ["failed", "slow"]
        assert ferrotrace.stats()["traces_sampled_out"] == before + 1
        tracing.set_sampling(keep_errors=False, keep_slower_than_ms=0)
        root("failed-again", 1, error=True)
        assert len(exported()) == 2, "rule off: the ratio decides alone"
    finally:
        tracing.set_sampling(1.0, keep_errors=False, keep_slower_than_ms=0)
