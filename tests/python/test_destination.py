"""Trace destinations on a real MLflow server: ``trace_destination`` on a root, context-local
``set_destination`` (this thread / task only) and the process-wide one, read back per experiment
with MLflow's own client."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from conftest import run_script

APP = r'''
import asyncio, json, sys, threading
import ferrotrace as mlflow
from ferrotrace.tracing import MlflowExperimentLocation, set_destination

mlflow.set_tracking_uri(sys.argv[1])
default_exp, own_exp, local_exp = sys.argv[2:5]
mlflow.set_experiment(experiment_id=default_exp)
ids = {}

@mlflow.trace(trace_destination=MlflowExperimentLocation(own_exp))
def routed(x):
    return child(x)

@mlflow.trace
def child(x):
    return x + 1

@mlflow.trace
def plain(x):
    return x

routed(1)
ids["routed"] = mlflow.get_last_active_trace_id()
with mlflow.start_span("block", trace_destination=MlflowExperimentLocation(own_exp)):
    pass
ids["block"] = mlflow.get_last_active_trace_id()
root = mlflow.start_span_no_context("detached", experiment_id=own_exp)
root.end()
ids["detached"] = root.trace_id

def worker():
    set_destination(MlflowExperimentLocation(local_exp), context_local=True)
    plain(2)
    ids["thread_local"] = mlflow.get_last_active_trace_id(thread_local=True)
    routed(3)  # the root's own destination wins over the context-local one
    ids["thread_routed"] = mlflow.get_last_active_trace_id(thread_local=True)

t = threading.Thread(target=worker)
t.start(); t.join()
plain(4)  # this thread never set a context-local destination
ids["main_after"] = mlflow.get_last_active_trace_id()

async def task():
    set_destination(local_exp, context_local=True)
    plain(5)
    return mlflow.get_last_active_trace_id(thread_local=True)

ids["task"] = asyncio.run(task())
plain(6)  # the task's setting stayed in the task
ids["main_end"] = mlflow.get_last_active_trace_id()
mlflow.flush()
print(json.dumps(ids))
'''


@pytest.fixture(scope="module")
def routed(mlflow_server: str, mlflow_reader: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    exps = [mlflow_reader.create_experiment(f"dest-{name}-{suffix}") for name in ("default", "own", "local")]
    r = run_script(APP, {}, cwd=str(tmp_path_factory.mktemp("dest")), argv=[mlflow_server, *exps])
    assert r.returncode == 0, r.stderr
    ids = json.loads(r.stdout.strip().splitlines()[-1])
    return {"ids": ids, "exps": dict(zip(("default", "own", "local"), exps))}


def _experiment_of(mlflow_reader: Any, trace_id: str) -> str:
    trace = mlflow_reader.get_trace(trace_id)
    assert trace is not None, trace_id
    return str(trace.info.experiment_id)


@pytest.mark.parametrize(
    "key,where",
    [
        ("routed", "own"),
        ("block", "own"),
        ("detached", "own"),
        ("thread_local", "local"),
        ("thread_routed", "own"),
        ("main_after", "default"),
        ("task", "local"),
        ("main_end", "default"),
    ],
)
def test_each_trace_lands_in_the_experiment_its_destination_names(
    routed: dict[str, Any], mlflow_reader: Any, key: str, where: str
) -> None:
    assert _experiment_of(mlflow_reader, routed["ids"][key]) == routed["exps"][where]


def test_a_routed_trace_keeps_its_whole_tree(routed: dict[str, Any], mlflow_reader: Any) -> None:
    trace = mlflow_reader.get_trace(routed["ids"]["routed"])
    assert sorted(s.name for s in trace.data.spans) == ["child", "routed"]


def test_an_unsupported_destination_is_a_clear_error() -> None:
    import ferrotrace
    from ferrotrace import tracing

    with pytest.raises(ferrotrace.TracingError, match="destination"):
        tracing.set_destination(None)
    with pytest.raises(ferrotrace.TracingError, match="destination"):
        ferrotrace.trace(trace_destination=object())
