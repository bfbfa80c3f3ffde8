"""The benchmarks still run: a tiny version of the Python side-by-side and RSS benches (numbers
are not checked, only that every SDK ran and ferrotrace exported everything it traced)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytest.importorskip("opentelemetry.sdk.trace")


def _run(args: list[str], **env: str) -> str:
    out = subprocess.run([sys.executable, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_python_sdks_bench_runs_every_sdk_and_case() -> None:
    out = _run([str(BENCH / "python_sdks.py")], BENCH_N="300", BENCH_REPS="1", BENCH_IMPORT_REPS="1", BENCH_TARGET_S="0.01")
    for case in ("(a) trivial", "(b) 4 nested", "(c) 20-key", "(d) tracing disabled", "(e) unsampled", "import time", "import RSS"):
        row = next(line for line in out.splitlines() if case in line)
        assert len(re.findall(r"\d+\.\d+", row)) >= 3, row
    assert re.search(r"ferrotrace: sink requests: .*dropped 0", out), out
    assert "POST /api/3.0/mlflow/traces" in out.split("mlflow: sink requests:")[1]


def test_rss_bench_runs() -> None:
    out = _run([str(BENCH / "rss_loop.py"), "2000", "--python-only"])
    rows = [line for line in out.splitlines() if line.startswith("| Python")]
    assert [r.split("|")[1].strip() for r in rows] == ["Python ferrotrace", "Python mlflow", "Python otel"]
    assert re.search(r"exported (\d+) traces \+ (\d+) replayed .*, dropped 0", rows[0]), rows[0]
