"""The local store next to a real MLflow server: `ferrotrace push` carries tags and
assessments once; get_trace against a server shows what is stored; and the differential: the
same traces (pushed from the local store, so ids match) searched with the same filters through
MLflow's server and through the local store return the same ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import run_script
from test_delivery_faults import new_experiment, server_traces

# Starting the server and pushing twice take a while on a loaded machine.
pytestmark = pytest.mark.timeout(600)

WRITE = r"""
import json, time, ferrotrace as mlflow

@mlflow.trace(span_type="AGENT")
def agent(q):
    return tool(q)

@mlflow.trace(span_type="TOOL")
def tool(q):
    return q[::-1]

@mlflow.trace(span_type="LLM")
def chat(q):
    return q

ids = []
for i in range(8):
    (agent if i % 2 == 0 else chat)(f"q{i}")
    ids.append(mlflow.get_last_active_trace_id())
    time.sleep(0.01)
for i, t in enumerate(ids):
    mlflow.set_trace_tag(t, "topic", ["billing", "shipping", "returns"][i % 3])
    if i % 4 == 0:
        mlflow.set_trace_tag(t, "vip", "yes")
mlflow.log_feedback(trace_id=ids[0], name="helpful", value=True)
mlflow.log_feedback(trace_id=ids[1], name="helpful", value=False)
mlflow.log_feedback(trace_id=ids[2], name="score", value=0.9)
mlflow.log_expectation(trace_id=ids[3], name="answer", value="3q")
print(json.dumps(ids))
"""

FILTERS = [
    "trace.name = 'agent'",
    "trace.name != 'agent'",
    "name = 'chat'",
    "trace.status IN ('OK', 'ERROR')",
    "trace.status NOT IN ('ERROR')",
    "trace.name LIKE 'ag%'",
    "trace.name ILIKE 'CHA%'",
    "trace.status = 'OK'",
    "tags.topic = 'billing'",
    "tags.topic != 'billing'",
    "tags.topic LIKE '%ing'",
    "tags.topic ILIKE 'SHIP%'",
    "tags.vip = 'yes' AND trace.name = 'agent'",
    "tags.vip IS NULL",
    "tags.vip IS NOT NULL",
    "metadata.`mlflow.source.type` = 'LOCAL'",
    "metadata.`mlflow.trace_schema.version` IS NOT NULL",
    "metadata.`mlflow.traceInputs` LIKE '%q1%'",
    "span.name = 'tool'",
    "span.type = 'LLM'",
    "span.type IN ('TOOL', 'RETRIEVER')",
    "span.name LIKE 'ch%'",
    "feedback.helpful = 'true'",
    "feedback.helpful = 'false'",
    "feedback.score > 0.5",
    "expectation.answer = '3q'",
    "trace.execution_time_ms >= 0",
    "trace.timestamp_ms > 0 AND tags.topic = 'returns'",
]

REJECTED = [
    "trace.name = 'a' OR trace.name = 'b'",
    "trace.unknown = 'x'",
    "params.x = '1'",
    "tags.topic IN ('billing')",
    "trace.name IN ('agent', 'nothing')",
    "feedback.helpful > 'x'",
]


@pytest.fixture(scope="module")
def pushed(mlflow_server: str, mlflow_reader: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("pushed")
    store = tmp / "store"
    w = run_script(WRITE, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp))
    assert w.returncode == 0, w.stderr
    ids = json.loads(w.stdout.strip().splitlines()[-1])
    exp = new_experiment(mlflow_reader)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    outs = []
    for _ in range(2):
        p = subprocess.run(
            [sys.executable, "-m", "ferrotrace.cli", "push", "--tracking-uri", mlflow_server, "--experiment-id", exp, str(store)],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    return {"store": store, "tmp": tmp, "ids": ids, "exp": exp, "outs": outs}


def test_push_carries_tags_and_assessments_once(pushed: Any, mlflow_reader: Any) -> None:
    assert "assessments sent 4" in pushed["outs"][0], pushed["outs"]
    assert "assessments sent 0" in pushed["outs"][1], pushed["outs"]
    client = mlflow_reader.MlflowClient()
    assert len(server_traces(mlflow_reader, pushed["exp"])) == 8
    t = client.get_trace(pushed["ids"][0])
    assert t.info.tags["topic"] == "billing" and t.info.tags["vip"] == "yes"
    assert [(a.name, a.value) for a in t.info.assessments] == [("helpful", True)]


def _local_ids(pushed: Any, filters: list[str]) -> Any:
    code = (
        "import json, sys, ferrotrace as m\n"
        "out = {}\n"
        "for f in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        out[f] = sorted(t.info.trace_id for t in m.search_traces(filter_string=f, return_type='list'))\n"
        "    except m.MlflowException as e:\n"
        "        out[f] = 'error: ' + str(e)\n"
        "print(json.dumps(out))\n"
    )
    r = run_script(code, {"FERROTRACE_LOCAL_DIR": str(pushed["store"])}, str(pushed["tmp"]), argv=[json.dumps(filters)])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_search_filters_return_the_same_ids_as_mlflow(pushed: Any, mlflow_reader: Any) -> None:
    client = mlflow_reader.MlflowClient()
    local = _local_ids(pushed, FILTERS + REJECTED)
    mismatches = []
    for f in FILTERS:
        server = sorted(t.info.trace_id for t in client.search_traces(locations=[pushed["exp"]], filter_string=f, max_results=100))
        if local[f] != server:
            mismatches.append((f, local[f], server))
    assert not mismatches, mismatches
    # Some filters match something: the comparison is not vacuous.
    assert sum(1 for f in FILTERS if local[f]) >= len(FILTERS) - 2
    for f in REJECTED:
        with pytest.raises(mlflow_reader.exceptions.MlflowException):
            client.search_traces(locations=[pushed["exp"]], filter_string=f)
        assert str(local[f]).startswith("error: "), (f, local[f])


def test_get_trace_against_a_server_shows_tags_set_after_the_trace_ended(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    exp = new_experiment(mlflow_reader)
    code = r"""
import ferrotrace as mlflow
@mlflow.trace
def f(): return 1
f()
tid = mlflow.get_last_active_trace_id()
assert mlflow.get_trace(tid) is not None
mlflow.set_trace_tag(tid, "reviewed", "yes")
mlflow.log_feedback(trace_id=tid, name="ok", value=True)
t = mlflow.get_trace(tid)
assert t.info.tags.get("reviewed") == "yes", t.info.tags
assert [a.name for a in t.info.assessments] == ["ok"], t.info.assessments
print("ok")
"""
    r = run_script(code, {"MLFLOW_TRACKING_URI": mlflow_server, "MLFLOW_EXPERIMENT_ID": exp}, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
