"""The whole trace-level API on the local store (no server), across processes: tags,
assessments, get_trace, search with MLflow's filter grammar, deletion, compaction, and
MLflow's own examples (in our words) run unchanged against the default store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from conftest import run_script

WRITER = r"""
import json, time, ferrotrace as mlflow
from ferrotrace.entities import AssessmentSource, AssessmentSourceType

@mlflow.trace(span_type="AGENT")
def answer(q):
    return helper(q) + "!"

@mlflow.trace(span_type="RETRIEVER")
def helper(q):
    return q.upper()

ids = []
for q in ("billing", "shipping", "billing again"):
    answer(q)
    ids.append(mlflow.get_last_active_trace_id())
    time.sleep(0.01)  # distinct start times: the default order is newest first
mlflow.set_trace_tag(ids[0], "topic", "billing")
mlflow.set_trace_tag(ids[1], "topic", "shipping")
mlflow.set_trace_tag(ids[1], "tmp", "x")
mlflow.delete_trace_tag(ids[1], "tmp")
fb = mlflow.log_feedback(
    trace_id=ids[0], name="user_satisfaction", value=True, rationale="solved",
    source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="user_123"),
)
ex = mlflow.log_expectation(trace_id=ids[0], name="expected", value="BILLING!")
fixed = mlflow.override_feedback(trace_id=ids[0], assessment_id=fb.assessment_id, value=False, rationale="re-checked")
got = mlflow.get_assessment(ids[0], fixed.assessment_id)
assert got.value is False and got.overrides == fb.assessment_id, got
# Read back in the same process: the stored trace, not a stale copy.
t = mlflow.get_trace(ids[0])
assert t.info.tags["topic"] == "billing", t.info.tags
assert len(t.info.assessments) == 3, t.info.assessments
print(json.dumps({"ids": ids, "fb": fb.assessment_id, "fixed": fixed.assessment_id, "ex": ex.assessment_id}))
"""

READER = r"""
import json, sys, ferrotrace as mlflow
from ferrotrace.entities import Feedback
info = json.loads(sys.argv[1])
ids = info["ids"]
t = mlflow.get_trace(ids[0])
assert t is not None, "trace not found in a new process"
assert t.info.tags["topic"] == "billing"
by_id = {a.assessment_id: a for a in t.info.assessments}
assert by_id[info["fb"]].valid is False
assert by_id[info["fixed"]].value is False
assert [s.name for s in t.data.spans] == ["answer", "helper"]
assert "tmp" not in mlflow.get_trace(ids[1]).info.tags
def found(f, **kw):
    return [x.info.trace_id for x in mlflow.search_traces(filter_string=f, return_type="list", **kw)]
assert found("tags.topic = 'billing'") == [ids[0]]
assert found("tags.topic != 'billing'") == [ids[1]]
assert found("trace.name = 'answer'", order_by=["timestamp_ms ASC"]) == ids
assert found("span.type = 'RETRIEVER' AND tags.topic LIKE 'ship%'") == [ids[1]]
assert found("feedback.user_satisfaction = 'false'") == [ids[0]]
assert found("trace.status = 'OK'", max_results=2) == [ids[2], ids[1]]
df = mlflow.search_traces(filter_string="tags.topic ILIKE 'BILL%'")
assert list(df["trace_id"]) == [ids[0]], df
try:
    mlflow.search_traces(filter_string="trace.name = 'a' OR trace.name = 'b'")
except mlflow.MlflowException as e:
    assert "Invalid clause" in str(e), e
else:
    raise AssertionError("an OR filter must be refused, as MLflow refuses it")
mlflow.update_assessment(ids[0], info["ex"], mlflow.entities.Expectation(name="expected", value="BILLING?"))
mlflow.delete_assessment(ids[0], info["fixed"])
t = mlflow.get_trace(ids[0])
assert sorted(a.assessment_id for a in t.info.assessments) == sorted([info["fb"], info["ex"]]), t.info.assessments
assert [a.valid for a in t.info.assessments if a.assessment_id == info["fb"]] == [True]
assert [a.value for a in t.info.assessments if a.assessment_id == info["ex"]] == ["BILLING?"]
from ferrotrace._assessments import delete_traces
assert delete_traces(trace_ids=[ids[2]]) == 1
assert mlflow.get_trace(ids[2], silent=True) is None
print("ok")
"""


def test_every_trace_level_call_works_on_the_local_store_across_processes(tmp_path: Any) -> None:
    store = str(tmp_path / "store")
    env = {"FERROTRACE_LOCAL_DIR": store}
    w = run_script(WRITER, env, str(tmp_path))
    assert w.returncode == 0, w.stderr
    info = w.stdout.strip().splitlines()[-1]
    r = run_script(READER, env, str(tmp_path), argv=[info])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
    # The CLI shows the folded tags, and compaction keeps what readers see.
    cli = [sys.executable, "-m", "ferrotrace.cli"]
    shown = subprocess.run([*cli, "traces", "show", json.loads(info)["ids"][0], "--dir", store], capture_output=True, text=True)
    assert "tag topic = billing" in shown.stdout, shown
    out = subprocess.run([*cli, "store", "compact", store], capture_output=True, text=True)
    assert out.returncode == 0 and "compacted" in out.stdout, out
    r = run_script(
        "import sys, ferrotrace as m; print(sorted(t.info.trace_id for t in m.search_traces(return_type='list')))",
        env,
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(sorted(json.loads(info)["ids"][:2]))


SIMPLE = r"""
import ferrotrace as mlflow

mlflow.set_experiment("tracing")

@mlflow.trace()
def plus_one(x: int) -> int:
    return x + 1

@mlflow.trace()
def plus_three(x: int) -> int:
    return plus_one(x) + 2

assert plus_three(1) == 4
traces = mlflow.search_traces()
print(len(traces))
"""


def test_mlflow_simple_example_runs_against_the_default_store(tmp_path: Any) -> None:
    r = run_script(SIMPLE, {}, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    assert os.path.isdir(tmp_path / "ferrotrace-traces")


def test_database_tracking_uris_warn_once_and_use_the_local_store(tmp_path: Any) -> None:
    code = "import ferrotrace as m\n@m.trace\ndef f(): return 1\nf()\nprint(len(m.search_traces(return_type='list')))"
    r = run_script(code, {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    assert r.stderr.count("MLFLOW_TRACKING_URI") == 1, r.stderr
    assert "ferrotrace push" in r.stderr
    r = run_script(code, {"MLFLOW_TRACKING_URI": f"file://{tmp_path}/elsewhere"}, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "elsewhere").is_dir()


def test_concurrent_writers_in_several_processes_lose_nothing(tmp_path: Any) -> None:
    store = str(tmp_path / "store")
    env = {"FERROTRACE_LOCAL_DIR": store}
    made = run_script(
        "import ferrotrace as m\n@m.trace\ndef f(): return 1\nf()\nprint(m.get_last_active_trace_id())", env, str(tmp_path)
    )
    assert made.returncode == 0, made.stderr
    tid = made.stdout.strip().splitlines()[-1]
    worker = (
        "import sys, ferrotrace as m\n"
        "w, tid = sys.argv[1], sys.argv[2]\n"
        "for i in range(20):\n"
        "    m.set_trace_tag(tid, f'w{w}.{i}', str(i))\n"
        "    m.log_feedback(trace_id=tid, name=f'w{w}', value=i)\n"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    full_env.update(env, MLFLOW_DISABLE_TELEMETRY="true")
    procs = [
        subprocess.Popen([sys.executable, "-c", worker, str(w), tid], env=full_env, cwd=str(tmp_path), stderr=subprocess.PIPE, text=True)
        for w in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    r = run_script(
        "import sys, ferrotrace as m\nt = m.get_trace(sys.argv[1])\n"
        "print(len([k for k in t.info.tags if k.startswith('w')]), len(t.info.assessments))",
        env,
        str(tmp_path),
        argv=[tid],
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "60 60"
