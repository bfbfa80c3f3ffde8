"""The active-span contextvar also records the context's last trace: a root that its decorator
or ``start_span`` ended stays in it, *closed* (no active span). These tests pin what users see
of that: ``get_current_active_span()``, ``get_last_active_trace_id(thread_local=True)`` in and
after later traces, across tasks and threads, and every calling form of a traced function
(positional, keywords, ``*args``/``**kwargs``, ``PyObject_Call``, methods)."""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any

import ferrotrace
from ferrotrace import _context
from conftest import attr, exported, spans_by_name


@ferrotrace.trace
def leaf(x: int) -> int:
    return x


def last_local() -> Any:
    return ferrotrace.get_last_active_trace_id(thread_local=True)


def test_a_later_trace_and_its_children_see_the_earlier_one_as_last() -> None:
    seen: dict[str, Any] = {}

    @ferrotrace.trace
    def first() -> None:
        pass

    @ferrotrace.trace
    def child() -> None:
        seen["in_child"] = last_local()

    @ferrotrace.trace
    def second() -> None:
        seen["in_second"] = last_local()
        child()
        with ferrotrace.start_span("block"):
            seen["in_block"] = last_local()

    first()
    first_id = ferrotrace.get_last_active_trace_id(thread_local=True)
    assert ferrotrace.get_current_active_span() is None and _context.active() is None
    second()
    traces = exported()
    assert [t["data"]["spans"][0]["name"] for t in traces] == ["first", "second"]
    assert first_id == traces[0]["info"]["trace_id"]
    # Inside the second trace the last *finished* trace is still the first one, as in MLflow.
    assert seen == {"in_second": first_id, "in_child": first_id, "in_block": first_id}
    assert last_local() == traces[1]["info"]["trace_id"]
    # The second trace is a root of its own, not a child of the closed first one.
    assert traces[1]["data"]["spans"][0]["parent_span_id"] is None


def test_start_span_roots_and_decorated_roots_share_the_record() -> None:
    with ferrotrace.start_span("block_root") as block:
        pass
    assert last_local() == block.trace_id
    assert ferrotrace.get_current_active_span() is None
    leaf(1)
    leaf_id = last_local()
    assert leaf_id != block.trace_id
    with ferrotrace.start_span("again") as again:
        assert last_local() == leaf_id
        assert ferrotrace.get_current_active_span() is again
    assert last_local() == again.trace_id


def test_a_root_ended_by_hand_inside_its_block_is_still_the_active_span() -> None:
    with ferrotrace.start_span("manual") as s:
        s.end()
        assert ferrotrace.get_current_active_span() is s
    assert ferrotrace.get_current_active_span() is None
    assert last_local() == s.trace_id


def test_an_unsampled_root_leaves_the_last_trace_unchanged() -> None:
    @ferrotrace.trace(sampling_ratio_override=0.0)
    def dropped() -> None:
        pass

    leaf(1)
    kept = last_local()
    dropped()
    assert last_local() == kept
    with ferrotrace.start_span("after"):
        assert last_local() == kept


def test_tasks_inherit_the_last_trace_and_keep_their_own() -> None:
    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        leaf(1)
        out["parent_before"] = last_local()

        async def worker() -> None:
            out["task_inherited"] = last_local()
            leaf(2)
            out["task_after"] = last_local()

        await asyncio.create_task(worker())
        out["parent_after"] = last_local()
        return out

    out = asyncio.run(main())
    ids = [t["info"]["trace_id"] for t in exported()]
    assert out["parent_before"] == ids[0] and out["task_inherited"] == ids[0]
    assert out["task_after"] == ids[1]
    # A trace finished in a task is the task's, not its parent's (contextvars semantics).
    assert out["parent_after"] == ids[0]


def test_a_task_that_outlives_its_root_starts_a_trace_of_its_own() -> None:
    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}

        async def background() -> None:
            await asyncio.sleep(0)
            out["active_in_task"] = ferrotrace.get_current_active_span()
            leaf(7)

        @ferrotrace.trace
        def handler() -> "asyncio.Task[None]":
            return asyncio.get_running_loop().create_task(background())

        task = handler()
        await task
        return out

    out = asyncio.run(main())
    traces = exported()
    assert [t["data"]["spans"][0]["name"] for t in traces] == ["handler", "leaf"]
    assert out["active_in_task"] is None
    assert traces[1]["data"]["spans"][0]["parent_span_id"] is None
    assert ferrotrace.stats()["dropped_spans"].get("span_after_root_ended") is None


def test_threads_start_without_a_last_trace() -> None:
    leaf(1)
    seen: dict[str, Any] = {}
    t = threading.Thread(target=lambda: seen.update(last=last_local(), active=ferrotrace.get_current_active_span()))
    t.start()
    t.join()
    assert seen == {"last": None, "active": None}


def test_a_root_generator_iterated_inside_another_trace_does_not_replace_its_span() -> None:
    @ferrotrace.trace
    def stream() -> Any:
        yield 1
        yield 2

    gen = stream()
    assert next(gen) == 1  # iteration starts outside any span: the generator's span is a root
    with ferrotrace.start_span("consumer") as consumer:
        assert list(gen) == [2]  # ... and ends in here
        assert ferrotrace.get_current_active_span() is consumer
    assert last_local() == consumer.trace_id
    names = sorted(t["data"]["spans"][0]["name"] for t in exported())
    assert names == ["consumer", "stream"]


def test_every_calling_form_binds_the_same_inputs() -> None:
    @ferrotrace.trace
    def f(a: int, b: int = 2, *args: int, c: int = 3, **kw: int) -> int:
        return a + b + sum(args) + c + sum(kw.values())

    class K:
        @ferrotrace.trace
        def m(self, x: int, y: int = 1) -> int:
            return x * y

        @classmethod
        @ferrotrace.trace
        def cm(cls, x: int) -> int:
            return x + 1

        @staticmethod
        @ferrotrace.trace
        def sm(x: int) -> int:
            return x - 1

    results = [
        f(1),
        f(1, 5),
        f(1, 2, 3, 4, c=5, z=6),
        f(a=7, c=1),
        f(*[1, 2], **{"c": 0, "q": 1}),  # PyObject_Call: a tuple and a dict
        functools.partial(f, 10)(b=1),
        K().m(3, y=4),
        K.cm(1),
        K.sm(1),
        list(map(f, [1, 2])),
    ]
    assert results == [6, 9, 21, 10, 4, 14, 12, 2, 0, [6, 7]]
    inputs = [attr(t["data"]["spans"][0], "mlflow.spanInputs") for t in exported()]
    assert inputs == [
        {"a": 1, "b": 2, "args": [], "c": 3, "kw": {}},
        {"a": 1, "b": 5, "args": [], "c": 3, "kw": {}},
        {"a": 1, "b": 2, "args": [3, 4], "c": 5, "kw": {"z": 6}},
        {"a": 7, "b": 2, "args": [], "c": 1, "kw": {}},
        {"a": 1, "b": 2, "args": [], "c": 0, "kw": {"q": 1}},
        {"a": 10, "b": 1, "args": [], "c": 3, "kw": {}},
        {"x": 3, "y": 4},
        {"x": 1},
        {"x": 1},
        {"a": 1, "b": 2, "args": [], "c": 3, "kw": {}},
        {"a": 2, "b": 2, "args": [], "c": 3, "kw": {}},
    ]


def test_a_call_that_does_not_fit_the_signature_raises_as_without_tracing() -> None:
    @ferrotrace.trace
    def g(a: int) -> int:
        return a

    for call in (lambda: g(), lambda: g(1, 2), lambda: g(b=1), lambda: g(1, a=1)):
        try:
            call()
        except TypeError as e:
            assert "g()" in str(e)
        else:
            raise AssertionError("expected TypeError")
    spans = [spans_by_name(t)["g"] for t in exported()]
    assert len(spans) == 4 and all(s["status"]["code"] == "STATUS_CODE_ERROR" for s in spans)
