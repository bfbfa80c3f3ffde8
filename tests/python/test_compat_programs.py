"""The compat suite (tests/compat/): programs in the shapes of MLflow's tracing examples and docs
snippets, each run unchanged under MLflow's official SDK and under ferrotrace (tests/compat/run.py
swaps the import), against one real MLflow server and again with no server configured. Their
stdout must be the same (ids normalised), and with a server every trace they logged is compared
field by field as MLflow's own client reads it back (ids mapped, times and sizes dropped)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Optional

import pytest

COMPAT = Path(__file__).resolve().parent.parent / "compat"
PROGRAMS = sorted(p.stem for p in COMPAT.glob("*.py") if p.stem != "run")

# Programs MLflow's official SDK cannot run, with the reason (none so far: keep the dict, the
# README lists it too).
OFFICIAL_CANNOT_RUN: dict[str, str] = {}

# Programs whose comparison shows a difference another piece of work removes: run, and expected to
# fail until then (xfail, not strict, so the fix shows as XPASS).
KNOWN_GAPS: dict[str, str] = {
    "remote_trace": "intermittent, on MLflow's side: the trace that add_trace merged a remote trace into is at times "
    "stored by MLflow's SDK without its trace info (no name tag, source, user or previews), which ferrotrace stores",
}

# With no server, ferrotrace writes to its local store and MLflow to its default local backend.
# Programs listed here need a local-store feature ferrotrace does not have yet (the reason says
# which; it is being added separately): they run, expected to fail until then (not strict).
NO_SERVER_PENDING: dict[str, str] = {}

TIMEOUT_S = 240
VOLATILE_META = {"mlflow.trace.sizeBytes", "mlflow.trace.sizeStats"}
VOLATILE_TAGS = {"mlflow.artifactLocation"}


def _env(sdk: str, experiment: str, tracking_uri: Optional[str], workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(
        COMPAT_SDK=sdk,
        COMPAT_EXPERIMENT=experiment,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        FERROTRACE_SPILL_DIR=str(workdir / "ferrotrace-spill"),
        PYTHONUNBUFFERED="1",
    )
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    return env


def _run_both(program: str, tracking_uri: Optional[str], base: Path) -> dict[str, tuple[subprocess.CompletedProcess[str], str]]:
    """Runs the program under both SDKs at once (each in its own folder: their local stores and
    MLflow's default database stay apart); returns the result and the experiment name per SDK.
    The program is copied out of the repository so neither SDK records git details."""
    procs = {}
    for sdk in ("mlflow", "ferrotrace"):
        workdir = base / sdk
        workdir.mkdir(parents=True, exist_ok=True)
        src = base / "programs"
        src.mkdir(exist_ok=True)
        shutil.copy(COMPAT / f"{program}.py", src / f"{program}.py")
        experiment = f"compat-{program}-{sdk}-{uuid.uuid4().hex[:6]}"
        cmd = [sys.executable, str(COMPAT / "run.py"), str(src / f"{program}.py")]
        p = subprocess.Popen(
            cmd, cwd=workdir, env=_env(sdk, experiment, tracking_uri, workdir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        procs[sdk] = (p, experiment, cmd)
    out = {}
    for sdk, (p, experiment, cmd) in procs.items():
        try:
            stdout, stderr = p.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, stderr = p.communicate()
        out[sdk] = (subprocess.CompletedProcess(cmd, p.returncode, stdout, stderr), experiment)
    return out


class _Ids:
    """Maps each distinct id to a stable name in order of first appearance."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: dict[str, str] = {}

    def __call__(self, value: Optional[str]) -> Optional[str]:
        if value is None or value == "":
            return value
        if value not in self.names:
            self.names[value] = f"{self.prefix}{len(self.names)}"
        return self.names[value]


def normalise_stdout(text: str) -> str:
    traces, spans, assessments = _Ids("trace-"), _Ids("span-"), _Ids("assessment-")
    text = re.sub(r"tr-[0-9a-f]{32}", lambda m: traces(m.group(0)) or "", text)
    text = re.sub(r"a-[0-9a-f]{32}", lambda m: assessments(m.group(0)) or "", text)
    return re.sub(r"\b[0-9a-f]{16}\b", lambda m: spans(m.group(0)) or "", text)


def _loads(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def normalise_trace(d: dict[str, Any], traces: _Ids) -> dict[str, Any]:
    """A trace's to_dict() with ids mapped (traces across the run, spans and assessments within
    the trace) and what differs between two runs of the same program dropped: times, durations,
    sizes, the experiment, stack traces."""
    info = dict(d["info"])
    trace_id = info.pop("trace_id")
    for key in ("request_time", "execution_duration_ms", "trace_location"):
        info.pop(key, None)
    info["trace_metadata"] = {k: v for k, v in (info.get("trace_metadata") or {}).items() if k not in VOLATILE_META}
    info["tags"] = {k: v for k, v in (info.get("tags") or {}).items() if k not in VOLATILE_TAGS}

    raw_spans = d["data"]["spans"]
    # Spans in a stable order: by name, inputs and outputs (threads may start siblings in any
    # order), then start time.
    def order(s: dict[str, Any]) -> Any:
        a = s.get("attributes") or {}
        return (s["name"], str(a.get("mlflow.spanInputs")), str(a.get("mlflow.spanOutputs")))

    span_ids = _Ids("span-")
    ordered = sorted(raw_spans, key=order)
    for s in ordered:
        span_ids(s.get("span_id"))
    spans = []
    for s in ordered:
        s = dict(s)
        for key in ("trace_id", "start_time_unix_nano", "end_time_unix_nano", "trace_state"):
            s.pop(key, None)
        s["span_id"] = span_ids(s.get("span_id"))
        s["parent_span_id"] = span_ids(s.get("parent_span_id")) if s.get("parent_span_id") else None
        attrs = {k: _loads(v) for k, v in (s.get("attributes") or {}).items()}
        if "mlflow.traceRequestId" in attrs:
            attrs["mlflow.traceRequestId"] = traces(attrs["mlflow.traceRequestId"])
        if "mlflow.spanStartTimeNs" in attrs:  # a time: compared as present
            attrs["mlflow.spanStartTimeNs"] = "<time>"
        s["attributes"] = attrs
        s["events"] = [
            {"name": e["name"], "attributes": {k: v for k, v in (e.get("attributes") or {}).items() if k != "exception.stacktrace"}}
            for e in s.get("events") or []
        ]
        spans.append(s)

    assessment_ids = _Ids("assessment-")
    assessments = []
    for a in sorted(info.pop("assessments", None) or [], key=lambda a: (a.get("create_time", ""), a.get("assessment_name", ""))):
        a = dict(a)
        a["assessment_id"] = assessment_ids(a.get("assessment_id"))
        if a.get("overrides"):
            a["overrides"] = assessment_ids(a["overrides"])
        a["trace_id"] = traces(a.get("trace_id"))
        a["span_id"] = span_ids(a["span_id"]) if a.get("span_id") else None
        for key in ("create_time", "last_update_time"):
            a.pop(key, None)
        assessments.append(a)
    return {"trace": traces(trace_id), "info": info, "assessments": assessments, "spans": spans}


def read_traces(reader: Any, experiment: str) -> list[dict[str, Any]]:
    """Every trace of the experiment as MLflow's client reads it back, in an order set by their
    content (traces started in the same millisecond have no other order)."""
    exp = reader.get_experiment_by_name(experiment)
    if exp is None:
        return []
    raw = [t.to_dict() for t in reader.search_traces(locations=[exp.experiment_id], return_type="list")]

    def content(d: dict[str, Any]) -> str:
        n = normalise_trace(d, _Ids("trace-"))
        n.pop("trace")
        for a in n["assessments"]:
            a.pop("trace_id", None)
        return json.dumps(n, sort_keys=True, default=str)

    raw.sort(key=content)
    ids = _Ids("trace-")
    return [normalise_trace(d, ids) for d in raw]


def _diff(theirs: Any, ours: Any, path: str = "") -> list[str]:
    if isinstance(theirs, dict) and isinstance(ours, dict):
        out = []
        for k in sorted(set(theirs) | set(ours), key=str):
            out += _diff(theirs.get(k, "<missing>"), ours.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        return [x for i, (a, b) in enumerate(zip(theirs, ours)) for x in _diff(a, b, f"{path}[{i}]")]
    return [] if theirs == ours else [f"{path}: mlflow={theirs!r:.300} ferrotrace={ours!r:.300}"]


def _check_runs(runs: dict[str, Any]) -> None:
    theirs, ours = runs["mlflow"][0], runs["ferrotrace"][0]
    assert theirs.returncode == 0, f"the official SDK failed:\n{theirs.stderr[-3000:]}"
    assert ours.returncode == 0, f"ferrotrace failed:\n{ours.stderr[-3000:]}\nstdout:\n{ours.stdout[-2000:]}"
    assert theirs.stdout.strip(), "the program printed nothing"
    assert normalise_stdout(ours.stdout) == normalise_stdout(theirs.stdout), (
        "stdout differs:\n--- mlflow\n" + normalise_stdout(theirs.stdout) + "\n--- ferrotrace\n" + normalise_stdout(ours.stdout)
    )


@pytest.fixture(scope="module")
def compat_reader(mlflow_reader: Any) -> Any:
    return mlflow_reader


def _with_gaps(programs: list[str], gaps: dict[str, str]) -> list[Any]:
    return [pytest.param(p, marks=pytest.mark.xfail(reason=gaps[p], strict=False)) if p in gaps else p for p in programs]


@pytest.mark.timeout(2 * TIMEOUT_S)
@pytest.mark.parametrize("program", _with_gaps(PROGRAMS, KNOWN_GAPS))
def test_program_against_one_server(program: str, mlflow_server: str, compat_reader: Any, tmp_path: Path) -> None:
    if program in OFFICIAL_CANNOT_RUN:
        pytest.skip(f"the official SDK cannot run it: {OFFICIAL_CANNOT_RUN[program]}")
    runs = _run_both(program, mlflow_server, tmp_path)
    _check_runs(runs)
    theirs = read_traces(compat_reader, runs["mlflow"][1])
    ours = read_traces(compat_reader, runs["ferrotrace"][1])
    assert theirs, "the official SDK logged no trace"
    assert len(ours) == len(theirs), (len(theirs), len(ours))
    problems = [p for a, b in zip(theirs, ours) for p in _diff(a, b, a["trace"])]
    assert not problems, "\n".join(problems[:40])


@pytest.mark.timeout(2 * TIMEOUT_S)
@pytest.mark.parametrize("program", _with_gaps(PROGRAMS, {**KNOWN_GAPS, **NO_SERVER_PENDING}))
def test_program_without_a_server(program: str, tmp_path: Path) -> None:
    if program in OFFICIAL_CANNOT_RUN:
        pytest.skip(f"the official SDK cannot run it: {OFFICIAL_CANNOT_RUN[program]}")
    _check_runs(_run_both(program, None, tmp_path))


def test_every_program_names_what_it_mirrors() -> None:
    for program in PROGRAMS:
        doc = (COMPAT / f"{program}.py").read_text().split('"""')[1]
        assert "Mirrors:" in doc, program
    readme = (COMPAT / "README.md").read_text()
    for program in PROGRAMS:
        assert f"`{program}.py`" in readme, program
