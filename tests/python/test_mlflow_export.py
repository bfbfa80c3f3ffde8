"""Export to a real MLflow server: an app traced with ferrotrace (in its own process, as users
run it) is read back with MLflow's own client and compared field by field."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import run_script

APP = r'''
import json, sys
import ferrotrace as mlflow
from ferrotrace.entities import AssessmentSource, SpanEvent, SpanType

mlflow.set_tracking_uri(sys.argv[1])
exp = mlflow.set_experiment(sys.argv[2])

@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve_docs(query, k=2):
    return [{"id": "d1", "text": "MLflow is an ML platform"}][:k]

@mlflow.trace(span_type=SpanType.LLM, attributes={"model": "stub"})
def call_llm(prompt, temperature=0.1):
    mlflow.get_current_active_span().set_attribute(
        "mlflow.chat.tokenUsage", {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15})
    return {"content": "answer"}

@mlflow.trace(span_type=SpanType.TOOL)
def flaky_tool(x):
    raise RuntimeError("tool failed")

@mlflow.trace(span_type=SpanType.AGENT)
def agent_run(question):
    mlflow.update_current_trace(tags={"env": "wire-test"}, session_id="session-123", user="alice",
                                metadata={"app.version": "1.2"})
    docs = retrieve_docs(question)
    with mlflow.start_span("postprocess", span_type=SpanType.PARSER) as s:
        s.set_inputs({"raw": docs})
        s.add_event(SpanEvent("checkpoint", attributes={"step": 1}))
        s.set_outputs("clean")
    try:
        flaky_tool(1)
    except RuntimeError:
        pass
    return call_llm(f"q: {question}")["content"]

@mlflow.trace
def failing_run(n):
    raise ValueError(f"boom {n}")

agent_run("what is mlflow?")
ok_id = mlflow.get_last_active_trace_id()
try:
    failing_run(1)
except ValueError:
    pass
err_id = mlflow.get_last_active_trace_id()
fb = mlflow.log_feedback(trace_id=ok_id, name="relevance", value=0.9, rationale="on topic",
                         source=AssessmentSource("LLM_JUDGE", "gpt-judge"), metadata={"judge_version": "1"})
ex = mlflow.log_expectation(trace_id=ok_id, name="expected_answer", value="MLflow is an ML platform")
print(json.dumps({"ok": ok_id, "err": err_id, "exp": exp.experiment_id,
                  "fb": fb.assessment_id, "ex": ex.assessment_id, "stats": mlflow.stats()}))
'''


@pytest.fixture(scope="module")
def traced(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    exp_name = f"ferrotrace-{uuid.uuid4().hex[:8]}"
    r = run_script(APP, {}, cwd=str(tmp_path_factory.mktemp("app")), argv=[mlflow_server, exp_name])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["exp_name"] = exp_name
    out["stderr"] = r.stderr
    return out


def test_the_app_exported_everything_without_loss(traced: dict[str, Any]) -> None:
    s = traced["stats"]
    assert s["traces_dropped"] == 0 and s["spans_dropped"] == 0, s
    assert "WARNING" not in traced["stderr"], traced["stderr"]


def test_trace_tree_types_io_and_status_read_back(traced: dict[str, Any], mlflow_reader: Any) -> None:
    trace = mlflow_reader.get_trace(traced["ok"])
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"agent_run", "retrieve_docs", "postprocess", "flaky_tool", "call_llm"}
    root = spans["agent_run"]
    assert root.parent_id is None
    assert all(spans[n].parent_id == root.span_id for n in ("retrieve_docs", "postprocess", "flaky_tool", "call_llm"))
    assert {n: s.span_type for n, s in spans.items()} == {
        "agent_run": "AGENT", "retrieve_docs": "RETRIEVER", "postprocess": "PARSER", "flaky_tool": "TOOL", "call_llm": "LLM",
    }
    assert root.inputs == {"question": "what is mlflow?"}
    assert root.outputs == "answer"
    assert spans["retrieve_docs"].inputs == {"query": "what is mlflow?", "k": 2}
    assert spans["call_llm"].outputs == {"content": "answer"}
    assert spans["call_llm"].get_attribute("model") == "stub"
    assert spans["postprocess"].events[0].name == "checkpoint"
    assert spans["postprocess"].events[0].attributes == {"step": 1}
    tool = spans["flaky_tool"]
    assert tool.status.status_code.value == "ERROR"
    assert tool.status.description == "RuntimeError: tool failed"
    exc = tool.events[0]
    assert exc.name == "exception" and exc.attributes["exception.type"] == "RuntimeError"
    assert "Traceback" in exc.attributes["exception.stacktrace"]
    assert root.status.status_code.value == "OK"


def test_trace_info_tags_metadata_previews_and_token_usage(traced: dict[str, Any], mlflow_reader: Any) -> None:
    info = mlflow_reader.get_trace(traced["ok"]).info
    assert info.trace_id == traced["ok"]
    assert info.state.value == "OK"
    assert info.experiment_id == traced["exp"]
    assert info.tags["mlflow.traceName"] == "agent_run"
    assert info.tags["env"] == "wire-test"
    md = info.trace_metadata
    assert md["mlflow.trace.session"] == "session-123"
    assert md["mlflow.trace.user"] == "alice"
    assert md["app.version"] == "1.2"
    assert md["mlflow.trace_schema.version"] == "3"
    assert md["mlflow.traceInputs"] == '{"question": "what is mlflow?"}'
    assert md["mlflow.traceOutputs"] == '"answer"'
    assert info.request_preview == '{"question": "what is mlflow?"}'
    assert info.response_preview == '"answer"'
    assert info.token_usage == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    failed = mlflow_reader.get_trace(traced["err"]).info
    assert failed.state.value == "ERROR"
    assert failed.tags["mlflow.traceName"] == "failing_run"


def test_assessments_read_back(traced: dict[str, Any], mlflow_reader: Any) -> None:
    info = mlflow_reader.get_trace(traced["ok"]).info
    by_name = {a.name: a for a in info.assessments}
    fb = by_name["relevance"]
    assert fb.assessment_id == traced["fb"]
    assert fb.value == 0.9 and fb.rationale == "on topic"
    assert fb.source.source_type == "LLM_JUDGE" and fb.source.source_id == "gpt-judge"
    assert fb.metadata == {"judge_version": "1"}
    ex = by_name["expected_answer"]
    assert ex.assessment_id == traced["ex"]
    assert ex.value == "MLflow is an ML platform"
    assert ex.source.source_type == "HUMAN"


def test_server_side_searches_find_the_traces(traced: dict[str, Any], mlflow_reader: Any) -> None:
    def search(f: str) -> set[str]:
        found = mlflow_reader.search_traces(locations=[traced["exp"]], filter_string=f, return_type="list")
        return {t.info.trace_id for t in found}

    assert search("trace.name = 'agent_run'") == {traced["ok"]}
    assert search("span.type = 'LLM'") == {traced["ok"]}
    assert search("tag.env = 'wire-test'") == {traced["ok"]}
    assert traced["err"] in search("trace.status = 'ERROR'")


def test_assessment_crud_and_trace_tags(traced: dict[str, Any], mlflow_server: str, mlflow_reader: Any) -> None:
    import ferrotrace
    from ferrotrace import _native
    from ferrotrace.entities import Feedback

    _native.configure(tracking_uri=mlflow_server)
    try:
        tid = traced["ok"]
        got = ferrotrace.get_assessment(tid, traced["fb"])
        assert isinstance(got, Feedback) and got.value == 0.9
        new = ferrotrace.override_feedback(trace_id=tid, assessment_id=traced["fb"], value=0.2, rationale="human says no")
        assert new.overrides == traced["fb"]
        assert ferrotrace.get_assessment(tid, traced["fb"]).valid is False
        upd = ferrotrace.update_assessment(tid, new.assessment_id, Feedback(name="relevance", value=0.3, rationale="revised"))
        assert upd.value == 0.3 and upd.rationale == "revised"
        ferrotrace.delete_assessment(tid, new.assessment_id)
        names = [a.assessment_id for a in mlflow_reader.get_trace(tid).info.assessments]
        assert new.assessment_id not in names
        ferrotrace.set_trace_tag(tid, "reviewed", "yes")
        assert mlflow_reader.get_trace(tid).info.tags["reviewed"] == "yes"
        ferrotrace.delete_trace_tag(tid, "reviewed")
        assert "reviewed" not in mlflow_reader.get_trace(tid).info.tags
    finally:
        _native.configure(tracking_uri="", destination="memory")


def test_unknown_experiment_id_gives_a_clear_error_and_a_counted_drop(mlflow_server: str, tmp_path: Path) -> None:
    code = (
        "import sys, ferrotrace as mlflow\n"
        "mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(experiment_id='987654321')\n"
        "with mlflow.start_span('x'): pass\n"
        "mlflow.flush(); print(mlflow.stats()['dropped_traces'])\n"
    )
    r = run_script(code, {}, cwd=str(tmp_path), argv=[mlflow_server])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "{'rejected': 1}"  # a 404 is final: dropped with its reason
    assert "987654321" in r.stderr  # the server's message names the experiment


def test_a_server_that_is_down_never_blocks_the_app(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import sys, time, ferrotrace as mlflow\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "t0 = time.perf_counter(); mlflow.set_experiment('down'); t1 = time.perf_counter()\n"
        "@mlflow.trace\n"
        "def f(x): return x\n"
        "worst = 0.0\n"
        "for i in range(200):\n"
        "    a = time.perf_counter(); f(i); worst = max(worst, time.perf_counter() - a)\n"
        "print(t1 - t0, worst)\n"
    )
    t0 = time.monotonic()
    r = run_script(code, {"FERROTRACE_EXIT_TIMEOUT": "1"}, cwd=str(tmp_path), argv=[f"http://127.0.0.1:{port}"])
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    set_exp_s, worst_call_s = map(float, r.stdout.split())
    assert set_exp_s < 5.0
    assert worst_call_s < 0.05
    assert elapsed < 30
    assert "set_experiment" in r.stderr


def test_get_trace_reads_from_the_server_and_from_recent_traces(traced: dict[str, Any], mlflow_server: str, tmp_path: Path) -> None:
    import ferrotrace
    from ferrotrace import _native

    # This process never traced it: the trace comes from the server.
    _native.configure(tracking_uri=mlflow_server)
    try:
        t = ferrotrace.get_trace(traced["ok"])
        assert t is not None and t.info.trace_id == traced["ok"]
        assert t.info.state.value == "OK" and t.info.tags["mlflow.traceName"] == "agent_run"
        assert t.info.token_usage == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
        spans = {s.name: s for s in t.data.spans}
        assert spans["call_llm"].span_type == "LLM" and spans["call_llm"].outputs == {"content": "answer"}
        assert spans["call_llm"].parent_id == spans["agent_run"].span_id
        assert {a.name for a in t.info.assessments} >= {"relevance", "expected_answer"}
        assert ferrotrace.get_trace("tr-" + "0" * 31 + "1", silent=True) is None
    finally:
        _native.configure(tracking_uri="", destination="memory")
    # A trace this process just made is found without a server.
    with ferrotrace.start_span("local") as s:
        s.set_inputs({"x": 1})
    t = ferrotrace.get_trace(s.trace_id)
    assert t is not None and t.data.spans[0].inputs == {"x": 1}


def test_search_traces_through_ferrotrace(traced: dict[str, Any], mlflow_server: str) -> None:
    import ferrotrace
    from ferrotrace import _native

    _native.configure(tracking_uri=mlflow_server)
    try:
        found = ferrotrace.search_traces(locations=[traced["exp"]], filter_string="span.type = 'LLM'", return_type="list")
        assert [t.info.trace_id for t in found] == [traced["ok"]]
        assert {s.name for s in found[0].data.spans} >= {"agent_run", "call_llm"}
        everything = ferrotrace.search_traces(experiment_ids=[traced["exp"]], return_type="list", include_spans=False)
        assert {t.info.trace_id for t in everything} == {traced["ok"], traced["err"]}
        assert all(t.data.spans == [] for t in everything)
        assert len(ferrotrace.search_traces(locations=[traced["exp"]], max_results=1, return_type="list")) == 1
        df = ferrotrace.search_traces(locations=[traced["exp"]], filter_string="trace.status = 'ERROR'")
        assert list(df["trace_id"]) == [traced["err"]]
        assert df["trace"][0].info.tags["mlflow.traceName"] == "failing_run"
    finally:
        _native.configure(tracking_uri="", destination="memory")
