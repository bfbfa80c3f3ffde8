"""Hostile values captured from several threads at once (the generator is hostile_run.py): the
interpreter never crashes, no call raises or returns anything but its own value, and every call
is recorded. Each seed runs in a fresh interpreter under PYTHONMALLOC=debug, which overwrites
freed memory at once, so a capture that reads an object freed under it fails every time."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from conftest import run_script

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_run.py")
THREADS, CALLS = 4, 100


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_values_from_threads_never_crash_raise_or_go_unrecorded(seed: int, tmp_path: Any) -> None:
    code = f"import runpy, sys; sys.argv = ['hostile_run', '{seed}', '{THREADS}', '{CALLS}']; runpy.run_path({RUNNER!r}, run_name='__main__')"
    out = run_script(code, {"PYTHONMALLOC": "debug"}, str(tmp_path), timeout=120)
    assert out.returncode == 0, (out.returncode, out.stderr[-3000:])
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["failures"] == [], report
    assert report["calls"] == THREADS * CALLS
    assert report["outer_spans"] == report["calls"], report
    assert report["dropped"] == 0, report
    assert report["internal_errors"] == 0, report
