"""Differential test: MLflow's own SDK and ferrotrace run the same scenarios against the same real
server; read back with MLflow's client and normalised (ids, times, host paths), the traces must be
equal field by field (span tree, types, inputs, outputs, attributes, events, statuses, tags,
metadata with token usage and the server's cost, previews, assessments). Known, deliberate
differences would be listed in the README."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import run_script

SCENARIOS = r'''
import asyncio, json, sys
mlflow = __import__(sys.argv[3])
from importlib import import_module
entities = import_module(sys.argv[3] + ".entities")
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])

@mlflow.trace(span_type="RETRIEVER")
def search_docs(query, k=2):
    return [{"id": i, "text": f"doc {i} about {query}", "score": 0.5 + i / 10} for i in range(k)]

@mlflow.trace(span_type="LLM", attributes={"model": "stub-1", "temperature": 0.2})
def chat(messages, max_tokens=64):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 20, "output_tokens": 5, "total_tokens": 25})
    span.set_attribute("mlflow.llm.cost", {"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.30000000000000004})
    return {"role": "assistant", "content": "It depends.", "finish_reason": "stop"}

@mlflow.trace(span_type="TOOL")
def calculator(expression):
    if "/0" in expression:
        raise ZeroDivisionError("division by zero")
    return 42

@mlflow.trace(span_type="AGENT")
def agent(question, history=None):
    mlflow.update_current_trace(tags={"scenario": "agent"}, metadata={"app.version": "7"})
    docs = search_docs(question)
    with mlflow.start_span("build_prompt", span_type="PARSER") as s:
        s.set_inputs({"docs": len(docs)})
        s.add_event(entities.SpanEvent("built", attributes={"chars": 120, "ok": True}))
        s.set_outputs("prompt text")
    try:
        calculator("1/0")
    except ZeroDivisionError:
        pass
    calculator("6*7")
    return chat([{"role": "user", "content": question}])["content"]

@mlflow.trace(span_type="TOOL")
async def fetch(i):
    await asyncio.sleep(0.01 * (3 - i))
    return {"i": i, "ok": i != 1}

@mlflow.trace(span_type="CHAIN")
async def fan_out(n):
    return await asyncio.gather(*(fetch(i) for i in range(n)))

@mlflow.trace(span_type="LLM", output_reducer=lambda chunks: "".join(chunks))
def stream_answer(prompt):
    for tok in ["Hel", "lo", "!"]:
        yield tok

@mlflow.trace(span_type="CHAIN")
def streaming(prompt):
    return list(stream_answer(prompt))

@mlflow.trace
def failing(code, detail=None):
    raise ValueError(f"bad input {code}")

@mlflow.trace(span_type="CHAT_MODEL")
def chat_completion(messages, model="stub"):
    return {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi there"}]}}]}

agent("what is 6*7?")
agent_id = mlflow.get_last_active_trace_id()
chat_completion([{"role": "system", "content": "be nice"}, {"role": "user", "content": "hello?"}, {"role": "assistant", "content": "..."}])
asyncio.run(fan_out(3))
streaming("say hello")
try:
    failing(3, detail={"nested": [1, 2.5, None, True]})
except ValueError:
    pass
mlflow.flush_trace_async_logging()
judge = entities.AssessmentSource(source_type="LLM_JUDGE", source_id="judge-1")
mlflow.log_feedback(trace_id=agent_id, name="relevance", value=0.9, rationale="on topic", source=judge,
                    metadata={"judge_version": "2"})
mlflow.log_feedback(trace_id=agent_id, name="safety", value=True)
mlflow.log_expectation(trace_id=agent_id, name="expected_answer", value={"answer": 42, "unit": None})
print("done")
'''

VOLATILE_META = {
    "mlflow.trace.sizeBytes", "mlflow.trace.sizeStats", "mlflow.source.name", "mlflow.source.type",
    "mlflow.user", "mlflow.trace.infoFinalized",
}
VOLATILE_TAGS = {"mlflow.artifactLocation"}
VOLATILE_ATTRS = {"mlflow.traceRequestId"}


def normalise(trace: Any) -> dict[str, Any]:
    spans = sorted(trace.data.spans, key=lambda s: s.start_time_ns)
    names = {s.span_id: s.name for s in spans}

    def assessment(a: Any) -> dict[str, Any]:
        value = a.feedback.value if getattr(a, "feedback", None) is not None else a.expectation.value
        return {
            "name": a.name,
            "kind": type(a).__name__,
            "value": value,
            "rationale": a.rationale,
            "source": [a.source.source_type, a.source.source_id],
            "metadata": a.metadata,
            "span": names.get(a.span_id),
            "valid": a.valid,
        }

    def event(e: Any) -> dict[str, Any]:
        attrs = {k: v for k, v in e.attributes.items() if k != "exception.stacktrace"}
        return {"name": e.name, "attributes": attrs}

    return {
        "state": trace.info.state.value,
        "tags": {k: v for k, v in trace.info.tags.items() if k not in VOLATILE_TAGS},
        "metadata": {k: v for k, v in trace.info.trace_metadata.items() if k not in VOLATILE_META},
        "request_preview": trace.info.request_preview,
        "response_preview": trace.info.response_preview,
        "assessments": sorted((assessment(a) for a in trace.info.assessments), key=lambda a: a["name"]),
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


def run_and_read(sdk: str, server: str, reader: Any, tmp: Path) -> dict[str, dict[str, Any]]:
    exp = f"diff-{sdk}-{uuid.uuid4().hex[:6]}"
    r = run_script(SCENARIOS, {}, cwd=str(tmp), argv=[server, exp, sdk], timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    exp_id = reader.get_experiment_by_name(exp).experiment_id
    traces = reader.search_traces(locations=[exp_id], return_type="list")
    return {t.info.tags["mlflow.traceName"]: normalise(t) for t in traces}


@pytest.fixture(scope="module")
def both(mlflow_server: str, mlflow_reader: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("diff")
    return {sdk: run_and_read(sdk, mlflow_server, mlflow_reader, tmp) for sdk in ("mlflow", "ferrotrace")}


@pytest.mark.parametrize("scenario", ["agent", "fan_out", "streaming", "failing", "chat_completion"])
def test_same_trace_as_mlflows_sdk(both: dict[str, Any], scenario: str) -> None:
    ours, theirs = both["ferrotrace"][scenario], both["mlflow"][scenario]
    if ours != theirs:
        diff = {
            k: {"mlflow": theirs.get(k), "ferrotrace": ours.get(k)} for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)
        }
        pytest.fail(json.dumps(diff, indent=1, default=str)[:6000])


def test_the_comparison_covers_assessments_and_server_side_cost(both: dict[str, Any]) -> None:
    """Guards the test above against comparing empty fields."""
    agent = both["ferrotrace"]["agent"]
    assert [a["name"] for a in agent["assessments"]] == ["expected_answer", "relevance", "safety"]
    assert "mlflow.trace.tokenUsage" in agent["metadata"]
    assert "mlflow.trace.cost" in agent["metadata"], sorted(agent["metadata"])
