"""@trace on sync functions through the native callable (opt-in, FERROTRACE_NATIVE_WRAPPER=1, in a
version-specific build):
the exception the caller sees is the one raised, with its traceback; the active span and the
last root are restored and recorded; methods, recursion, scopes and processors work."""

from __future__ import annotations

import inspect
import sys
import traceback
from typing import Any

import pytest

import ferrotrace
from ferrotrace import _context, _fluent, _native, tracing
from ferrotrace._native import LiveSpan
from conftest import attr, exported, only_trace, spans_by_name


@pytest.fixture(autouse=True)
def native_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    """This file tests the opt-in native callable (FERROTRACE_NATIVE_WRAPPER=1)."""
    monkeypatch.setattr(_fluent, "NATIVE_WRAPPER", True)


# An abi3 build has no native callable: @trace keeps its Python wrapper function there.
NATIVE = hasattr(_native, "TracedFunction")
# The Python wrapper's own frames, which an abi3 build shows in tracebacks.
PYTHON_WRAPPER_FRAMES = {"sync_wrapper", "_call_traced"}


@pytest.mark.skipif(_native.__file__.endswith(".abi3.so"), reason="an abi3 build keeps the Python wrapper")
def test_the_opt_in_returns_the_native_callable() -> None:
    assert hasattr(_native, "TracedFunction") and _fluent._TracedFunction is not None

    @ferrotrace.trace
    def f(x: int) -> int:
        return x

    assert type(f) is _native.TracedFunction
    assert f.__name__ == "f" and f.__wrapped__ is not None  # type: ignore[attr-defined]


def raise_it(err: BaseException) -> None:
    raise err


def test_the_same_exception_object_and_traceback_reach_the_caller() -> None:
    err = KeyError("the one")

    @ferrotrace.trace
    def inner() -> None:
        raise_it(err)

    @ferrotrace.trace
    def outer() -> None:
        inner()

    with pytest.raises(KeyError) as info:
        outer()
    assert info.value is err
    assert info.value.__context__ is None and info.value.__cause__ is None
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    if not NATIVE:
        names = [n for n in names if n not in PYTHON_WRAPPER_FRAMES]
    # The caller's frame, both functions and the helper, in call order: no wrapper frames.
    assert names == ["test_the_same_exception_object_and_traceback_reach_the_caller", "outer", "inner", "raise_it"]
    spans = spans_by_name(only_trace())
    for name in ("outer", "inner"):
        (event,) = spans[name]["events"]
        assert event["attributes"]["exception.type"] == "KeyError"
        # The recorded stack reaches the line that raised.
        assert "raise_it" in event["attributes"]["exception.stacktrace"]
        assert spans[name]["status"]["code"] == "STATUS_CODE_ERROR"
    assert _context.active() is None


def test_base_exceptions_pass_through_and_the_active_span_is_restored() -> None:
    @ferrotrace.trace
    def stop() -> None:
        raise SystemExit(3)

    with ferrotrace.start_span("outer") as outer:
        with pytest.raises(SystemExit) as info:
            stop()
        assert info.value.code == 3
        assert ferrotrace.get_current_active_span() is outer
    assert _context.active() is None
    spans = spans_by_name(only_trace())
    assert spans["stop"]["parent_span_id"] == spans["outer"]["span_id"]
    assert spans["stop"]["events"][0]["attributes"]["exception.type"] == "SystemExit"


def test_methods_classmethods_and_staticmethods() -> None:
    class Tool:
        def __init__(self, k: int) -> None:
            self.k = k

        @ferrotrace.trace
        def run(self, x: int, *, scale: int = 2) -> int:
            return x * scale + self.k

        @ferrotrace.trace
        @classmethod
        def make(cls, k: int) -> "Tool":
            return cls(k)

        @ferrotrace.trace
        @staticmethod
        def double(x: int) -> int:
            return 2 * x

    tool = Tool.make(1)
    assert isinstance(tool, Tool)
    assert tool.run(3) == 7 and tool.run(3, scale=3) == 10
    assert Tool.double(4) == 8 and tool.double(5) == 10
    assert Tool.run(tool, 1) == 3  # unbound call through the class
    inputs = [(t["data"]["spans"][0]["name"], attr(t["data"]["spans"][0], "mlflow.spanInputs")) for t in exported()]
    assert inputs == [
        ("make", {"k": 1}),
        ("run", {"x": 3, "scale": 2}),
        ("run", {"x": 3, "scale": 3}),
        ("double", {"x": 4}),
        ("double", {"x": 5}),
        ("run", {"x": 1, "scale": 2}),
    ]


def test_recursion_nests_one_span_per_call_and_records_the_last_root() -> None:
    @ferrotrace.trace
    def fact(n: int) -> int:
        return 1 if n <= 1 else n * fact(n - 1)

    assert fact(5) == 120
    t = only_trace()
    spans = t["data"]["spans"]
    assert [attr(s, "mlflow.spanInputs") for s in spans] == [{"n": n} for n in (5, 4, 3, 2, 1)]
    assert [attr(s, "mlflow.spanOutputs") for s in spans] == [120, 24, 6, 2, 1]
    for parent, child in zip(spans, spans[1:]):
        assert child["parent_span_id"] == parent["span_id"]
    assert ferrotrace.get_last_active_trace_id(thread_local=True) == t["info"]["trace_id"]
    assert _context.active() is None


def test_deep_recursion_error_is_raised_unchanged() -> None:
    @ferrotrace.trace
    def down(n: int) -> int:
        return down(n + 1)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)  # a shallow limit: each span formats the stack
    try:
        with pytest.raises(RecursionError):
            down(0)
    finally:
        sys.setrecursionlimit(limit)
    assert _context.active() is None
    # Every span that started ended: the trace is complete.
    assert ferrotrace.flush(10)
    assert ferrotrace.stats()["traces_pending"] == 0


def test_scope_and_processors_take_the_python_path_and_still_trace() -> None:
    seen: list[str] = []

    def processor(span: LiveSpan) -> None:
        seen.append(span.name)

    @ferrotrace.trace
    def work(x: int) -> int:
        return x + 1

    @ferrotrace.trace
    def failing() -> None:
        raise ValueError("in scope")

    with tracing.context(tags={"env": "scoped"}):
        assert work(1) == 2
        with pytest.raises(ValueError, match="in scope"):
            failing()
    with tracing.configure(span_processors=[processor]):
        assert work(2) == 3
    assert work(3) == 4
    assert seen == ["work"]
    traces = exported()
    assert [t["info"]["tags"].get("env") for t in traces] == ["scoped", "scoped", None, None]
    assert [attr(t["data"]["spans"][0], "mlflow.spanOutputs") for t in traces] == [2, None, 3, 4]
    assert traces[1]["info"]["state"] == "ERROR"
    assert _context.active() is None


def test_unsampled_calls_run_and_their_children_follow_the_decision() -> None:
    @ferrotrace.trace
    def child(x: int) -> int:
        return x

    @ferrotrace.trace(sampling_ratio_override=0.0)
    def parent(x: int) -> int:
        span = ferrotrace.get_current_active_span()
        assert span is not None and not span._sampled
        return child(x) + 1

    @ferrotrace.trace
    def kept() -> None:
        pass

    kept()
    kept_id = ferrotrace.get_last_active_trace_id(thread_local=True)
    assert kept_id is not None
    assert parent(1) == 2
    # A sampled-out trace is not "last active", here as in the process-wide id.
    assert ferrotrace.get_last_active_trace_id(thread_local=True) == kept_id
    assert ferrotrace.flush(10)
    assert ferrotrace.get_last_active_trace_id() == kept_id
    assert [t["info"]["trace_id"] for t in exported()] == [kept_id]
    assert ferrotrace.stats()["traces_sampled_out"] >= 1


def test_a_traced_function_that_replaces_the_active_span_does_not_leak_it() -> None:
    @ferrotrace.trace
    def rogue() -> None:
        _context.CURRENT.set(None)  # an unbalanced set inside the call

    rogue()
    assert _context.active() is None
    t = only_trace()
    assert t["data"]["spans"][0]["name"] == "rogue"
    assert ferrotrace.get_last_active_trace_id(thread_local=True) == t["info"]["trace_id"]


@pytest.mark.skipif(not NATIVE, reason="an abi3 build keeps the Python wrapper function")
def test_the_traced_function_runs_right_under_its_caller() -> None:
    frames: list[str] = []

    @ferrotrace.trace
    def where() -> None:
        frames.extend(f.function for f in inspect.stack()[:3])

    where()
    # No wrapper frame between the function and its caller.
    assert frames[:2] == ["where", "test_the_traced_function_runs_right_under_its_caller"]
