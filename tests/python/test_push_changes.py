"""`ferrotrace push` carries the changes made in the local store after an earlier push: a tag
deleted in the store is deleted on the server, a tag set or an assessment logged since arrives
once, and a trace deleted in the store is not sent; pushing again duplicates nothing. Against a
real MLflow server, read back with MLflow's own client."""

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

pytestmark = pytest.mark.timeout(600)

WRITE = r"""
import json, ferrotrace as mlflow

@mlflow.trace
def step(i):
    return i

ids = []
for i in range(4):
    step(i)
    ids.append(mlflow.get_last_active_trace_id())
for t in ids:
    mlflow.set_trace_tag(t, "keep", "yes")
    mlflow.set_trace_tag(t, "drop", "yes")
# Deleted before any push: never reaches the server.
mlflow.delete_trace_tag(ids[2], "drop")
mlflow.log_feedback(trace_id=ids[0], name="helpful", value=True)
print(json.dumps(ids))
"""

# After the first push: more changes in the store.
CHANGE = r"""
import json, sys, ferrotrace as mlflow
ids = json.loads(sys.argv[1])
mlflow.delete_trace_tag(ids[0], "drop")
mlflow.delete_trace_tag(ids[1], "drop")
mlflow.set_trace_tag(ids[1], "later", "1")
mlflow.log_feedback(trace_id=ids[1], name="helpful", value=False)
"""


def push(server: str, exp: str, store: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    p = subprocess.run(
        [sys.executable, "-m", "ferrotrace.cli", "push", "--tracking-uri", server, "--experiment-id", exp, str(store)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_push_carries_tag_deletions_and_later_changes_once(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    w = run_script(WRITE, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp_path))
    assert w.returncode == 0, w.stderr
    ids = json.loads(w.stdout.strip().splitlines()[-1])
    exp = new_experiment(mlflow_reader)
    client = mlflow_reader.MlflowClient()

    first = push(mlflow_server, exp, store)
    assert "found 4 trace(s): sent 4" in first and "assessments sent 1" in first, first
    tags = {t: client.get_trace(t).info.tags for t in ids}
    assert all(tags[t]["keep"] == "yes" for t in ids)
    assert [t for t in ids if "drop" in tags[t]] == [ids[0], ids[1], ids[3]]

    c = run_script(CHANGE, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp_path), argv=[json.dumps(ids)])
    assert c.returncode == 0, c.stderr
    second = push(mlflow_server, exp, store)
    assert "assessments sent 1" in second and "tags deleted 2" in second, second
    third = push(mlflow_server, exp, store)
    assert "assessments sent 0" in third and "tags deleted 0" in third, third

    assert len(server_traces(mlflow_reader, exp)) == 4
    got = {t: client.get_trace(t) for t in ids}
    assert [t for t in ids if "drop" in got[t].info.tags] == [ids[3]]
    assert all(got[t].info.tags["keep"] == "yes" for t in ids)
    assert got[ids[1]].info.tags["later"] == "1"
    assert [(a.name, a.value) for a in got[ids[0]].info.assessments] == [("helpful", True)]
    assert [(a.name, a.value) for a in got[ids[1]].info.assessments] == [("helpful", False)]


def test_push_skips_traces_deleted_in_the_store(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    store = tmp_path / "store"
    w = run_script(WRITE, {"FERROTRACE_LOCAL_DIR": str(store)}, str(tmp_path))
    assert w.returncode == 0, w.stderr
    ids = json.loads(w.stdout.strip().splitlines()[-1])
    d = run_script(
        "import json, sys, ferrotrace\n"
        "ids = json.loads(sys.argv[1])\n"
        "ferrotrace.MlflowClient().delete_traces(experiment_id='0', trace_ids=ids[:2])\n",
        {"FERROTRACE_LOCAL_DIR": str(store)},
        str(tmp_path),
        argv=[json.dumps(ids)],
    )
    assert d.returncode == 0, d.stderr
    exp = new_experiment(mlflow_reader)
    out = push(mlflow_server, exp, store)
    assert "found 2 trace(s): sent 2" in out, out
    assert sorted(t.info.trace_id for t in server_traces(mlflow_reader, exp)) == sorted(ids[2:])
