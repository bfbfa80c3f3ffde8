"""@trace: names, types, attributes, input binding, outputs, async, exceptions, metadata."""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from typing import Any

import pytest

import ferrotrace
from ferrotrace.entities import SpanType
from conftest import attr, only_trace, spans_by_name


def test_bare_decorator_creates_one_span_named_after_the_function() -> None:
    @ferrotrace.trace
    def greet(name: str) -> str:
        return f"hi {name}"

    assert greet("bob") == "hi bob"
    t = only_trace()
    (span,) = t["data"]["spans"]
    assert span["name"] == "greet"
    assert attr(span, "mlflow.spanType") == "UNKNOWN"
    assert attr(span, "mlflow.spanFunctionName") == "greet"
    assert attr(span, "mlflow.spanInputs") == {"name": "bob"}
    assert attr(span, "mlflow.spanOutputs") == "hi bob"
    assert span["status"]["code"] == "STATUS_CODE_OK"
    assert t["info"]["tags"]["mlflow.traceName"] == "greet"
    assert t["info"]["state"] == "OK"


def test_name_type_and_attributes() -> None:
    @ferrotrace.trace(name="chat", span_type=SpanType.LLM, attributes={"model": "m1", "n": 2})
    def call(prompt: str) -> str:
        return "ok"

    call("p")
    span = only_trace()["data"]["spans"][0]
    assert span["name"] == "chat"
    assert span["attributes"]["mlflow.spanType"] == '"LLM"'
    assert attr(span, "model") == "m1" and attr(span, "n") == 2
    assert attr(span, "mlflow.spanLogLevel") == 20


def test_wrapper_form_on_an_undecorated_function() -> None:
    def plain(a: int, b: int) -> int:
        return a * b

    assert ferrotrace.trace(plain)(3, 4) == 12
    span = only_trace()["data"]["spans"][0]
    assert span["name"] == "plain" and attr(span, "mlflow.spanOutputs") == 12


def test_inputs_bind_parameter_names_apply_defaults_and_collect_varargs() -> None:
    @ferrotrace.trace
    def f(a: Any, b: int = 2, *rest: Any, c: str = "x", **extra: Any) -> None:
        return None

    f(1, 5, 6, 7, c="y", z=9)
    f(1)
    f(a=3)
    spans = only_or_all_spans()
    assert [attr(s, "mlflow.spanInputs") for s in spans] == [
        {"a": 1, "b": 5, "rest": [6, 7], "c": "y", "extra": {"z": 9}},
        {"a": 1, "b": 2, "rest": [], "c": "x", "extra": {}},
        {"a": 3, "b": 2, "rest": [], "c": "x", "extra": {}},
    ]
    assert all(attr(s, "mlflow.spanOutputs") is None for s in spans)


def only_or_all_spans() -> list[dict[str, Any]]:
    from conftest import exported

    return [t["data"]["spans"][0] for t in exported()]


def test_self_and_cls_are_left_out_and_methods_work() -> None:
    class Agent:
        @ferrotrace.trace
        def run(self, q: str) -> str:
            return q.upper()

        @classmethod
        @ferrotrace.trace
        def build(cls, n: int) -> int:
            return n

        @ferrotrace.trace
        @classmethod
        def build2(cls, n: int) -> int:
            return n + 1

        @ferrotrace.trace
        @staticmethod
        def util(x: int) -> int:
            return x * 2

    assert Agent().run("a") == "A"
    assert Agent.build(1) == 1
    assert Agent.build2(1) == 2
    assert Agent.util(4) == 8
    assert Agent().util(5) == 10
    inputs = [attr(s, "mlflow.spanInputs") for s in only_or_all_spans()]
    assert inputs == [{"q": "a"}, {"n": 1}, {"n": 1}, {"x": 4}, {"x": 5}]


def test_explicit_set_outputs_in_the_body_wins() -> None:
    @ferrotrace.trace
    def f() -> str:
        span = ferrotrace.get_current_active_span()
        assert span is not None
        span.set_outputs({"explicit": True})
        return "returned"

    assert f() == "returned"
    assert attr(only_trace()["data"]["spans"][0], "mlflow.spanOutputs") == {"explicit": True}


def test_return_value_and_arguments_are_untouched() -> None:
    payload = {"k": [1, 2]}
    marker = object()

    @ferrotrace.trace
    def echo(x: Any, y: Any) -> Any:
        return x

    assert echo(payload, marker) is payload
    assert payload == {"k": [1, 2]}


def test_nesting_builds_the_tree() -> None:
    @ferrotrace.trace(span_type="RETRIEVER")
    def retrieve(q: str) -> list[str]:
        return ["d1"]

    @ferrotrace.trace(span_type="LLM")
    def llm(q: str, docs: list[str]) -> str:
        return "answer"

    @ferrotrace.trace(span_type="AGENT")
    def agent(q: str) -> str:
        return llm(q, retrieve(q))

    agent("q")
    t = only_trace()
    s = spans_by_name(t)
    assert s["agent"]["parent_span_id"] is None
    assert s["retrieve"]["parent_span_id"] == s["agent"]["span_id"]
    assert s["llm"]["parent_span_id"] == s["agent"]["span_id"]
    assert len({sp["trace_id"] for sp in t["data"]["spans"]}) == 1
    assert t["data"]["spans"][0]["name"] == "agent"  # start order, root first
    assert t["info"]["request_preview"] == '{"q": "q"}'
    assert t["info"]["trace_metadata"]["mlflow.traceInputs"] == '{"q": "q"}'
    assert t["info"]["trace_metadata"]["mlflow.traceOutputs"] == '"answer"'
    assert t["info"]["trace_metadata"]["mlflow.trace_schema.version"] == "3"


async def test_async_functions_and_gather_make_sibling_children() -> None:
    @ferrotrace.trace
    async def work(n: int) -> int:
        await asyncio.sleep(0.01 * n)
        return n * 10

    @ferrotrace.trace(span_type="CHAIN")
    async def fan_out() -> list[int]:
        return list(await asyncio.gather(work(1), work(2), work(3)))

    assert await fan_out() == [10, 20, 30]
    t = only_trace()
    root = spans_by_name(t)["fan_out"]
    children = [s for s in t["data"]["spans"] if s["name"] == "work"]
    assert len(children) == 3
    assert all(c["parent_span_id"] == root["span_id"] for c in children)
    assert sorted(attr(c, "mlflow.spanOutputs") for c in children) == [10, 20, 30]
    # The root covers the awaited work.
    assert root["end_time_unix_nano"] >= max(c["end_time_unix_nano"] for c in children)


def test_exception_is_recorded_and_re_raised_unchanged() -> None:
    err = ValueError("boom 1")

    @ferrotrace.trace
    def failing() -> None:
        raise err

    with pytest.raises(ValueError) as info:
        failing()
    assert info.value is err
    t = only_trace()
    span = t["data"]["spans"][0]
    assert span["status"] == {"code": "STATUS_CODE_ERROR", "message": "ValueError: boom 1"}
    (event,) = span["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.type"] == "ValueError"
    assert event["attributes"]["exception.message"] == "boom 1"
    assert "Traceback" in event["attributes"]["exception.stacktrace"]
    assert attr(span, "mlflow.spanLogLevel") == 40
    assert t["info"]["state"] == "ERROR"


async def test_async_exception_is_recorded_and_re_raised() -> None:
    @ferrotrace.trace
    async def failing() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        await failing()
    assert only_trace()["info"]["state"] == "ERROR"


def test_caught_child_error_leaves_the_trace_ok() -> None:
    @ferrotrace.trace
    def tool() -> None:
        raise RuntimeError("once")

    @ferrotrace.trace
    def agent() -> str:
        try:
            tool()
        except RuntimeError:
            pass
        return "done"

    agent()
    t = only_trace()
    assert t["info"]["state"] == "OK"
    assert spans_by_name(t)["tool"]["status"]["code"] == "STATUS_CODE_ERROR"


def test_wrapper_keeps_name_doc_signature_and_marker() -> None:
    def original(a: int, b: str = "x") -> str:
        """Docs."""
        return b * a

    wrapped = ferrotrace.trace(original)
    assert wrapped.__name__ == "original"
    assert wrapped.__doc__ == "Docs."
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert getattr(wrapped, "__mlflow_traced__") is True
    assert isinstance(wrapped, functools.partial) is False


def test_sampling_ratio_override_is_validated_at_decoration() -> None:
    for bad in (-0.1, 1.5, "x"):
        with pytest.raises(ferrotrace.MlflowException, match="sampling_ratio_override"):
            ferrotrace.trace(sampling_ratio_override=bad)  # type: ignore[arg-type]

    @ferrotrace.trace(sampling_ratio_override=0.0)
    def never() -> int:
        return 1

    assert never() == 1
    from conftest import exported

    assert exported() == []
    assert ferrotrace.stats()["traces_sampled_out"] >= 1


def test_disabled_tracing_calls_straight_through() -> None:
    from ferrotrace import _native

    @ferrotrace.trace
    def f(x: int) -> int:
        return x + 1

    _native.set_enabled(False)
    try:
        assert f(1) == 2
    finally:
        _native.set_enabled(True)
    from conftest import exported

    assert exported() == []


def test_ids_have_mlflow_format() -> None:
    seen: dict[str, str] = {}

    @ferrotrace.trace
    def f() -> None:
        span = ferrotrace.get_current_active_span()
        assert span is not None
        seen["trace"], seen["span"] = span.trace_id, span.span_id
        assert span.parent_id is None

    f()
    assert re.fullmatch(r"tr-[0-9a-f]{32}", seen["trace"])
    assert re.fullmatch(r"[0-9a-f]{16}", seen["span"])
    assert only_trace()["info"]["trace_id"] == seen["trace"]
