"""The local store and the spill folder under abuse: a damaged record costs only itself (the CLI,
the readers and `push` go on with a warning), files are owner-only, and the store keeps under
FERROTRACE_LOCAL_MAX_BYTES by dropping its oldest segments, counted."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import run_script

TRACE_N = """
import sys
import ferrotrace

@ferrotrace.trace
def work(i):
    return {"i": i, "pad": "x" * int(sys.argv[2])}

for i in range(int(sys.argv[1])):
    work(i)
# Stats are read once everything is written (what rotation dropped is counted then).
ferrotrace.flush(60)
print(__import__("json").dumps(ferrotrace.stats()))
"""

# A record header whose length is usize::MAX: `len + 1` used to wrap and the reader panicked.
LYING = b"FT1 18446744073709551615 00000000 {}\n"


def write_traces(tmp_path: Path, n: int, pad: int = 10, env: dict[str, str] | None = None) -> dict[str, Any]:
    r = run_script(TRACE_N, {"FERROTRACE_LOCAL_DIR": str(tmp_path / "store"), **(env or {})}, str(tmp_path),
                   argv=[str(n), str(pad)])
    assert r.returncode == 0, r.stderr
    stats: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return stats


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    return subprocess.run([sys.executable, "-m", "ferrotrace.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_bad_record_costs_only_itself_in_list_show_read_and_push(
    tmp_path: Path, mlflow_server: str, mlflow_reader: Any
) -> None:
    write_traces(tmp_path, 2)
    store = tmp_path / "store"
    # Read first (oldest name): the lying header, then a torn record.
    (store / "0000000000001-1-0001.ftseg").write_bytes(LYING + b"FT1 5 0000")

    listed = cli("traces", "list", "--dir", str(store))
    assert listed.returncode == 0, listed.stderr
    assert "2 trace(s)" in listed.stdout
    assert listed.stderr.count("warning:") == 2 and "damaged record" in listed.stderr, listed.stderr

    trace_id = listed.stdout.splitlines()[1].split()[0]
    shown = cli("traces", "show", trace_id, "--dir", str(store))
    assert shown.returncode == 0, shown.stderr
    assert "work" in shown.stdout and "warning:" in shown.stderr

    from ferrotrace import _native

    texts, warnings = _native.store_read(str(store))
    assert len(texts) == 2 and len(warnings) == 2

    exp = mlflow_reader.MlflowClient().create_experiment(f"damaged-{os.getpid()}-{tmp_path.name}")
    pushed = cli("push", "--tracking-uri", mlflow_server, "--experiment-id", exp, str(store))
    assert pushed.returncode == 0, pushed.stderr
    assert "found 2 trace(s): sent 2, rejected 0, unsent 0" in pushed.stdout
    assert "damaged record" in pushed.stderr
    got = mlflow_reader.MlflowClient().search_traces(locations=[exp], include_spans=False)
    assert len(got) == 2


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_store_and_spill_files_are_owner_only(tmp_path: Path) -> None:
    write_traces(tmp_path, 3)
    store = tmp_path / "store"
    assert mode(store) == 0o700
    segs = list(store.glob("*.ftseg"))
    assert segs and all(mode(s) == 0o600 for s in segs)
    # A server that is not there: the traces are spilled at exit.
    spill = tmp_path / "ferrotrace-spill"
    write_traces(tmp_path, 3, env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
                                   "MLFLOW_ASYNC_TRACE_LOGGING_RETRY_TIMEOUT": "0"})
    assert mode(spill) == 0o700
    files = [p for p in spill.rglob("*") if p.is_file()]
    assert any(p.suffix == ".ftseg" for p in files), files
    for p in spill.rglob("*"):
        assert mode(p) == (0o700 if p.is_dir() else 0o600), p


def test_an_existing_store_folder_keeps_its_mode(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    os.chmod(store, 0o755)
    write_traces(tmp_path, 1)
    assert mode(store) == 0o755
    assert all(mode(s) == 0o600 for s in store.glob("*.ftseg"))


def test_the_store_keeps_under_its_size_cap_dropping_the_oldest_counted(tmp_path: Path) -> None:
    cap = 400_000
    stats = write_traces(tmp_path, 600, pad=2_000, env={"FERROTRACE_LOCAL_MAX_BYTES": str(cap)})
    store = tmp_path / "store"
    size = sum(p.stat().st_size for p in store.glob("*.ftseg"))
    assert size <= cap, size
    rotated = stats["dropped_traces"].get("local_store_rotated", 0)
    assert rotated > 0, stats
    from ferrotrace import _native

    texts, warnings = _native.store_read(str(store))
    assert warnings == []
    assert len(texts) + rotated == 600, (len(texts), stats)
    # The newest traces are the ones kept.
    assert json.loads(texts[-1])["data"]["spans"][0]["name"] == "work"


def test_a_bad_size_cap_is_reported_naming_the_variable(tmp_path: Path) -> None:
    r = run_script("import ferrotrace\nwith ferrotrace.start_span('x'): pass\n",
                   {"FERROTRACE_LOCAL_DIR": str(tmp_path / "store"), "FERROTRACE_LOCAL_MAX_BYTES": "lots"},
                   cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "FERROTRACE_LOCAL_MAX_BYTES" in r.stderr
    assert list((tmp_path / "store").glob("*.ftseg"))
