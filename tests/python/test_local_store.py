"""The embedded default: a fresh process with no tracking URI writes to the local store, MLflow's
own Trace.from_dict loads each record, the CLI lists and shows them, damage is survived."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_script

APP = """
import ferrotrace as mlflow

@mlflow.trace(span_type="LLM")
def llm(prompt, temperature=0.1):
    mlflow.get_current_active_span().set_attribute(
        "mlflow.chat.tokenUsage", {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5})
    return {"content": "hi"}

@mlflow.trace(span_type="TOOL")
def tool(x):
    raise RuntimeError("bad tool")

@mlflow.trace(span_type="AGENT")
def agent(q):
    mlflow.update_current_trace(tags={"env": "demo"}, user="u1")
    try:
        tool(1)
    except RuntimeError:
        pass
    return llm(q)

for i in range(__N__):
    agent(f"question {i}")
print(mlflow.get_last_active_trace_id())
"""


def traced_app(tmp_path: Path, n: int = 3, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"FERROTRACE_LOCAL_DIR": str(tmp_path / "store")}
    env.update(extra_env or {})
    # No flush in the app: the exit hook must deliver everything.
    return run_script(APP.replace("__N__", str(n)), env, cwd=str(tmp_path))


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("ferrotrace")
    return subprocess.run([str(exe), *args, "--dir", str(tmp_path / "store")], capture_output=True, text=True, timeout=60)


def test_default_destination_is_the_local_store_in_the_working_directory(tmp_path: Path) -> None:
    r = run_script("import ferrotrace\nwith ferrotrace.start_span('x'): pass\n", {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert list((tmp_path / "ferrotrace-traces").glob("*.ftseg"))


def test_records_load_with_mlflows_own_trace_from_dict(tmp_path: Path) -> None:
    mlflow_entities = pytest.importorskip("mlflow.entities")
    r = traced_app(tmp_path)
    assert r.returncode == 0, r.stderr
    last_id = r.stdout.strip()
    from ferrotrace import _native

    texts, warnings = _native.store_read(str(tmp_path / "store"))
    assert warnings == []
    assert len(texts) == 3
    traces = [mlflow_entities.Trace.from_dict(json.loads(t)) for t in texts]
    assert traces[-1].info.trace_id == last_id
    t = traces[0]
    assert t.info.state.value == "OK"
    assert t.info.tags["mlflow.traceName"] == "agent"
    assert t.info.tags["env"] == "demo"
    assert t.info.trace_metadata["mlflow.trace.user"] == "u1"
    assert json.loads(t.info.trace_metadata["mlflow.trace.tokenUsage"]) == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    assert t.info.request_preview == '{"q": "question 0"}'
    spans = {s.name: s for s in t.data.spans}
    assert spans["agent"].parent_id is None
    assert spans["llm"].parent_id == spans["agent"].span_id
    assert spans["llm"].span_type == "LLM"
    assert spans["llm"].inputs == {"prompt": "question 0", "temperature": 0.1}
    assert spans["llm"].outputs == {"content": "hi"}
    assert spans["tool"].status.status_code.value == "ERROR"
    assert spans["tool"].events[0].name == "exception"


def test_cli_lists_and_shows_traces(tmp_path: Path) -> None:
    r = traced_app(tmp_path, n=2)
    assert r.returncode == 0, r.stderr
    trace_id = r.stdout.strip()
    listed = cli(tmp_path, "traces", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["TRACE", "ID", "NAME"]
    assert sum(trace_id in line for line in lines) == 1
    assert "agent" in lines[1] and "OK" in lines[1] and lines[1].rstrip().endswith("3")
    assert lines[-1] == "2 trace(s)"
    # Ids of one run share their first digits (they sort by start time): a short piece is the end.
    shown = cli(tmp_path, "traces", "show", trace_id[-8:])
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert trace_id in out
    for needle in ("agent [AGENT]", "llm [LLM]", "tool [TOOL]", "ERROR: RuntimeError: bad tool", '{"prompt": "question 1", "temperature": 0.1}', "event exception"):
        assert needle in out, needle
    missing = cli(tmp_path, "traces", "show", "tr-ffff")
    assert missing.returncode == 1


def test_a_torn_last_record_is_skipped_with_a_warning(tmp_path: Path) -> None:
    assert traced_app(tmp_path, n=3).returncode == 0
    (seg,) = (tmp_path / "store").glob("*.ftseg")
    data = seg.read_bytes()
    seg.write_bytes(data[: len(data) - 40])  # killed mid-write
    listed = cli(tmp_path, "traces", "list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[-1] == "2 trace(s)"
    assert "damaged record" in listed.stderr
    # A later process appends fine after the damage.
    assert traced_app(tmp_path, n=1).returncode == 0
    assert cli(tmp_path, "traces", "list").stdout.splitlines()[-1] == "3 trace(s)"


def test_an_unwritable_store_warns_once_counts_drops_and_the_app_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = APP.replace("__N__", "5") + "import ferrotrace\nferrotrace.flush()\nprint(ferrotrace.stats()['dropped_traces'])\n"
    r = run_script(code, {"FERROTRACE_LOCAL_DIR": str(blocker / "store")}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip().splitlines()
    assert out[0].startswith("tr-")
    assert json.loads(out[1].replace("'", '"')) == {"export_failed": 5}
    warnings = [line for line in r.stderr.splitlines() if "could not deliver" in line]
    assert len(warnings) == 1, r.stderr
    assert "not delivered" in r.stderr  # the exit summary


def test_exit_right_after_the_last_call_delivers_it(tmp_path: Path) -> None:
    r = traced_app(tmp_path, n=1)
    assert r.returncode == 0
    listed = cli(tmp_path, "traces", "list")
    assert r.stdout.strip() in listed.stdout


def test_bad_environment_settings_warn_with_the_variable_name(tmp_path: Path) -> None:
    r = run_script(
        "import ferrotrace\nwith ferrotrace.start_span('x'): pass\nferrotrace.flush()\nprint(ferrotrace.stats()['traces_exported'])\n",
        {"MLFLOW_TRACE_SAMPLING_RATIO": "2", "FERROTRACE_LOCAL_DIR": str(tmp_path / "s")},
        cwd=str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    assert "MLFLOW_TRACE_SAMPLING_RATIO" in r.stderr
    assert r.stdout.strip() == "1"


def test_configure_rejects_bad_values_naming_the_setting() -> None:
    from ferrotrace import _native

    with pytest.raises(_native.ConfigError, match="sampling_ratio"):
        _native.configure(sampling_ratio=1.5)
    with pytest.raises(_native.ConfigError, match="tracking_uri"):
        _native.configure(tracking_uri="ftp://x")


def test_trace_timeout_exports_a_stuck_trace_with_state_error(tmp_path: Path) -> None:
    code = (
        "import time, ferrotrace\n"
        "root = ferrotrace.start_span_no_context('stuck_job', inputs={'n': 1})\n"
        "ferrotrace.start_span_no_context('step', parent_span=root).end()\n"
        "time.sleep(1.6)\n"
        "ferrotrace.flush()\n"
    )
    env = {
        "FERROTRACE_LOCAL_DIR": str(tmp_path / "store"),
        "MLFLOW_TRACE_TIMEOUT_SECONDS": "0.5",
        "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS": "0.1",
    }
    r = run_script(code, env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "timed out" in r.stderr
    from ferrotrace import _native

    texts, _ = _native.store_read(str(tmp_path / "store"))
    (t,) = [json.loads(x) for x in texts]
    assert t["info"]["state"] == "ERROR"
    assert {s["name"] for s in t["data"]["spans"]} == {"stuck_job", "step"}
