"""ferrotrace.tracing: enable/disable/reset, context scopes, span processors, destinations,
distributed-tracing headers; and start_span_no_context."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import ferrotrace
from ferrotrace import tracing
from ferrotrace.entities import LiveSpan, NoOpSpan
from conftest import attr, exported, only_trace, spans_by_name


@ferrotrace.trace
def work(x: int) -> int:
    return x + 1


def test_disable_enable_reset() -> None:
    tracing.disable()
    try:
        assert work(1) == 2
        with ferrotrace.start_span("s") as s:
            assert isinstance(s, NoOpSpan)
    finally:
        tracing.enable()
    assert exported() == []
    tracing.disable()
    tracing.reset()
    work(1)
    assert len(exported()) == 1


def test_context_injects_metadata_and_tags_into_traces_started_inside_and_nests() -> None:
    with tracing.context(metadata={"team": "a"}, tags={"env": "dev"}, session_id="s1", user="u1"):
        with ferrotrace.context(tags={"env": "prod", "extra": 1}):
            work(1)
        work(2)
    work(3)
    infos = [t["info"] for t in exported()]
    assert infos[0]["tags"]["env"] == "prod" and infos[0]["tags"]["extra"] == "1"
    assert infos[0]["trace_metadata"]["team"] == "a"
    assert infos[0]["trace_metadata"]["mlflow.trace.session"] == "s1"
    assert infos[1]["tags"]["env"] == "dev" and "extra" not in infos[1]["tags"]
    assert infos[1]["trace_metadata"]["mlflow.trace.user"] == "u1"
    assert "env" not in infos[2]["tags"] and "team" not in infos[2]["trace_metadata"]


def test_context_enabled_false_turns_tracing_off_only_inside() -> None:
    with tracing.context(enabled=False):
        assert work(1) == 2
        with ferrotrace.start_span("x") as s:
            assert isinstance(s, NoOpSpan)
    work(2)
    assert [attr(t["data"]["spans"][0], "mlflow.spanInputs") for t in exported()] == [{"x": 2}]


def test_span_processors_run_in_order_can_redact_and_never_break_the_call(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def redact(span: LiveSpan) -> None:
        calls.append("redact:" + span.name)
        if span.inputs and "password" in span.inputs:
            span.set_inputs({**span.inputs, "password": "[REDACTED]"})

    def second(span: LiveSpan) -> None:
        calls.append("second:" + str(span.outputs) + ":" + span.status.status_code.value)
        span.set_attribute("checked", True)

    def broken(span: LiveSpan) -> None:
        raise RuntimeError("processor bug")

    def returns(span: LiveSpan) -> int:
        return 1

    @ferrotrace.trace
    def login(user: str, password: str) -> str:
        return "ok"

    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        with tracing.configure(span_processors=[redact, second, broken, returns]):
            assert login("bob", "hunter2") == "ok"
    login("amy", "pw2")  # reverted: no processors
    traces = exported()
    first = traces[0]["data"]["spans"][0]
    assert attr(first, "mlflow.spanInputs") == {"user": "bob", "password": "[REDACTED]"}
    assert attr(first, "checked") is True
    assert calls == ["redact:login", "second:ok:OK"]
    assert "processor bug" in caplog.text and "returned a value" in caplog.text
    # Without the processor, the built-in secret rule (on by default) redacts it on the worker.
    assert attr(traces[1]["data"]["spans"][0], "mlflow.spanInputs")["password"] == "[REDACTED:secret_key]"
    assert "hunter2" not in str(traces)


def test_configure_as_a_call_persists_and_validates() -> None:
    def tag(span: LiveSpan) -> None:
        span.set_attribute("seen", 1)

    tracing.configure(span_processors=[tag])
    try:
        with ferrotrace.start_span("s"):
            pass
    finally:
        tracing.reset()
    assert attr(only_trace()["data"]["spans"][0], "seen") == 1
    with pytest.raises(ferrotrace.MlflowException):
        tracing.configure(span_processors=["not callable"])  # type: ignore[list-item]
    with pytest.raises(ferrotrace.MlflowException):
        tracing.configure(span_processors=[lambda a, b: None])


def test_start_span_no_context_with_explicit_parent_inputs_tags_and_metadata() -> None:
    root = ferrotrace.start_span_no_context("job", span_type="CHAIN", inputs={"n": 2}, tags={"k": "v"}, metadata={"m": "1"})
    assert ferrotrace.get_current_active_span() is None
    child = ferrotrace.start_span_no_context("step", parent_span=root, attributes={"a": 1})
    assert child.parent_id == root.span_id and child.trace_id == root.trace_id
    child.end(outputs={"ok": True}, attributes={"b": 2}, status="OK")
    root.end(outputs=4)
    t = only_trace()
    s = spans_by_name(t)
    assert attr(s["job"], "mlflow.spanInputs") == {"n": 2} and attr(s["job"], "mlflow.spanOutputs") == 4
    assert attr(s["step"], "mlflow.spanOutputs") == {"ok": True} and attr(s["step"], "b") == 2
    assert t["info"]["tags"]["k"] == "v" and t["info"]["trace_metadata"]["m"] == "1"
    assert isinstance(ferrotrace.start_span_no_context("x", parent_span=NoOpSpan()), NoOpSpan)  # type: ignore[arg-type]


def test_distributed_headers_continue_the_trace_in_another_service() -> None:
    with ferrotrace.start_span("client") as client:
        headers = tracing.get_tracing_context_headers_for_http_request()
    assert headers["traceparent"] == f"00-{client.trace_id[3:]}-{client.span_id}-01"
    # The "server": same process here, a fresh context as a request handler would have.
    with tracing.set_tracing_context_from_http_request_headers({"Traceparent": headers["traceparent"]}):
        work(1)
    traces = exported()
    ids = {t["info"]["trace_id"] for t in traces}
    assert ids == {client.trace_id}
    server_span = [t for t in traces if t["data"]["spans"][0]["name"] == "work"][0]["data"]["spans"][0]
    import base64

    assert base64.b64decode(server_span["parent_span_id"]).hex() == client.span_id


def test_distributed_helpers_without_context() -> None:
    assert tracing.get_tracing_context_headers_for_http_request() == {}
    with pytest.raises(ferrotrace.MlflowException):
        with tracing.set_tracing_context_from_http_request_headers({"other": "x"}):
            pass


def test_set_destination_sets_the_experiment() -> None:
    from ferrotrace import _native

    tracing.set_destination(tracing.MlflowExperimentLocation("42"))
    try:
        assert _native.config()["experiment_id"] == "42"
    finally:
        _native.configure(experiment_id="0")
