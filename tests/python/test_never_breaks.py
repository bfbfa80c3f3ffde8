"""Checklist item 45: an internal tracing failure never breaks the user's call. Each case makes a
part of the tracer fail and asserts the user's code ran once, with its return value or exception
unchanged, and that span APIs handed back a NoOpSpan where they could not trace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import ferrotrace
from conftest import exported
from ferrotrace import _context, _native
from ferrotrace.entities import NoOpSpan


class Hostile:
    """A value whose every conversion raises."""

    def __repr__(self) -> str:
        raise RuntimeError("repr failed")

    def __str__(self) -> str:
        raise RuntimeError("str failed")

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"getattr {name} failed")


def test_native_start_failing_gives_noop_spans_and_the_block_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("native start failed")

    monkeypatch.setattr(_native, "start_span", broken)
    ran = []
    with ferrotrace.start_span("block") as span:
        ran.append(1)
        assert isinstance(span, NoOpSpan)
        span.set_inputs({"a": 1})  # a NoOpSpan takes every call
        span.set_attribute("k", "v")
    assert isinstance(ferrotrace.start_span_no_context("detached"), NoOpSpan)
    with pytest.raises(KeyError, match="mine"):
        with ferrotrace.start_span("raising"):
            raise KeyError("mine")
    assert ran == [1]


def test_a_corrupt_active_span_leaves_traced_functions_untraced_but_working() -> None:
    calls = []

    @ferrotrace.trace
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    @ferrotrace.trace
    def fail() -> None:
        raise ValueError("user error")

    @ferrotrace.trace
    async def aadd(a: int) -> int:
        return a + 1

    token = _context.CURRENT.set(object())  # type: ignore[arg-type]
    try:
        assert add(1, 2) == 3
        with pytest.raises(ValueError, match="user error"):
            fail()
        assert asyncio.run(aadd(1)) == 2
    finally:
        _context.CURRENT.reset(token)
    assert calls == [(1, 2)]


def test_values_that_refuse_every_conversion_are_captured_as_placeholders() -> None:
    hostile = Hostile()

    @ferrotrace.trace
    def echo(x: Any) -> Any:
        return x

    assert echo(hostile) is hostile
    (trace,) = exported()
    (span,) = trace["data"]["spans"]
    assert "Hostile" in span["attributes"]["mlflow.spanInputs"]
    assert "Hostile" in span["attributes"]["mlflow.spanOutputs"]


def test_span_methods_with_hostile_values_never_raise() -> None:
    hostile = Hostile()
    with ferrotrace.start_span("s") as span:
        span.set_inputs(hostile)
        span.set_outputs({"k": hostile, "cycle": [hostile]})
        span.set_attribute("a", hostile)
        span.set_attributes({"b": hostile})
        ferrotrace.update_current_trace(tags={"t": "v"}, metadata={"m": "1"})
    (trace,) = exported()
    assert trace["data"]["spans"][0]["name"] == "s"


def test_update_current_trace_without_a_span_warns_and_returns(caplog: pytest.LogCaptureFixture) -> None:
    ferrotrace.update_current_trace(tags={"t": "v"})
    assert any("active" in r.getMessage() for r in caplog.records)
