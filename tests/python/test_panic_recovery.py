"""A panic inside the tracer (a bug, or a case nobody foresaw) never reaches the caller: the
function runs once and returns or raises its own value, the span state is restored (no root left
active, so later traces are still roots and recorded), and the failure is a rate-limited
warning plus `internal_errors` in stats(). Panics are injected at named points of the binding."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import pytest

import ferrotrace
from conftest import attr, exported
from ferrotrace import _native

CAPS_FAILED = "[Unrepresentable: capture failed]"


def internal_errors() -> int:
    n: int = ferrotrace.stats()["internal_errors"]
    return n


@pytest.fixture(autouse=True)
def no_leftover_injection() -> Iterator[None]:
    yield
    for point in ("start", "end", "capture"):
        _native._inject_panic(point, 0)


def test_a_panic_while_starting_runs_the_call_untraced() -> None:
    ran = []

    @ferrotrace.trace
    def f(x: int) -> int:
        ran.append(x)
        return x + 1

    before = internal_errors()
    _native._inject_panic("start", 1)
    assert f(1) == 2
    assert f(2) == 3
    assert ran == [1, 2]
    assert internal_errors() == before + 1
    assert any("internal error in starting" in w for w in _native.recent_warnings())
    (trace,) = exported()  # the second call only
    assert attr(trace["data"]["spans"][0], "mlflow.spanInputs") == {"x": 2}


@pytest.mark.parametrize("raises", [False, True])
def test_a_panic_while_ending_a_root_leaves_no_span_active(raises: bool) -> None:
    err = KeyError("mine")

    @ferrotrace.trace
    def f() -> str:
        if raises:
            raise err
        return "value"

    @ferrotrace.trace
    def g() -> int:
        return 7

    before = internal_errors()
    _native._inject_panic("end", 1)
    if raises:
        with pytest.raises(KeyError) as caught:
            f()
        assert caught.value is err
    else:
        assert f() == "value"
    assert ferrotrace.get_current_active_span() is None
    assert g() == 7
    assert internal_errors() == before + 1
    traces = exported()
    assert [[s["name"] for s in t["data"]["spans"]] for t in traces] == [["f"], ["g"]]
    assert attr(traces[1]["data"]["spans"][0], "mlflow.spanOutputs") == 7
    assert ferrotrace.get_last_active_trace_id() == traces[1]["info"]["trace_id"]


def test_a_panic_while_ending_a_child_restores_its_parent() -> None:
    @ferrotrace.trace
    def child() -> int:
        return 1

    @ferrotrace.trace
    def parent() -> Any:
        _native._inject_panic("end", 1)
        out = child()
        active = ferrotrace.get_current_active_span()
        return out, active.name if active else None

    assert parent() == (1, "parent")
    (trace,) = exported()
    spans = {s["name"]: s for s in trace["data"]["spans"]}
    assert spans["child"]["parent_span_id"] == spans["parent"]["span_id"]
    assert attr(spans["parent"], "mlflow.spanOutputs") == [1, "parent"]


def test_a_panic_while_capturing_a_value_leaves_a_marker() -> None:
    @ferrotrace.trace
    def f(x: Any) -> Any:
        return x

    before = internal_errors()
    _native._inject_panic("capture", 1)
    value = {"a": 1}
    assert f(value) is value
    (trace,) = exported()
    span = trace["data"]["spans"][0]
    assert json.loads(span["attributes"]["mlflow.spanInputs"]) == CAPS_FAILED
    assert attr(span, "mlflow.spanOutputs") == {"a": 1}
    assert internal_errors() == before + 1


def test_the_python_paths_recover_as_well() -> None:
    @ferrotrace.trace
    async def f() -> str:
        return "async"

    @ferrotrace.trace
    def g() -> int:
        return 7

    _native._inject_panic("start", 1)
    assert asyncio.run(f()) == "async"
    _native._inject_panic("end", 1)
    assert asyncio.run(f()) == "async"
    with ferrotrace.tracing.context(metadata={"k": "v"}):  # the Python path of a sync call
        _native._inject_panic("end", 1)
        assert g() == 7
    assert ferrotrace.get_current_active_span() is None
    assert g() == 7
    traces = exported()
    assert [[s["name"] for s in t["data"]["spans"]] for t in traces] == [["f"], ["g"], ["g"]]
