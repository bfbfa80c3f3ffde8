"""`import ferrotrace` stays light: what tracing does not need is loaded on first use, and every
public name still resolves (issue 7: import <= 5 MiB; the benchmark measures, this test guards
the modules that made most of it)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import ferrotrace
from conftest import run_script

# Each costs 0.1-1 MiB in a fresh interpreter; none is needed to import ferrotrace or to trace.
HEAVY = ("logging", "typing", "json", "datetime", "urllib.parse", "getpass", "re", "dataclasses")
LAZY_OWN = ("ferrotrace.tracing", "ferrotrace._assessments", "ferrotrace._tracking", "ferrotrace._assessment_entities")


def test_import_loads_no_heavy_module(tmp_path: Any) -> None:
    code = r"""
import sys
import ferrotrace
print(sorted(m for m in sys.argv[1:] if m in sys.modules))
"""
    r = run_script(code, {}, cwd=str(tmp_path), argv=[*HEAVY, "inspect", *LAZY_OWN])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_tracing_a_call_loads_no_heavy_module(tmp_path: Any) -> None:
    # `inspect` (with `re`) is allowed: decoration reads the signature with it.
    code = r"""
import sys
import ferrotrace

@ferrotrace.trace
def add(a, b=2):
    return a + b

assert add(1) == 3
with ferrotrace.start_span("block") as span:
    span.set_inputs({"x": 1})
ferrotrace.flush()
print(sorted(m for m in sys.argv[1:] if m in sys.modules))
"""
    heavy = [m for m in HEAVY if m != "re"]
    r = run_script(code, {"FERROTRACE_DESTINATION": "memory"}, cwd=str(tmp_path), argv=[*heavy, *LAZY_OWN])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_every_public_name_resolves(tmp_path: Any) -> None:
    # In a fresh interpreter, so the lazy names are resolved by the module __getattr__.
    code = r"""
import ferrotrace
from ferrotrace import _assessments, _tracking, entities, tracing

for name in ferrotrace.__all__:
    assert getattr(ferrotrace, name) is not None, name
    assert name in dir(ferrotrace), name
for name in entities.__all__:
    assert getattr(entities, name) is not None, name
assert ferrotrace.get_trace is _assessments.get_trace
assert ferrotrace.set_tracking_uri is _tracking.set_tracking_uri
assert ferrotrace.context is tracing.context
assert ferrotrace.tracing is tracing
assert issubclass(ferrotrace.TracingError, ferrotrace.MlflowException)
from ferrotrace.entities import Feedback, Trace
assert Feedback.__module__ == "ferrotrace._assessment_entities"
assert Trace.__module__ == "ferrotrace._trace_entities"
ns = {}
exec("from ferrotrace import *", ns)
assert set(ferrotrace.__all__) <= set(ns)
print("ok")
"""
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "ok"


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        ferrotrace.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_name"):
        ferrotrace.entities.no_such_name  # noqa: B018
    assert not hasattr(ferrotrace, "no_such_name")


def test_warnings_go_to_the_ferrotrace_logger_naming_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        ferrotrace.update_current_trace(tags={"a": "b"})
    records = [r for r in caplog.records if r.name == "ferrotrace"]
    assert len(records) == 1
    assert "without an active span" in records[0].getMessage()
    # The record points at the API function, not at the lazy logger.
    assert records[0].funcName == "update_current_trace"


def _shapes() -> list[Any]:
    import functools

    def none() -> None:
        pass

    def everything(a, b=2, *args, c, d=4, **kw):  # type: ignore[no-untyped-def]
        local = a
        return local

    def posonly(a, /, b, *, c):  # type: ignore[no-untyped-def]
        pass

    def posonly_defaults(a=1, /, b=2):  # type: ignore[no-untyped-def]
        pass

    def kwonly_mixed(a, *, b=1, c):  # type: ignore[no-untyped-def]
        pass

    def only_kwargs(**kw):  # type: ignore[no-untyped-def]
        pass

    def only_args(*args):  # type: ignore[no-untyped-def]
        pass

    def closure(a, b):  # type: ignore[no-untyped-def]
        def inner() -> Any:
            return a

        return inner

    def gen(n):  # type: ignore[no-untyped-def]
        yield n

    async def coro(x, *, y=None):  # type: ignore[no-untyped-def]
        return x

    async def agen(x):  # type: ignore[no-untyped-def]
        yield x

    @functools.wraps(everything)
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        return everything(*args, **kwargs)

    class C:
        def method(self, q, r=3):  # type: ignore[no-untyped-def]
            pass

    with_attr = lambda x, y=1: x  # noqa: E731
    with_attr.tag = 1  # type: ignore[attr-defined]
    return [
        none, everything, posonly, posonly_defaults, kwonly_mixed, only_kwargs, only_args, closure, gen, coro,
        agen, wrapped, C().method, C.method, with_attr, lambda x, y=1: x, functools.partial(everything, 1), len,
        print, C,
    ]  # fmt: skip


@pytest.mark.parametrize("fn", _shapes(), ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_signature_reader_matches_inspect(fn: Any) -> None:
    import inspect

    from ferrotrace import _signature

    try:
        sig: Any = [
            (p.name, int(p.kind), p.default is not p.empty, p.default if p.default is not p.empty else None)
            for p in inspect.signature(fn).parameters.values()
        ]
    except (TypeError, ValueError):
        sig = None
    got = _signature.params(fn)
    # The default is only read when has_default is set.
    got = None if got is None else [(n, k, d, v if d else None) for n, k, d, v in got]
    assert got == sig
    assert _signature.isgeneratorfunction(fn) == inspect.isgeneratorfunction(fn)
    assert _signature.isasyncgenfunction(fn) == inspect.isasyncgenfunction(fn)
    assert _signature.iscoroutinefunction(fn) == inspect.iscoroutinefunction(fn)
