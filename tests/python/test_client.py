"""ferrotrace.MlflowClient against a real MLflow server, read back with MLflow's own client: spans
built with explicit parents, tags on open and recorded traces, deletion, assessments, experiments,
and the exceptions MLflow raises (with their error codes). Run as a user runs it: a fresh process."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import ferrotrace
from conftest import run_script

PROGRAM = r'''
import json, sys, time, warnings
import ferrotrace
from ferrotrace import MlflowClient
from ferrotrace.entities import Feedback
from ferrotrace.exceptions import MlflowException, RestException

ferrotrace.set_tracking_uri(sys.argv[1])
client = MlflowClient()
out = {}
exp_id = client.create_experiment(sys.argv[2], tags={"team": "compat"})
out["exp_id"] = exp_id
try:
    client.create_experiment(sys.argv[2])
except RestException as e:
    out["duplicate"] = [e.error_code, e.get_http_status_code()]
out["by_name"] = client.get_experiment_by_name(sys.argv[2]).experiment_id
out["missing_by_name"] = client.get_experiment_by_name("no-such-" + sys.argv[2])
got = client.get_experiment(exp_id)
out["experiment"] = [got.name, got.tags.get("team"), got.lifecycle_stage]
out["search"] = [e.name for e in client.search_experiments(filter_string=f"name = '{sys.argv[2]}'")]

root = client.start_trace("job", span_type="CHAIN", inputs={"q": 1}, tags={"open": "yes"}, experiment_id=exp_id)
child = client.start_span("step", trace_id=root.trace_id, parent_id=root.span_id, span_type="TOOL", inputs={"i": 2})
client.end_span(root.trace_id, child.span_id, outputs={"o": 3}, attributes={"k": "v"})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    late = client.start_span("late", request_id=root.trace_id, parent_id=child.span_id)
out["request_id_warns"] = any("request_id" in str(w.message) for w in caught)
client.end_span(trace_id=root.trace_id, span_id=late.span_id, status="ERROR")
client.set_trace_tag(root.trace_id, "while_open", "1")
client.end_trace(root.trace_id, outputs="done")
out["trace_id"] = root.trace_id
try:
    client.end_trace(root.trace_id)
except MlflowException as e:
    out["end_twice"] = e.error_code
try:
    client.start_span("x", trace_id=root.trace_id, parent_id="0" * 16)
except MlflowException as e:
    out["orphan"] = e.error_code
with ferrotrace.start_span("fluent"):
    try:
        client.start_trace("nested")
    except MlflowException as e:
        out["under_fluent"] = e.error_code

client.set_trace_tag(root.trace_id, "after", "2")
client.delete_trace_tag(root.trace_id, "open")
t = client.get_trace(root.trace_id)
out["tags"] = {k: v for k, v in t.info.tags.items() if not k.startswith("mlflow.")}
fb = client.log_assessment(root.trace_id, Feedback(name="quality", value=0.5))
client.update_assessment(root.trace_id, fb.assessment_id, Feedback(name="quality", value=0.75))
out["assessment"] = client.get_assessment(root.trace_id, fb.assessment_id).value
extra = client.log_assessment(root.trace_id, Feedback(name="extra", value=True))
client.delete_assessment(root.trace_id, extra.assessment_id)
out["assessments"] = sorted(a.name for a in client.get_trace(root.trace_id).info.assessments)
try:
    client.get_trace("tr-" + "0" * 32)
except RestException as e:
    out["missing_trace"] = e.error_code
found = client.search_traces(experiment_ids=[exp_id])
out["found"] = [len(found), found.token]

for i in range(3):
    client.end_trace(client.start_trace(f"old{i}", experiment_id=exp_id).trace_id)
ferrotrace.flush()
out["deleted_by_id"] = client.delete_traces(exp_id, trace_ids=[root.trace_id])
out["deleted_by_time"] = client.delete_traces(exp_id, max_timestamp_millis=int(time.time() * 1000) + 1000, max_traces=2)
out["left"] = len(client.search_traces(locations=[exp_id]))
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def ran(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    name = f"client-{uuid.uuid4().hex[:8]}"
    r = run_script(PROGRAM, {}, cwd=str(tmp_path_factory.mktemp("client")), argv=[mlflow_server, name], timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    out["name"] = name
    return out


def test_experiments(ran: dict[str, Any], mlflow_reader: Any) -> None:
    assert ran["duplicate"] == ["RESOURCE_ALREADY_EXISTS", 400]
    assert ran["by_name"] == ran["exp_id"] and ran["missing_by_name"] is None
    assert ran["experiment"] == [ran["name"], "compat", "active"]
    assert ran["search"] == [ran["name"]]
    theirs = mlflow_reader.MlflowClient().get_experiment(ran["exp_id"])
    assert theirs.name == ran["name"] and theirs.tags["team"] == "compat"


def test_errors_have_mlflows_codes(ran: dict[str, Any]) -> None:
    assert ran["end_twice"] == "INVALID_PARAMETER_VALUE"
    assert ran["orphan"] == "RESOURCE_DOES_NOT_EXIST"
    assert ran["under_fluent"] == "BAD_REQUEST"
    assert ran["missing_trace"] == "RESOURCE_DOES_NOT_EXIST"
    assert ran["request_id_warns"] is True


def test_tags_and_assessments(ran: dict[str, Any]) -> None:
    assert ran["tags"] == {"while_open": "1", "after": "2"}
    assert ran["assessment"] == 0.75
    assert ran["assessments"] == ["quality"]
    assert ran["found"] == [1, None]


def test_deletion(ran: dict[str, Any], mlflow_reader: Any) -> None:
    assert ran["deleted_by_id"] == 1 and ran["deleted_by_time"] == 2 and ran["left"] == 1
    left = mlflow_reader.search_traces(locations=[ran["exp_id"]], return_type="list")
    # Which of the three (started within a few ms) the server keeps is its choice.
    assert len(left) == 1 and left[0].info.tags["mlflow.traceName"].startswith("old")


def test_the_client_built_trace_reads_back_in_mlflow(ran: dict[str, Any], mlflow_reader: Any, mlflow_server: str) -> None:
    # The trace was deleted at the end of the program; rebuild the same shape and read it back.
    code = r'''
import sys, ferrotrace
ferrotrace.set_tracking_uri(sys.argv[1])
c = ferrotrace.MlflowClient()
root = c.start_trace("job", span_type="CHAIN", inputs={"q": 1}, experiment_id=sys.argv[2])
child = c.start_span("step", trace_id=root.trace_id, parent_id=root.span_id, span_type="TOOL", inputs={"i": 2})
c.end_span(root.trace_id, child.span_id, outputs={"o": 3}, attributes={"k": "v"})
c.end_trace(root.trace_id, outputs="done")
print(root.trace_id)
'''
    r = run_script(code, {}, cwd=str(Path.cwd()), argv=[mlflow_server, ran["exp_id"]])
    assert r.returncode == 0, r.stderr
    t = mlflow_reader.get_trace(r.stdout.strip().splitlines()[-1])
    spans = {s.name: s for s in t.data.spans}
    assert spans["job"].span_type == "CHAIN" and spans["job"].inputs == {"q": 1} and spans["job"].outputs == "done"
    assert spans["step"].parent_id == spans["job"].span_id and spans["step"].attributes["k"] == "v"
    assert spans["step"].outputs == {"o": 3}


def test_client_without_server_uses_the_local_store_experiments(tmp_path: Path) -> None:
    code = r'''
import json, ferrotrace
c = ferrotrace.MlflowClient()
a = c.create_experiment("local-a")
try:
    c.create_experiment("local-a")
    dup = None
except ferrotrace.MlflowException as e:
    dup = e.error_code
print(json.dumps([a, dup, c.get_experiment_by_name("local-a").experiment_id, c.get_experiment("0").name,
                  c.get_experiment_by_name("nope"), sorted(e.name for e in c.search_experiments())]))
'''
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == ["1", "RESOURCE_ALREADY_EXISTS", "1", "Default", None, ["Default", "local-a"]]


def test_importable_from_mlflows_paths() -> None:
    from ferrotrace.client import MlflowClient as A
    from ferrotrace.tracking import MlflowClient as B
    from ferrotrace.tracking.client import MlflowClient as C

    assert A is B is C is ferrotrace.MlflowClient
