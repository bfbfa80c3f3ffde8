"""What ``@trace`` returns for a sync function in the default (version-specific) build: a native
callable that stands in for the function as users see it (attributes, signature, method binding,
repr, pickling, tracebacks), and its span-less path when no trace can be sampled."""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import inspect
import json
import pickle
import re
import traceback
import types
import weakref
from pathlib import Path

import pytest

import ferrotrace
from ferrotrace import _fluent, _native, tracing
from conftest import attr, exported, only_trace, run_script, spans_by_name

pytestmark = pytest.mark.skipif(
    not hasattr(_native, "TracedFunction"), reason="an abi3 build keeps the Python wrapper"
)


# This file tests the opt-in native callable (FERROTRACE_NATIVE_WRAPPER=1); by default @trace
# returns a Python function (test_traced_is_a_function.py).
_DEFAULT_WRAPPER = _fluent.NATIVE_WRAPPER
_fluent.NATIVE_WRAPPER = True


@pytest.fixture(autouse=True)
def native_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fluent, "NATIVE_WRAPPER", True)


@ferrotrace.trace
def module_level(x: int) -> int:
    """Pickled by reference."""
    return x * 2


_fluent.NATIVE_WRAPPER = _DEFAULT_WRAPPER


def test_the_function_attributes_signature_and_dict_are_copied() -> None:
    def original(a: int, *, b: str = "x") -> str:
        """Docs."""
        return b * a

    original.custom = 7  # type: ignore[attr-defined]
    wrapped = ferrotrace.trace(original)
    kind = type(wrapped)  # (not isinstance: that would narrow the type checker's view)
    assert issubclass(kind, _native.TracedFunction) and callable(wrapped)
    assert wrapped.__name__ == "original"
    assert wrapped.__qualname__ == original.__qualname__
    assert wrapped.__doc__ == "Docs."
    assert wrapped.__module__ == __name__
    assert wrapped.__annotations__ == original.__annotations__
    assert wrapped.__wrapped__ is original  # type: ignore[attr-defined]
    assert inspect.unwrap(wrapped) is original
    assert wrapped.custom == 7  # type: ignore[attr-defined]
    assert wrapped.__mlflow_traced__ is True  # type: ignore[attr-defined]
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert weakref.ref(wrapped)() is wrapped
    assert wrapped(2, b="y") == "yy"


def test_a_local_recursive_function_is_collected() -> None:
    def make() -> tuple[weakref.ref[object], weakref.ref[object]]:
        @ferrotrace.trace
        def fact(n: int) -> int:
            return 1 if n <= 1 else n * fact(n - 1)  # a cycle: fact -> function -> closure -> fact

        assert fact(3) == 6
        return weakref.ref(fact), weakref.ref(fact.__wrapped__)  # type: ignore[attr-defined]

    traced, function = make()
    gc.collect()
    assert traced() is None and function() is None


def test_repr_reads_like_a_function() -> None:
    @ferrotrace.trace
    def shown() -> None:
        pass

    assert re.fullmatch(r"<function test_repr_reads_like_a_function\.<locals>\.shown at 0x[0-9a-f]+>", repr(shown))


def test_a_module_level_function_pickles_and_copies_as_itself() -> None:
    assert pickle.loads(pickle.dumps(module_level)) is module_level
    assert copy.copy(module_level) is module_level and copy.deepcopy(module_level) is module_level
    assert module_level(3) == 6
    assert attr(only_trace()["data"]["spans"][0], "mlflow.spanInputs") == {"x": 3}

    @ferrotrace.trace
    def local() -> None:
        pass

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(local)


def test_it_binds_as_a_method() -> None:
    class Tool:
        @ferrotrace.trace
        def run(self, x: int) -> int:
            return x + 1

    tool = Tool()
    bound = tool.run
    assert isinstance(bound, types.MethodType)
    assert bound.__self__ is tool and bound.__func__ is Tool.__dict__["run"]
    assert Tool.run is Tool.__dict__["run"]
    assert list(inspect.signature(bound).parameters) == ["x"]
    assert bound(1) == 2 and Tool.run(tool, 2) == 3
    assert [attr(t["data"]["spans"][0], "mlflow.spanInputs") for t in exported()] == [{"x": 1}, {"x": 2}]


def test_it_stacks_with_other_decorators() -> None:
    class Box:
        def __init__(self) -> None:
            self.v = 5

        @property
        @ferrotrace.trace
        def value(self) -> int:
            return self.v

    def logged(fn: types.FunctionType) -> object:
        @functools.wraps(fn)
        def inner(*args: object) -> object:
            return fn(*args)

        return inner

    @ferrotrace.trace(name="outer")
    @ferrotrace.trace(name="inner")
    def twice(x: int) -> int:
        return x

    wrapped = logged(twice)  # type: ignore[arg-type]
    assert Box().value == 5
    assert wrapped(4) == 4  # type: ignore[operator]
    assert inspect.signature(wrapped) == inspect.signature(twice)  # type: ignore[arg-type]
    traces = exported()
    assert [t["data"]["spans"][0]["name"] for t in traces] == ["value", "outer"]
    assert [s["name"] for s in traces[1]["data"]["spans"]] == ["outer", "inner"]
    assert attr(traces[1]["data"]["spans"][0], "mlflow.spanInputs") == {"x": 4}


def fail(msg: str) -> None:
    raise LookupError(msg)


def test_the_traceback_shows_the_function_on_both_paths() -> None:
    @ferrotrace.trace
    def broken() -> None:
        fail("no")

    for scope in (False, True):
        with tracing.context(tags={"t": "1"}) if scope else contextlib.nullcontext():
            with pytest.raises(LookupError) as info:
                broken()
        names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
        assert names[-2:] == ["broken", "fail"]
    spans = [spans_by_name(t)["broken"] for t in exported()]
    assert len(spans) == 2
    for span in spans:
        assert "fail" in span["events"][0]["attributes"]["exception.stacktrace"]


UNSAMPLED = r'''
import json
import ferrotrace
from ferrotrace import _native, tracing

@ferrotrace.trace
def leaf(x):
    return ferrotrace.get_current_active_span(), x

@ferrotrace.trace
def root(x):
    with ferrotrace.start_span("block"):  # a sampled-out span of the same trace
        pass
    return leaf(x)

class Boom(Exception):
    pass

err = Boom("x")

@ferrotrace.trace
def boom():
    raise err

keys = ("traces_started", "traces_sampled_out", "spans_started", "spans_ended")
before = ferrotrace.stats()
seen = [root(i) for i in range(10)]
after = ferrotrace.stats()
out = {"counts": [after[k] - before[k] for k in keys], "active": [s is None for s, _ in seen],
       "values": [v for _, v in seen]}
try:
    boom()
except Boom as e:
    out["same_error"] = e is err
out["last"] = ferrotrace.get_last_active_trace_id(thread_local=True)
tracing.set_sampling(keep_errors=True)  # the tail rule may keep a root: spans again
try:
    boom()
except Boom:
    pass
tracing.set_sampling(keep_errors=False)

@ferrotrace.trace(sampling_ratio_override=1.0)
def eager():
    span = ferrotrace.get_current_active_span()
    return span is not None and span._sampled

@ferrotrace.trace
def outer():
    span = ferrotrace.get_current_active_span()
    return span is not None and not span._sampled, eager()

# A positive ratio of its own: roots span again, and their decision holds for what they call.
out["outer"] = outer()
assert ferrotrace.flush(10)
out["kept"] = [json.loads(t)["data"]["spans"][0]["name"] for t in _native.memory_traces()]
print(json.dumps(out))
'''


def test_with_ratio_zero_a_root_runs_without_a_span_and_is_still_counted(tmp_path: Path) -> None:
    env = {"FERROTRACE_DESTINATION": "memory", "MLFLOW_TRACE_SAMPLING_RATIO": "0", "FERROTRACE_NATIVE_WRAPPER": "1"}
    proc = run_script(UNSAMPLED, env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # Ten traces of three spans each, as if the spans had been started and sampled out.
    assert out["counts"] == [10, 10, 30, 30]
    # No active span inside (MLflow's get_current_active_span() is None in a sampled-out trace).
    assert out["active"] == [True] * 10 and out["values"] == list(range(10))
    assert out["same_error"] is True and out["last"] is None
    assert out["outer"] == [True, False]
    assert out["kept"] == ["boom"]
