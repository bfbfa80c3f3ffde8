"""Differential test of the LangChain autolog: the same LangChain / LangGraph apps
(langchain_apps.py) run under MLflow's ``mlflow.langchain.autolog()`` and under
``ferrotrace.langchain.autolog()`` against one real MLflow server and one fake chat server; read
back with MLflow's client, the traces must be equal field by field (span tree, names, types,
inputs, outputs, attributes, events, statuses, trace metadata and previews). Run ids and other
values LangChain makes random per process are replaced by placeholders on both sides; deliberate
differences are listed in docs/autolog-langchain.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest

from fake_llm_langchain import FakeLLM

pytest.importorskip("langchain_core")
pytest.importorskip("langgraph")
pytest.importorskip("langchain_openai")

# Both runs (two interpreters importing LangChain and MLflow, each app against a real server)
# happen in the first test's fixture setup: minutes on a loaded machine.
pytestmark = pytest.mark.timeout(1200)

APPS = os.path.join(os.path.dirname(__file__), "langchain_apps.py")
SCENARIOS = [
    "simple_chain",
    "rag_chain",
    "tool_call",
    "streaming",
    "langgraph_agent",
    "model_error",
    "tool_error",
    "async_chain",
    "llm_chain",
    "langgraph_async",
    "batch_1",
    "batch_2",
    "nested_chain_in_tool",
]

VOLATILE_META = {
    "mlflow.trace.sizeBytes", "mlflow.trace.sizeStats", "mlflow.source.name", "mlflow.source.type",
    "mlflow.user", "mlflow.trace.infoFinalized",
}
VOLATILE_TAGS = {"mlflow.artifactLocation"}
VOLATILE_ATTRS = {"mlflow.traceRequestId"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Python object reprs (e.g. a LangGraph channel writer in a node's metadata) carry addresses.
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def scrub(value: Any) -> Any:
    """Run ids and object addresses replaced, everywhere in a value (JSON texts included)."""
    if isinstance(value, str):
        return ADDRESS.sub(" at 0x?", UUID.sub("<uuid>", value))
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def tree_order(spans: list[Any]) -> list[Any]:
    """Depth first from the root, siblings by name then start: parallel branches (a
    RunnableParallel's, in threads) start in any order."""
    children: dict[Any, list[Any]] = {}
    for s in spans:
        children.setdefault(s.parent_id, []).append(s)
    out: list[Any] = []

    def visit(parent: Any) -> None:
        for s in sorted(children.get(parent, []), key=lambda s: (s.name, s.start_time_ns)):
            out.append(s)
            visit(s.span_id)

    visit(None)
    return out


def normalise(trace: Any) -> dict[str, Any]:
    from mlflow.tracing.utils import aggregate_cost_from_spans, aggregate_usage_from_spans

    spans = tree_order(trace.data.spans)
    names = {s.span_id: s.name for s in spans}

    def event(e: Any) -> dict[str, Any]:
        return {"name": e.name, "attributes": {k: v for k, v in e.attributes.items() if k != "exception.stacktrace"}}

    return scrub(
        {
            "state": trace.info.state.value,
            "tags": {k: v for k, v in trace.info.tags.items() if k not in VOLATILE_TAGS},
            "metadata": {k: v for k, v in trace.info.trace_metadata.items() if k not in VOLATILE_META},
            # MLflow's own aggregation over the stored spans (see known_differences).
            "span_cost_sum": json.dumps(aggregate_cost_from_spans(trace.data.spans)),
            "span_usage_sum": json.dumps(aggregate_usage_from_spans(trace.data.spans)),
            "request_preview": trace.info.request_preview,
            "response_preview": trace.info.response_preview,
            "spans": [
                {
                    "name": s.name,
                    "parent": names.get(s.parent_id),
                    "type": s.span_type,
                    "inputs": s.inputs,
                    "outputs": s.outputs,
                    "attributes": {k: v for k, v in s.attributes.items() if k not in VOLATILE_ATTRS},
                    "status": [s.status.status_code.value, s.status.description],
                    "events": [event(e) for e in s.events],
                }
                for s in spans
            ],
        }
    )


def run_and_read(sdk: str, server: str, reader: Any, base_url: str, cwd: str) -> dict[str, dict[str, Any]]:
    exp = f"lc-diff-{sdk}-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", FERROTRACE_SPILL_DIR=os.path.join(cwd, "spill"))
    cmd = [sys.executable, APPS, sdk, base_url, server, exp]
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "done" in r.stdout, r.stderr[-4000:]
    exp_id = reader.get_experiment_by_name(exp).experiment_id
    traces = reader.search_traces(locations=[exp_id], return_type="list")
    return {t.info.tags["mlflow.traceName"]: normalise(t) for t in traces}


def known_differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Undoes, in ``ours``, the deliberate differences of docs/autolog-langchain.md, and names
    those found."""
    found = []
    # Trace cost: ours is MLflow's aggregation over all the stored spans; the trace MLflow's
    #    SDK logs can get a cost counting only some of its model calls. Trace token usage has
    #    the same race: usually equal, but at times (1 run in 5 under load) the server's usage
    #    for MLflow's trace counts one of the agent's two model calls.
    for key, span_sum, label in [
        ("mlflow.trace.cost", "span_cost_sum", "trace cost of all spans"),
        ("mlflow.trace.tokenUsage", "span_usage_sum", "trace token usage of all spans"),
    ]:
        mine, theirs_value = ours["metadata"].get(key), theirs["metadata"].get(key)
        if mine != theirs_value and mine is not None and json.loads(mine) == json.loads(ours[span_sum]):
            ours["metadata"][key] = theirs_value
            found.append(label)
        ours[span_sum] = theirs[span_sum]
    return sorted(set(found))


@pytest.fixture(scope="module")
def both(mlflow_server: str, mlflow_reader: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = str(tmp_path_factory.mktemp("lc-diff"))
    with FakeLLM() as llm:
        return {sdk: run_and_read(sdk, mlflow_server, mlflow_reader, llm.base_url, tmp) for sdk in ("mlflow", "ferrotrace")}


def test_both_record_every_scenario(both: dict[str, Any]) -> None:
    assert sorted(both["mlflow"]) == sorted(SCENARIOS)
    assert sorted(both["ferrotrace"]) == sorted(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_trace_as_mlflows_langchain_autolog(both: dict[str, Any], scenario: str) -> None:
    ours, theirs = both["ferrotrace"].get(scenario), both["mlflow"].get(scenario)
    assert theirs is not None and ours is not None
    ours = json.loads(json.dumps(ours))
    known_differences(ours, theirs)
    if ours == theirs:
        return
    diff: dict[str, Any] = {k: {"mlflow": theirs.get(k), "ferrotrace": ours.get(k)} for k in theirs if ours.get(k) != theirs.get(k)}
    if "spans" in diff and len(ours["spans"]) == len(theirs["spans"]):
        diff["spans"] = [
            {k: {"mlflow": t.get(k), "ferrotrace": o.get(k)} for k in t if o.get(k) != t.get(k)} | {"name": t["name"]}
            for o, t in zip(ours["spans"], theirs["spans"])
            if o != t
        ]
    pytest.fail(json.dumps(diff, indent=1, default=str)[:8000])


def test_the_comparison_covers_what_matters(both: dict[str, Any]) -> None:
    """Guards the comparison against comparing empty fields."""
    ours = both["ferrotrace"]
    types = {s["type"] for t in ours.values() for s in t["spans"]}
    assert {"CHAIN", "CHAT_MODEL", "LLM", "RETRIEVER", "TOOL"} <= types, types
    agent = ours["langgraph_agent"]
    assert [s["name"] for s in agent["spans"]][:3] == ["langgraph_agent", "agent", "ChatOpenAI"]
    assert agent["metadata"].get("mlflow.trace.session") == "thread-1"
    assert "mlflow.trace.tokenUsage" in agent["metadata"]
    stream = next(s for s in ours["streaming"]["spans"] if s["type"] == "CHAT_MODEL")
    assert [e["name"] for e in stream["events"]].count("new_token") >= 4
    assert ours["model_error"]["state"] == "ERROR"
    nested = [(s["name"], s["parent"]) for s in ours["nested_chain_in_tool"]["spans"]][:2]
    assert nested == [("nested_chain_in_tool", None), ("RunnableSequence", "nested_chain_in_tool")]
    found = {name: known_differences(json.loads(json.dumps(t)), both["mlflow"][name]) for name, t in ours.items()}
    # Streamed tokens (`new_token` events) are kept as MLflow keeps them: no difference there.
    assert found["streaming"] == []
    assert set().union(*found.values()) <= {"trace cost of all spans"}
