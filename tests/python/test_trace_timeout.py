"""MLFLOW_TRACE_TIMEOUT_SECONDS against a real MLflow server: the expired trace carries its root's
inputs and attributes, and the spans still open are exported marked as timed out."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from conftest import run_script

APP = r'''
import json, sys, time
import ferrotrace as mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
root = mlflow.start_span_no_context("stuck_job", span_type="AGENT", inputs={"n": 1}, attributes={"job": "nightly"})
mlflow.start_span_no_context("step", parent_span=root).end()
open_step = mlflow.start_span_no_context("open_step", parent_span=root, inputs={"k": 2})
time.sleep(1.6)
mlflow.flush()
open_step.end()
root.end()
print(json.dumps({"tid": root.trace_id, "stats": mlflow.stats()}))
'''


def test_an_expired_trace_keeps_root_inputs_and_marks_open_spans(
    tmp_path: Path, mlflow_server: str, mlflow_reader: Any
) -> None:
    env = {"MLFLOW_TRACE_TIMEOUT_SECONDS": "0.5", "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS": "0.1"}
    r = run_script(APP, env, cwd=str(tmp_path), argv=[mlflow_server, f"timeout-{uuid.uuid4().hex[:8]}"])
    assert r.returncode == 0, r.stderr
    assert "timed out" in r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    # The real spans ending after the timeout are counted, not exported a second time.
    assert out["stats"]["dropped_spans"].get("span_after_root_ended") == 2, out["stats"]
    trace = mlflow_reader.get_trace(out["tid"])
    assert trace.info.state == "ERROR"
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"stuck_job", "step", "open_step"}
    root, step, open_step = spans["stuck_job"], spans["step"], spans["open_step"]
    assert root.inputs == {"n": 1}
    assert root.attributes["job"] == "nightly"
    assert root.span_type == "AGENT"
    assert root.status.status_code == "ERROR"
    assert step.status.status_code == "OK"
    assert open_step.status.status_code == "ERROR"
    assert open_step.inputs == {"k": 2}
    assert open_step.parent_id == root.span_id
    (event,) = open_step.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "MlflowTracingException"
    assert "still open" in event.attributes["exception.message"]
