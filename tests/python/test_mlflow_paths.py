"""MLflow's module paths resolve to ferrotrace's objects, its constants hold MLflow's values (compared
with the installed MLflow), its exceptions behave as MLflow's, and the trace entities have MLflow's
methods (to_json / from_json, search_spans, search_assessments, TraceInfo's derived fields)."""

from __future__ import annotations

import importlib
import json
import logging
import re
from typing import Any

import pytest

import ferrotrace
from ferrotrace import entities
from ferrotrace.exceptions import MlflowException, RestException
from conftest import exported, only_trace

PATHS = {
    "entities.span": ["Span", "LiveSpan", "NoOpSpan", "SpanType", "SpanAttributeKey", "NO_OP_SPAN_TRACE_ID"],
    "entities.trace": ["Trace"],
    "entities.trace_info": ["TraceInfo"],
    "entities.trace_data": ["TraceData"],
    "entities.span_event": ["SpanEvent"],
    "entities.span_status": ["SpanStatus", "SpanStatusCode"],
    "entities.assessment": ["Assessment", "Feedback", "Expectation", "AssessmentError"],
    "entities.assessment_source": ["AssessmentSource", "AssessmentSourceType"],
    "entities.trace_location": ["TraceLocation", "TraceLocationType", "MlflowExperimentLocation"],
    "entities.trace_state": ["TraceState"],
    "tracing.distributed": ["get_tracing_context_headers_for_http_request", "set_tracing_context_from_http_request_headers"],
    "tracing.constant": ["SpanAttributeKey", "TraceMetadataKey", "TraceTagKey", "TokenUsageKey", "AssessmentMetadataKey"],
    "tracing.fluent": ["trace", "start_span", "get_trace", "search_traces", "add_trace", "log_trace", "search_sessions"],
    "tracing.utils": ["set_span_chat_tools", "encode_span_id", "TraceJSONEncoder"],
    "tracing.provider": ["enable", "disable", "reset", "is_tracing_enabled", "trace_disabled", "set_destination"],
    "exceptions": ["MlflowException", "RestException", "MlflowTracingException"],
    "client": ["MlflowClient"],
    "tracking": ["MlflowClient", "get_tracking_uri", "set_tracking_uri"],
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_mlflows_module_paths_resolve(path: str) -> None:
    module = importlib.import_module(f"ferrotrace.{path}")
    for name in PATHS[path]:
        assert getattr(module, name) is not None, (path, name)
    # Reachable as attributes too, as after `import mlflow`.
    obj: Any = ferrotrace
    for part in path.split("."):
        obj = getattr(obj, part)
    assert obj is module


def test_constants_hold_mlflows_values() -> None:
    theirs = pytest.importorskip("mlflow.tracing.constant")
    ours = importlib.import_module("ferrotrace.tracing.constant")
    for cls in ("SpanAttributeKey", "TraceMetadataKey", "TraceTagKey", "TokenUsageKey", "CostKey"):
        mine = {k: v for k, v in vars(getattr(ours, cls)).items() if k.isupper()}
        them = {k: v for k, v in vars(getattr(theirs, cls)).items() if k.isupper()}
        assert mine == them, cls


def test_the_same_public_tracing_names_as_mlflow() -> None:
    theirs = pytest.importorskip("mlflow.tracing")
    missing = [n for n in theirs.__all__ if not hasattr(ferrotrace.tracing, n)]
    assert missing == []


def test_mlflow_exception_is_the_base_of_every_error() -> None:
    assert issubclass(ferrotrace.TracingError, MlflowException) and issubclass(ferrotrace.ConfigError, MlflowException)
    assert ferrotrace.MlflowException is MlflowException
    e = MlflowException.invalid_parameter_value("bad")
    assert (e.error_code, e.get_http_status_code(), e.message) == ("INVALID_PARAMETER_VALUE", 400, "bad")
    assert MlflowException("x", error_code="NOT_A_CODE").error_code == "INTERNAL_ERROR"
    assert json.loads(MlflowException("m", error_code="RESOURCE_DOES_NOT_EXIST").serialize_as_json()) == {
        "error_code": "RESOURCE_DOES_NOT_EXIST", "message": "m"}
    r = RestException({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "taken"})
    assert str(r) == "RESOURCE_ALREADY_EXISTS: taken" and r.get_http_status_code() == 400
    # Native errors are caught as MlflowException, as MLflow raises them.
    with ferrotrace.start_span("s") as span:
        with pytest.raises(MlflowException):
            span.set_status("MAYBE")
    with pytest.raises(MlflowException) as info:
        ferrotrace.set_experiment()
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def _trace() -> Any:
    @ferrotrace.trace(span_type="CHAIN")
    def outer(q: str) -> str:
        with ferrotrace.start_span("retrieve", span_type="RETRIEVER") as s:
            s.set_inputs({"q": q})
            s.set_outputs(["doc"])
            s.set_attribute("mlflow.llm.cost", {"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3})
            s.set_attribute("mlflow.llm.model", "m-1")
            assert s.llm_cost == {"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3}
            assert s.model_name == "m-1"
            frozen = s.to_immutable_span()
            assert frozen.name == "retrieve" and frozen.inputs == {"q": q} and frozen.trace_id == s.trace_id
        with ferrotrace.start_span("retrieve_again", span_type="RETRIEVER"):
            pass
        return "answer"

    outer("q1")
    exported()
    trace = ferrotrace.get_trace(ferrotrace.get_last_active_trace_id())
    assert trace is not None
    return trace


def test_trace_entity_methods() -> None:
    trace = _trace()
    root = trace.data.spans[0]
    assert [s.name for s in trace.search_spans(span_type="RETRIEVER")] == ["retrieve", "retrieve_again"]
    assert [s.name for s in trace.search_spans(name=re.compile("again"))] == ["retrieve_again"]
    assert trace.search_spans(span_id=root.span_id) == [root]
    with pytest.raises(MlflowException):
        trace.search_spans(name=3)
    again = entities.Trace.from_json(trace.to_json())
    assert again.to_dict() == trace.to_dict()
    assert json.loads(trace.to_json(pretty=True)) == trace.to_dict()
    assert entities.Trace.from_dict(trace.to_dict()).info.trace_id == trace.info.trace_id
    with pytest.raises(MlflowException):
        entities.Trace.from_dict({"info": {}})
    span = entities.Span.from_dict(root.to_dict())
    assert span.trace_id == trace.info.trace_id and span.name == root.name

    info = trace.info
    assert info.timestamp_ms == info.request_time and info.execution_time_ms == info.execution_duration
    assert info.status == entities.TraceStatus.OK and str(info.state) == "OK"
    assert info.trace_location.type == entities.TraceLocationType.MLFLOW_EXPERIMENT
    assert info.cost == {"input_cost": 0.1, "output_cost": 0.2, "total_cost": 0.3}
    assert entities.TraceInfo.from_dict(info.to_dict()).to_dict() == info.to_dict()
    info.tags["added"] = "1"
    assert trace.to_dict()["info"]["tags"]["added"] == "1"

    data = trace.data
    assert data.request == '{"q": "q1"}' and data.response == '"answer"'
    assert data.to_dict() == {"spans": [s.to_dict() for s in data.spans]}
    with pytest.warns(FutureWarning):
        assert data.intermediate_outputs == {"retrieve": ["doc"]}


def test_search_assessments_filters_like_mlflow() -> None:
    fb_old = entities.Feedback(name="q", value=1)
    fb_old.valid = False
    fb_new = entities.Feedback(name="q", value=2)
    exp = entities.Expectation(name="gt", value="x")
    info = entities.TraceInfo(trace_id="tr-1", state="OK", assessments=[fb_old, fb_new, exp])
    trace = entities.Trace(info, entities.TraceData([]))
    assert trace.search_assessments("q") == [fb_new]
    assert trace.search_assessments("q", all=True) == [fb_old, fb_new]
    assert trace.search_assessments(type="expectation") == [exp]
    assert trace.search_assessments(type="feedback") == [fb_new]


def test_ok_status_with_a_description_drops_it_with_a_warning(capfd: pytest.CaptureFixture[str]) -> None:
    with ferrotrace.start_span("s") as span:
        span.set_status(entities.SpanStatus("OK", "all good"))
    status = only_trace()["data"]["spans"][0]["status"]
    assert status.get("message", "") == ""
    assert "description" in capfd.readouterr().err


def test_log_trace_and_add_trace() -> None:
    trace_id = ferrotrace.log_trace(name="qa", request="q?", response="a", intermediate_outputs={"docs": ["d"]}, tags={"t": "1"})
    logged = only_trace()
    assert logged["info"]["trace_id"] == trace_id and logged["info"]["tags"]["t"] == "1"
    remote = ferrotrace.get_trace(trace_id)
    assert remote is not None

    with ferrotrace.start_span("local") as span:
        ferrotrace.add_trace(remote.to_dict())
    merged = exported()[-1]
    names = {s["name"] for s in merged["data"]["spans"]}
    assert names == {"local", "qa"}
    with pytest.raises(MlflowException):
        ferrotrace.add_trace({"info": {}})


def test_set_span_chat_tools() -> None:
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    with ferrotrace.start_span("chat", span_type="CHAT_MODEL") as span:
        ferrotrace.tracing.set_span_chat_tools(span, tools)
        with pytest.raises(MlflowException):
            ferrotrace.tracing.set_span_chat_tools(span, "not a list")  # type: ignore[arg-type]
    assert json.loads(only_trace()["data"]["spans"][0]["attributes"]["mlflow.chat.tools"]) == tools


def test_databricks_only_functions_raise_clearly() -> None:
    for name in ("set_databricks_monitoring_sql_warehouse_id", "set_experiment_trace_location", "unset_experiment_trace_location"):
        with pytest.raises(MlflowException, match="Databricks"):
            getattr(ferrotrace.tracing, name)("x")
    ferrotrace.tracing.disable_notebook_display()
    ferrotrace.tracing.enable_notebook_display()
